"""Quotas in the role's configuration (issue 17, part 6), rendered by Ansible with the role's
defaults and vars and checked by the real programs: Dovecot accepts the configuration and
loads the quota plugin for IMAP and LMTP (the count backend, the 90 % warning, quota-status
for Postfix with HYM081's reply), Postfix asks quota-status at RCPT for the mailboxes the
script's map names, and the warning script is valid shell whose message is HYM080 from the
operator mailbox and whose map names exactly the marked mailboxes.
"""

from __future__ import annotations

import email
import email.header
import pathlib
import shutil
import subprocess

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.server import quota_messages
from helpers import render_role_templates

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.playbook,
              pytest.mark.skipif(shutil.which("doveconf") is None, reason="no Dovecot")]

@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("quota")
    render_role_templates({f"{name}.j2": out / name
                           for name in ("dovecot.conf", "main.cf", "quota-warning.sh")},
                          {"state_dir": f"{out}/state", "operator_mailbox": "sotttt",
                           "operator": {"short_name": "Sở TTTT"},
                           "mailserver_quota_default": "3M"})
    return out


def doveconf(rendered: pathlib.Path, *args: str) -> str:
    result = subprocess.run(["doveconf", "-c", str(rendered / "dovecot.conf"), *args],
                            text=True, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    return result.stdout


def test_dovecot_loads_quota_for_imap_and_lmtp(rendered):
    imap = doveconf(rendered, "-f", "protocol=imap", "-h", "mail_plugins").split()
    lmtp = doveconf(rendered, "-f", "protocol=lmtp", "-h", "mail_plugins").split()
    assert {"acl", "quota", "imap_quota", "imap_acl"} <= set(imap)
    assert {"acl", "quota"} <= set(lmtp)


@pytest.mark.parametrize(("setting", "value"), [
    ("quota", "count:User quota"),
    ("quota_vsizes", "yes"),
    ("quota_rule", "*:storage=3M"),
    ("quota_warning", f"storage={quota_messages.WARNING_PERCENT}%% quota-warning "
                      f"{quota_messages.WARNING_PERCENT} %u"),
    ("quota_warning2", f"-storage={quota_messages.WARNING_PERCENT}%% quota-warning below %u"),
    ("quota_status_success", "DUNNO"),
    ("quota_status_nouser", "DUNNO"),
    ("quota_status_overquota", quota_messages.overquota_reply()),
])
def test_dovecot_quota_settings(rendered, setting, value):
    assert doveconf(rendered, "-h", f"plugin/{setting}").strip() == value


def test_quota_status_socket_is_postfix_only(rendered):
    text = doveconf(rendered, "-n")
    service = text.split("service quota-status {", 1)[1].split("\n}", 1)[0]
    assert "executable = quota-status -p postfix" in service
    assert f"{rendered}/state/spool/private/dovecot-quota-status {{" in service
    assert "mode = 0600" in service and "user = postfix" in service


def postconf(rendered: pathlib.Path, name: str) -> str:
    result = subprocess.run(["postconf", "-c", str(rendered), "-h", name],
                            text=True, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def test_postfix_asks_quota_status_at_rcpt_for_the_nearly_full_mailboxes(rendered):
    """quota-status through a restriction class that only the map of marked mailboxes
    names: every other recipient costs one map lookup (issue 16)."""
    assert postconf(rendered, "smtpd_restriction_classes") == "hymail_nearly_full"
    assert postconf(rendered, "hymail_nearly_full") == \
        "check_policy_service { unix:private/dovecot-quota-status, default_action=DUNNO }"
    restrictions = postconf(rendered, "smtpd_recipient_restrictions")
    assert restrictions.endswith(
        f"check_recipient_access hash:{rendered}/state/quota/nearly_full"), restrictions
    assert "check_policy_service" not in restrictions
    # After the unknown and revoked recipients: they keep their own answers.
    assert restrictions.index("reject_unlisted_recipient") < restrictions.index("nearly_full")


def test_overquota_reply_is_ascii_552_with_code():
    reply = quota_messages.overquota_reply()
    assert reply.startswith("552 5.2.2 HYM081 ")
    assert reply.isascii() and "%" not in reply


def test_warning_script_is_shell_and_sends_hym080(rendered, tmp_path):
    script = rendered / "quota-warning.sh"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    # Run it with a stand-in for dovecot-lda that records its arguments and input.
    runnable = warning_script(rendered, tmp_path, f'printf "%s\\n" "$@" > {tmp_path}/args\n'
                                                  f"cat > {tmp_path}/mail")
    result = subprocess.run(["sh", str(runnable), "90", "an.nv@hungyen.gov.vn"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert warned_count(tmp_path / "quota") == 1
    assert (tmp_path / "quota" / "warned" / "an.nv@hungyen.gov.vn").exists()
    args = (tmp_path / "args").read_text().splitlines()
    assert args[args.index("-d") + 1] == "an.nv@hungyen.gov.vn"
    assert args[args.index("-f") + 1] == "sotttt@hungyen.gov.vn"
    assert "plugin/quota=count:User quota:noenforcing" in args
    # vmail may open neither Dovecot's log files nor its stats socket.
    assert {"log_path=/dev/stderr", "debug_log_path=/dev/stderr", "stats_writer_socket_path="} \
        <= set(args)
    message = email.message_from_bytes((tmp_path / "mail").read_bytes())
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == quota_messages.warning_subject()
    assert message["From"] == "sotttt@hungyen.gov.vn"
    assert message["To"] == "an.nv@hungyen.gov.vn"
    body = message.get_payload(decode=True).decode()
    assert body.startswith("HYM080 hộp thư an.nv@hungyen.gov.vn đã dùng quá 90%")
    assert "Sở TTTT" in body


def warned_count(quota_dir: pathlib.Path) -> int:
    """The value of hymail_quota_warned_mailboxes in the script's textfile."""
    lines = (quota_dir / "hymail_quota.prom").read_text().splitlines()
    assert lines[:2] == ["# HELP hymail_quota_warned_mailboxes Mailboxes past their quota "
                         "warning level, not back under it.",
                         "# TYPE hymail_quota_warned_mailboxes gauge"]
    name, value = lines[2].split()
    assert name == "hymail_quota_warned_mailboxes"
    return int(value)


def test_the_count_goes_up_and_down_and_below_sends_nothing(rendered, tmp_path):
    """Two mailboxes past 90 %, one back under: 2 then 1; "below" delivers nothing. Postfix's
    map names exactly the marked mailboxes after each call."""
    runnable = warning_script(rendered, tmp_path,
                              f"cat > /dev/null\necho x >> {tmp_path}/deliveries")
    counts, maps = [], []
    for level, address in (("90", "a@hungyen.gov.vn"), ("90", "b@hungyen.gov.vn"),
                           ("below", "a@hungyen.gov.vn"), ("below", "a@hungyen.gov.vn")):
        result = subprocess.run(["sh", str(runnable), level, address], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, result.stderr
        counts.append(warned_count(tmp_path / "quota"))
        maps.append(nearly_full(rendered, tmp_path / "quota", "a@hungyen.gov.vn",
                                "b@hungyen.gov.vn"))
    assert counts == [1, 2, 1, 1]
    assert maps == [{"a@hungyen.gov.vn"}, {"a@hungyen.gov.vn", "b@hungyen.gov.vn"},
                    {"b@hungyen.gov.vn"}, {"b@hungyen.gov.vn"}]
    assert (tmp_path / "deliveries").read_text().count("x") == 2
    assert sorted(path.name for path in (tmp_path / "quota").iterdir()) == \
        [".lock", "hymail_quota.prom", "nearly_full", "nearly_full.db", "warned"]


def test_rebuild_makes_the_map_from_the_marks_and_delivers_nothing(rendered, tmp_path):
    """What the role runs when the map is missing (an older server's marks, a fresh one)."""
    runnable = warning_script(rendered, tmp_path, f"echo x >> {tmp_path}/deliveries")
    for run, marks in enumerate(([], ["c@hungyen.gov.vn", "d@hungyen.gov.vn"])):
        for mark in marks:
            (tmp_path / "quota" / "warned" / mark).touch()
        result = subprocess.run(["sh", str(runnable), "rebuild"], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, result.stderr
        found = nearly_full(rendered, tmp_path / "quota", "c@hungyen.gov.vn", "d@hungyen.gov.vn")
        assert found == set(marks), run
        assert warned_count(tmp_path / "quota") == len(marks)
    assert not (tmp_path / "deliveries").exists()


def warning_script(rendered: pathlib.Path, tmp_path: pathlib.Path, lda: str) -> pathlib.Path:
    """The rendered script, runnable under ``tmp_path``: dovecot-lda replaced by a shell
    script of the body ``lda``, the quota directory (with its warned/) moved to
    ``tmp_path/quota`` and postmap reading the rendered main.cf."""
    fake = tmp_path / "lda"
    fake.write_text(f"#!/bin/sh\n{lda}\n")
    fake.chmod(0o755)
    text = (rendered / "quota-warning.sh").read_text()
    assert f"postmap -c {rendered}/state/etc/postfix " in text
    runnable = tmp_path / "warn.sh"
    runnable.write_text(
        text.replace("/usr/lib/dovecot/dovecot-lda", str(fake))
        .replace(str(rendered / "state" / "quota"), str(tmp_path / "quota"))
        .replace(f"postmap -c {rendered}/state/etc/postfix ", f"postmap -c {rendered} "))
    (tmp_path / "quota" / "warned").mkdir(parents=True)
    return runnable


def nearly_full(rendered: pathlib.Path, quota_dir: pathlib.Path, *addresses: str) -> set[str]:
    """Which of ``addresses`` Postfix's map sends to quota-status (postmap -q, as smtpd)."""
    found = set()
    for address in addresses:
        result = subprocess.run(["postmap", "-c", str(rendered), "-q", address,
                                 f"hash:{quota_dir}/nearly_full"],
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode in (0, 1) and not result.stderr, result.stderr
        if result.returncode == 0:
            assert result.stdout.strip() == "hymail_nearly_full", result.stdout
            found.add(address)
    return found


def test_the_role_starts_the_count_at_zero_with_the_script_s_help():
    """The role's first file (tasks/dovecot.yml) says what the script later writes."""
    tasks = (ROOT / "roles" / "mailserver" / "tasks" / "dovecot.yml").read_text()
    assert ("# HELP hymail_quota_warned_mailboxes Mailboxes past their quota warning level, "
            "not back under it.") in tasks
    assert "hymail_quota_warned_mailboxes 0" in tasks


def test_warning_script_refuses_an_odd_address(rendered, tmp_path):
    result = subprocess.run(["sh", str(rendered / "quota-warning.sh"), "90", "a$(id)@x"],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
