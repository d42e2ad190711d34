"""The old layout moved to systemd mode with no step by hand, and a release other than Debian 12
refused at the first task (issue 19, item 1), on a second test host of this file's own.

The old layout is what ``inventory/production.example`` ran before systemd mode: the role in
embedded mode on the host, ``mailserverctl`` (a shell script under state_dir) starting the
servers in the SSH session of the apply. It could only start once Debian's own services were
stopped by hand (the issue's "Why"); the test does that as the operators did, then puts mail
in the operator mailbox, one message in Postfix's deferred queue (Dovecot away while it
arrived) and one on hold (``postsuper -h``). ``apply.yml`` with the inventory as it is
(systemd mode) must then stop and remove mailserverctl and the old configuration, keep the
queue and the mail, and leave both units enabled and active, also after a reboot.

The host is named from the session host's name (``l<8 hex>``), so parallel checkouts never
clash, and is destroyed at the end even when a test fails: the session host, which the other
host tests use, is never touched.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import time

import pytest
import testhost as tool
from deploy_support import (
    BARE_STATE,
    OPERATOR,
    PORTS,
    STATE_DIR,
    UNITS,
    delivered,
    listeners,
    recap,
    send,
    token,
    units_state,
    wait_active,
    wait_delivered,
)
from mail_support import assert_ok, bootstrap_password, playbook, subjects, tree

pytestmark = [pytest.mark.testhost, pytest.mark.playbook]

CHECKOUT = pathlib.Path(__file__).resolve().parents[2]
RECIPIENT = f"{OPERATOR}@hungyen.gov.vn"
OLD_POSTFIX = f"-c {STATE_DIR}/etc/postfix"  # the old layout's Postfix configuration
OLD_DOVECOT = f"{STATE_DIR}/etc/dovecot/dovecot.conf"
CTL = f"{STATE_DIR}/bin/mailserverctl"
# What systemd mode removes of the old layout (docs/mailserver.md); spool/, mail/, data/ stay.
OLD_FILES = ("bin", "etc/postfix", "etc/dovecot", "run")
RELEASES = {
    "debian-13": ('ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n'
                  'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n', "debian 13"),
    "ubuntu-24.04": ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'
                     'PRETTY_NAME="Ubuntu 24.04 LTS"\n', "ubuntu 24.04"),
}
# The by-hand steps the old layout needed: Debian's packages installed without starting
# Debian's services (they held 25, 143 and 993), those services disabled; with python3-argon2
# and python3-jinja2, which the embedded role does not install and its modules import.
OLD_LAYOUT_BY_HAND = (
    "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"
    " && echo 'postfix postfix/main_mailer_type select No configuration'"
    " | debconf-set-selections"
    " && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q"
    " --no-install-recommends -o DPkg::Lock::Timeout=600 postfix dovecot-core dovecot-imapd"
    " dovecot-lmtpd rsync python3-apt python3-argon2 python3-jinja2"
    " && rm /usr/sbin/policy-rc.d"
    " && systemctl disable --now dovecot.service dovecot.socket postfix.service")


def layout_name() -> str:
    """Derived from the session host's name (test_90's second host is ``t<8 hex>``)."""
    primary = tool.TestHost(CHECKOUT).name
    return "l" + hashlib.sha256(primary.encode()).hexdigest()[:8]


@pytest.fixture(scope="module")
def host():
    second = tool.TestHost(CHECKOUT, layout_name())
    try:
        try:
            second.up()
        except (tool.TestHostError, OSError) as exc:
            pytest.fail(f"the layout test host {second.name} did not boot: {exc}", pytrace=False)
        yield second
    finally:
        second.down()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The outputs of this file's playbooks (never the checkout's build/, the session host's),
    and a declared tree of the operator mailbox only (a province of 191 mailboxes hashed at
    the production cost would take minutes and prove nothing more here)."""
    directory = tmp_path_factory.mktemp("layout")
    tree(directory / "mailboxes", {})
    return directory


def apply(host, workdir: pathlib.Path, *extra: str):
    return playbook(host, "apply.yml", workdir, "-e", f"mailboxes_dir={workdir / 'mailboxes'}",
                    *extra)


def tasks_run(stdout: str) -> list[str]:
    return re.findall(r"^TASK \[(.+?)\] \**$", stdout, re.MULTILINE)


def changed_tasks(stdout: str) -> list[str]:
    """The tasks and handlers that reported a change, with what they said."""
    parts = re.split(r"^((?:TASK|RUNNING HANDLER) \[.+?\]) \**$", stdout, flags=re.MULTILINE)
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return [f"{name}: {body.strip()[:300]}" for name, body in pairs
            if re.search(r"^changed:", body, re.MULTILINE)]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_another_release_stops_at_the_first_task_and_changes_nothing(host, workdir, release):
    """The bare host says it is another release (/etc/os-release swapped, restored after)."""
    content, found = RELEASES[release]
    before = host.run(BARE_STATE).stdout
    host.run("mv /etc/os-release /etc/os-release.hytest && cat > /etc/os-release", input=content)
    try:
        result = apply(host, workdir)
    finally:
        host.run("mv -f /etc/os-release.hytest /etc/os-release")
    assert result.returncode != 0
    # The role's argument check, its read of the release, then the check that stops the play.
    assert [name.split(" : ", 1)[-1] for name in tasks_run(result.stdout)][1:] == [
        "Ensure the host's release and init system are known.",
        "Ensure the host runs Debian 12 (and systemd, in systemd mode)."], result.stdout[-3000:]
    message = (f"Máy chủ thư cần Debian 12 (bookworm); máy này: {found}. Debian 13 dùng "
               "Dovecot 2.4, không đọc được cấu hình này.")
    assert message in " ".join(result.stdout.split()), result.stdout[-3000:]
    assert recap(result)[host.hostname] == {"ok": 2, "changed": 0, "unreachable": 0,
                                            "failed": 1}
    assert host.run(BARE_STATE).stdout == before, "the refused apply changed the host"
    assert "VERSION_ID=\"12\"" in host.run("cat /etc/os-release").stdout


def queue(host, config: str = "") -> dict[str, str]:
    """Queue id -> queue name (postqueue -j)."""
    shown = filter(None, host.run(f"postqueue {config} -j").stdout.splitlines())
    return {entry["queue_id"]: entry["queue_name"] for entry in map(json.loads, shown)}


def wait_queued(host, known: set[str], timeout: float = 60) -> str:
    """The id of a message that reached the deferred queue and is not in ``known``."""
    deadline = time.monotonic() + timeout
    while True:
        new = {qid for qid, name in queue(host, OLD_POSTFIX).items()
               if name == "deferred" and qid not in known}
        if new:
            return new.pop()
        assert time.monotonic() < deadline, queue(host, OLD_POSTFIX)
        time.sleep(1)


@pytest.fixture(scope="module")
def old_layout(host, workdir):
    """The old layout on the host, running, with mail in the mailbox and two in the queue."""
    host.run(OLD_LAYOUT_BY_HAND, timeout=900)
    result = apply(host, workdir, "-e", "mailserver_service_manager=embedded")
    assert_ok(result, "apply.yml in embedded mode on the host")
    seen = {"status": host.run(f"{CTL} status", check=False),
            "listeners": listeners(host), "mailbox": token()}
    send(host, RECIPIENT, seen["mailbox"])
    wait_delivered(host, seen["mailbox"], 60)
    # Dovecot away: the next message waits in Postfix's deferred queue.
    host.run(f"doveadm -c {OLD_DOVECOT} stop")
    seen["deferred"], seen["held"] = token(), token()
    send(host, RECIPIENT, seen["deferred"])
    seen["deferred_id"] = wait_queued(host, set())
    send(host, RECIPIENT, seen["held"])
    seen["held_id"] = wait_queued(host, {seen["deferred_id"]})
    host.run(f"postsuper {OLD_POSTFIX} -h {seen['held_id']}")
    # Dovecot back (mailserverctl starts what is not running), its output off the SSH channel.
    host.run(f"{CTL} start </dev/null >/var/tmp/mailserverctl.log 2>&1")
    seen["status_before_move"] = host.run(f"{CTL} status", check=False)
    seen["queue_before_move"] = queue(host, OLD_POSTFIX)
    return seen


def test_the_old_layout_ran_in_the_ssh_session(old_layout):
    assert old_layout["status"].returncode == 0, old_layout["status"].stdout
    assert old_layout["status_before_move"].returncode == 0
    found = old_layout["listeners"]
    assert set(found) == set(PORTS), found
    for cgroups in found.values():
        assert not any(unit in cgroup for cgroup in cgroups for unit in UNITS), cgroups
    queued = old_layout["queue_before_move"]
    assert queued.get(old_layout["deferred_id"]) == "deferred", queued
    assert queued.get(old_layout["held_id"]) == "hold", queued


@pytest.fixture(scope="module")
def moved(host, workdir, old_layout):
    """apply.yml with the inventory as it is (systemd mode), nothing done by hand before."""
    result = apply(host, workdir)
    assert_ok(result, "apply.yml in systemd mode over the old layout")
    return result


def test_mailserverctl_is_stopped_and_removed(host, moved):
    for name in OLD_FILES:
        assert host.run(f"test ! -e {STATE_DIR}/{name}", check=False).returncode == 0, name
    # No process of the old layout is left (its servers' configuration was under
    # state_dir/etc/postfix and etc/dovecot; other services may keep theirs under etc/).
    processes = host.run("ps -eo pid,args --no-headers").stdout
    assert not re.search(rf"{STATE_DIR}/etc/(postfix|dovecot)\b", processes), processes
    assert not re.search(r"mailserverctl", processes), processes
    # Every server process (the old layout ran rspamd and policyd-rate-limit too, with the
    # same state_dir paths) belongs to a unit, none to the SSH session that started the old.
    cgroups = host.run(
        "for pid in $(pgrep -f"
        " 'postfix/sbin/[m]aster|sbin/[d]ovecot|[r]spamd|[p]olicyd-rate-limit');"
        " do echo \"$pid $(cat /proc/$pid/cgroup 2>/dev/null)\"; done").stdout.split("\n")
    # ([x] keeps the pattern from matching the shell that runs it; a process gone meanwhile
    # prints no cgroup.)
    outside = [line for line in cgroups if len(line.split()) > 1 and "/system.slice/" not in line]
    assert not outside, "\n".join(outside) + "\n" + processes


def test_both_units_are_enabled_and_active_and_hold_the_listeners(host, moved):
    for command, expected in (("is-enabled", "enabled"), ("is-active", "active")):
        shown = host.run(f"systemctl {command} {' '.join(UNITS)}", check=False).stdout
        assert shown.split() == [expected] * len(UNITS), f"systemctl {command}: {shown}"
    found = listeners(host)
    assert set(found) == set(PORTS), found
    for port, unit in PORTS.items():
        assert all(cgroup.split()[0].endswith(f"/{unit}") for cgroup in found[port]), found


def test_the_queue_is_kept(host, old_layout, moved):
    # Deferred while Dovecot was away: delivered after the move, nobody ran postqueue -f.
    wait_delivered(host, old_layout["deferred"], 60)
    # On hold: still there under its id, in the queue the units' Postfix reads.
    queued = queue(host)
    assert queued.get(old_layout["held_id"]) == "hold", queued
    assert not delivered(host, old_layout["held"])
    host.run(f"postsuper -H {old_layout['held_id']}")
    host.run("postqueue -i " + old_layout["held_id"])
    wait_delivered(host, old_layout["held"], 60)


def test_the_mailbox_s_mail_is_readable_over_imaps(host, old_layout, moved):
    password = bootstrap_password(host)
    found = subjects(host, OPERATOR, password)
    assert old_layout["mailbox"] in found and old_layout["deferred"] in found, found


def test_the_next_apply_changes_nothing_and_a_reboot_brings_both_back(host, workdir, moved):
    # The operator's password was changed since the move (bootstrap_password, as its owner
    # does on the first day): a new live state, which the apply's snapshot would rightly
    # write as a change. Taken afresh first, so that only the apply's own changes count.
    assert_ok(playbook(host, "snapshot.yml", workdir), "the snapshot after the move")
    before = units_state(host)
    result = apply(host, workdir)
    assert_ok(result, "the apply after the move")
    counts = recap(result)
    assert counts and all(one["changed"] == 0 for one in counts.values()), \
        (counts, changed_tasks(result.stdout))
    assert units_state(host) == before
    host.reboot()
    wait_active(host, 60)
    fresh = token()
    send(host, RECIPIENT, fresh)
    wait_delivered(host, fresh, 60)
