"""A hand edit of a file the roles write, on the test host (issue 19 item 5): `make drift`
reports it as HYD005 naming the file and what reads it, and the next apply writes it again
and reloads only that reader - Postfix here; Dovecot and the firewall are left alone.

/etc/postfix/main.cf gets another greeting by hand and Postfix is reloaded by hand, as an
operator would do: the greeting then seen from the controller proves that the apply's reload
reached Postfix (the role's greeting is back, with the same master process)."""

from __future__ import annotations

import json
import re
import shlex
import socket
import time

import pytest
from mail_support import assert_ok, playbook

pytestmark = [pytest.mark.testhost, pytest.mark.playbook]

MAIN_CF = "/etc/postfix/main.cf"
STATE_DIR = "/var/lib/hymail"  # inventory/production.example's state_dir
HAND_GREETING = "ESMTP sua-tay-hyd005"
POSTFIX, DOVECOT, FIREWALL = "postfix@-.service", "dovecot.service", "hymail-firewall.service"
UNIT_PROPERTIES = "MainPID,ExecMainStartTimestamp,ActiveEnterTimestamp,NRestarts"


def unit_state(host, unit: str) -> dict[str, str]:
    shown = host.run(f"systemctl show -p {UNIT_PROPERTIES} {shlex.quote(unit)}").stdout
    return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)


def journal_cursor(host) -> str:
    """The journal's newest entry, to read what a unit logged after it."""
    shown = host.run("journalctl -q -n 1 --show-cursor -o cat").stdout
    [cursor] = re.findall(r"^-- cursor: (.+)$", shown, re.M)
    return cursor


def journal_since(host, cursor: str, unit: str) -> str:
    return host.run(f"journalctl -q -o short-iso --no-pager -u {shlex.quote(unit)} "
                    f"--after-cursor={shlex.quote(cursor)}", check=False).stdout


def greeting(host, port: int = 25) -> str:
    with socket.create_connection((host.address, port), timeout=30) as connection:
        line = connection.makefile("rb").readline().decode("ascii", "replace").strip()
        connection.sendall(b"QUIT\r\n")
    return line


def wait_greeting(host, wanted, timeout: float = 20) -> str:
    """Postfix's smtpd processes of before a reload end after their client: poll."""
    deadline = time.monotonic() + timeout
    while True:
        seen = greeting(host)
        if wanted(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def recorded_and_actual(host) -> tuple[str, str]:
    """main.cf's digest in the mailserver role's record, and the file's own (what the drift
    report compares; cheaper than a drift run)."""
    record = json.loads(host.run(f"cat {STATE_DIR}/etc/managed/mailserver.json").stdout)
    actual = host.run(f"sha256sum {MAIN_CF}").stdout.split()[0]
    return record["files"][MAIN_CF]["sha256"], actual


def drift(host, workdir) -> tuple[int, dict, str]:
    """drift.yml as `make drift` runs it: exit status, the JSON report, the Markdown."""
    result = playbook(host, "drift.yml", workdir)
    assert result.returncode in (0, 2), \
        f"drift.yml failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    report = json.loads((workdir / "drift.json").read_text("utf-8"))
    return result.returncode, report, (workdir / "drift.md").read_text("utf-8")


def test_hand_edit_of_main_cf_is_hyd005_and_the_next_apply_reloads_postfix_only(
        deployed, testhost, tmp_path):
    host = testhost
    recorded, actual = recorded_and_actual(host)
    assert recorded == actual, "main.cf differed from its record before the hand edit"
    original = host.run(f"cat {MAIN_CF}").stdout
    assert re.search(r"^smtpd_banner = ", original, re.M), "main.cf has no greeting to edit"
    assert HAND_GREETING not in greeting(host)

    host.run(f"sed -i 's/^smtpd_banner = .*/smtpd_banner = $myhostname {HAND_GREETING}/' "
             f"{MAIN_CF} && systemctl reload {POSTFIX}")
    assert HAND_GREETING in wait_greeting(host, lambda seen: HAND_GREETING in seen)

    status, report, markdown = drift(host, tmp_path)
    assert status == 2, "a drift found must fail the run"
    assert [(e["file"], e["reader"], e["role"], e["state"]) for e in report["config_edits"]] \
        == [(MAIN_CF, "postfix", "mailserver", "edited")]
    assert report["codes"]["config_edits"] == "HYD005"
    assert (f"`{MAIN_CF}`: nội dung đã bị sửa; dịch vụ đọc tệp: Postfix (vai trò "
            "`mailserver`)") in markdown

    units = {unit: unit_state(host, unit) for unit in (POSTFIX, DOVECOT, FIREWALL)}
    cursor = journal_cursor(host)
    assert_ok(playbook(host, "apply.yml", tmp_path), "apply.yml after the hand edit")

    assert host.run(f"cat {MAIN_CF}").stdout == original, "the apply did not restore main.cf"
    restored = wait_greeting(host, lambda seen: HAND_GREETING not in seen)
    assert HAND_GREETING not in restored and restored.startswith("220 "), \
        f"Postfix still greets with the hand-edited banner: {restored}"
    after = {unit: unit_state(host, unit) for unit in units}
    assert after == units, "a unit was restarted (or its master replaced) by the apply"
    assert re.search(r"reload", journal_since(host, cursor, POSTFIX), re.I), \
        "Postfix's journal shows no reload after the apply"
    for unit in (DOVECOT, FIREWALL):
        logged = journal_since(host, cursor, unit)
        assert not re.search(r"reload|SIGHUP|Stopp|Start", logged, re.I), \
            f"{unit} was touched by the apply:\n{logged}"
    assert len(set(recorded_and_actual(host))) == 1, "main.cf differs from its record"
