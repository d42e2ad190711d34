"""Faults of the deployed host in systemd mode (issue 19, items 1 and 5): a master killed with
SIGKILL (each, and both), a reboot with the listen address there early, and one where it
appears 20 s after boot. After each, the units restart what died (NRestarts grows), the
ports answer within 15 s, and mail accepted just before (or during) the fault is delivered
within 60 s of the ports answering, with nobody running ``postqueue -f``.

Then the two faults of an apply: the link to the host dropped while ``mailbox_reconcile``
runs and restored 60 s later, and the controller's ssh processes (ControlMaster included)
killed during the first package install on a bare host. After each, the host serves the old
state or the new one, never a mix, and the next apply converges. Both faults are timed by
watching the host from this machine without the network (its processes, its /proc/locks
entry, its files): a fault that missed its moment fails the test instead of passing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time

import pytest
from deploy_support import (
    DOMAIN,
    OPERATOR,
    PORTS,
    STATE_DIR,
    UNITS,
    PortProbe,
    finish,
    greeting,
    host_path,
    host_processes,
    lock_holders,
    ok,
    recap,
    role_banner,
    run_playbook,
    send,
    ssh_processes,
    start_playbook,
    task_result,
    token,
    units_state,
    wait_active,
    wait_delivered,
    wait_ports,
)
from mail_support import ROOT, agency_file, full, smtp_session, tree

pytestmark = [pytest.mark.testhost]

RECIPIENT = f"{OPERATOR}@{DOMAIN}"
PORTS_WITHIN = 15
DELIVERED_WITHIN = 60


@pytest.mark.parametrize("killed", [("postfix@-.service",), ("dovecot.service",), UNITS],
                         ids=["postfix", "dovecot", "both"])
def test_a_killed_master_is_restarted_and_its_mail_delivered(deployed, testhost, killed):
    wait_active(testhost, 30)
    before = units_state(testhost)
    subjects = [token()]
    send(testhost, RECIPIENT, subjects[0])  # accepted just before the kill
    pids = " ".join(before[unit]["MainPID"] for unit in killed)
    testhost.run(f"kill -9 {pids}")
    if "postfix@-.service" not in killed:
        # Postfix takes it while Dovecot is away: deferred, then delivered after the restart.
        subjects.append(token())
        send(testhost, RECIPIENT, subjects[1])
    answering = wait_ports(testhost, PORTS_WITHIN)
    after = wait_active(testhost, 10)
    for unit in killed:
        assert int(after[unit]["NRestarts"]) > int(before[unit]["NRestarts"]), (unit, after)
        assert after[unit]["MainPID"] != before[unit]["MainPID"]
    for unit in set(UNITS) - set(killed):
        assert after[unit]["MainPID"] == before[unit]["MainPID"], f"{unit} restarted too"
    for subject in subjects:
        wait_delivered(testhost, subject, DELIVERED_WITHIN)
    assert answering < PORTS_WITHIN


@pytest.mark.parametrize("address_delay", [0, 20], ids=["address-early", "address-20s-late"])
def test_after_a_reboot_both_servers_come_back(deployed, testhost, address_delay):
    wait_active(testhost, 30)
    subject = token()
    send(testhost, RECIPIENT, subject)
    marker = token()
    testhost.run(f"logger -t hytest {marker}; journalctl --flush")
    testhost.reboot(address_delay=address_delay)
    booted = time.monotonic()
    # The units retried while the address was missing (every few seconds, never giving up).
    wait_ports(testhost, 60)
    states = wait_active(testhost, 30)
    assert time.monotonic() - booted < 60 + PORTS_WITHIN
    for unit in UNITS:
        assert testhost.run(f"systemctl is-enabled {unit}").stdout.strip() == "enabled"
        if address_delay:
            assert int(states[unit]["NRestarts"]) > 0, (unit, states[unit])
    wait_delivered(testhost, subject, DELIVERED_WITHIN)
    previous = testhost.run("journalctl -u dovecot -b -1 --no-pager -q").stdout
    assert "dovecot" in previous, "journalctl -u dovecot -b -1 shows nothing of the last boot"
    assert marker in testhost.run("journalctl -b -1 -t hytest --no-pager -q").stdout
    # A message sent now goes through the restarted servers end to end.
    fresh = token()
    send(testhost, RECIPIENT, fresh)
    wait_delivered(testhost, fresh, DELIVERED_WITHIN)


# --- the link to the host dropped while mailbox_reconcile runs -----------------------------

LINK_DOWN = 60
LOCK = f"{STATE_DIR}/data/.hymail.lock"  # held by the reconcile while it works
HANDOFF = f"{STATE_DIR}/desired.incoming.json"  # replaced just before the reconcile starts
# AnsiballZ's directory of the running module (removed when the module ends).
RECONCILE_PAYLOAD = "/tmp/ansible_*.mailbox_reconcile_payload_*"
# An agency of this test's own: other host tests of the session leave theirs on the host.
LINK_AGENCY, LINK_AGENCY_NAME = "ttmkn", "Trung tâm Mất kết nối"
LINK_PEOPLE = [{"name": "Phan Văn Trước", "title": "Chuyên viên"},
               {"name": "Hà Thị Sau", "title": "Chuyên viên"},
               {"name": "Lê Văn Mới", "title": "Chuyên viên", "status": "locked",
                "lock_reason": "compromised"}]
PLAYBOOK_WITHIN = 1200


def declared(workdir) -> dict[str, str]:
    """Address -> status of LINK_AGENCY's mailboxes in the declared set handed over."""
    mailboxes = json.loads((workdir / "desired.json").read_text("utf-8"))["mailboxes"]
    return {full(box["address"]): box["status"] for box in mailboxes
            if box["agency"] == LINK_AGENCY}


def served_files(host) -> dict[str, list[str]]:
    """The addresses in the live generation's users, locks and mailbox map (first fields
    only: no hash is read), its name and any staging directory beside it."""
    listing = host.run(f"readlink {STATE_DIR}/data/live; ls -A {STATE_DIR}/data/gen")
    live, *generations = listing.stdout.split()
    found = {"generation": [live], "staging": sorted(n for n in generations if n[0] == ".")}
    for name, separator in (("users.passwd", ":"), ("deny.passwd", ":"), ("vmailbox", " ")):
        text = host.run(f"cut -d{shlex.quote(separator)} -f1 {STATE_DIR}/data/live/{name}")
        found[name] = sorted(set(text.stdout.split()))
    return found


def served_by_servers(host, addresses) -> dict[str, list[str]]:
    """What the running servers say of each address: Postfix accepts it from outside (RCPT
    250, an unknown one 550), Dovecot's userdb knows it (doveadm user)."""
    accepted = []
    with smtp_session(host) as smtp:
        smtp.mail("gui@example.org")
        for address in sorted(addresses):
            code, text = smtp.rcpt(address)
            assert code in (250, 550), (address, code, text)
            if code == 250:
                accepted.append(address)
    known = [address for address in sorted(addresses)
             if host.run(f"doveadm user -f home {shlex.quote(address)}",
                         check=False).returncode == 0]
    return {"postfix": accepted, "dovecot": known}


def picture(files: dict[str, list[str]], mine) -> dict[str, list[str]]:
    """The part of a served state that concerns ``mine``."""
    return {name: sorted(set(files[name]) & set(mine))
            for name in ("users.passwd", "deny.passwd", "vmailbox")}


def assert_one_generation(host, mine) -> dict[str, list[str]]:
    """Postfix and Dovecot serve what the live generation holds, for every address of mine."""
    files = served_files(host)
    seen = picture(files, mine)
    servers = served_by_servers(host, mine)
    assert servers == {"postfix": seen["vmailbox"], "dovecot": seen["users.passwd"]}, \
        f"the servers and the live generation {files['generation']} differ: {servers} {seen}"
    return seen


def reconciling(host) -> list[str]:
    """The mailbox_reconcile modules running on the host (their AnsiballZ directories)."""
    return [path.name for path in host_path(host, "/").glob(RECONCILE_PAYLOAD.lstrip("/"))]


def catch_the_reconcile(host, run, handoff_before) -> int:
    """Wait for the reconcile of this run: the desired state handed over anew, the module
    running and holding the apply lock. Returns the lock holder's pid."""
    handoff = host_path(host, HANDOFF)
    deadline = time.monotonic() + PLAYBOOK_WITHIN
    while time.monotonic() < deadline:
        assert run.poll() is None, \
            "the apply ended before its reconcile was seen:\n" + run.log.read_text()[-4000:]
        with contextlib.suppress(FileNotFoundError):
            seen = handoff.stat()
            if (seen.st_ino, seen.st_mtime_ns) != handoff_before:
                holders = lock_holders(host, LOCK)
                if holders and reconciling(host):
                    return holders[0]
        time.sleep(0.005)
    raise AssertionError(f"no reconcile seen within {PLAYBOOK_WITHIN} s")


@pytest.mark.playbook
def test_the_link_dropped_while_the_reconcile_runs_leaves_old_or_new(deployed, testhost,
                                                                      tmp_path):
    wait_active(testhost, 30)
    before = served_files(testhost)
    handoff = host_path(testhost, HANDOFF)
    handoff_before = (handoff.stat().st_ino, handoff.stat().st_mtime_ns) \
        if handoff.exists() else None
    declared_tree = tree(tmp_path / "mailboxes", {f"{LINK_AGENCY}.yml": agency_file(
        LINK_AGENCY, LINK_AGENCY_NAME, [], LINK_PEOPLE)}, base=ROOT / "mailboxes")
    extra = ("-e", f"mailboxes_dir={declared_tree}", "-e", "commit=testhost-link-dropped")
    run = start_playbook(testhost, "apply.yml", tmp_path, *extra)
    try:
        reconcile = catch_the_reconcile(testhost, run, handoff_before)
        testhost.link_down()
        try:
            dropped = time.monotonic()
            # Proof that the link went down while the reconcile ran (else: timing missed).
            assert reconcile in lock_holders(testhost, LOCK) and reconciling(testhost), \
                "timing missed: the reconcile had ended when the link went down"
            staged = sorted(p.name for p in host_path(testhost, f"{STATE_DIR}/data/gen").iterdir())
            time.sleep(max(0.0, LINK_DOWN - (time.monotonic() - dropped)))
        finally:
            testhost.link_up()
        faulted = finish(run, PLAYBOOK_WITHIN)
    finally:
        if run.poll() is None:
            run.kill()
    mine = declared(tmp_path)
    assert len(mine) == 1 + len(LINK_PEOPLE), mine
    # Old or new, never a mix; Postfix and Dovecot on the live generation.
    after_fault = assert_one_generation(testhost, mine)
    old = picture(before, mine)
    # The next apply converges; an apply after it changes nothing.
    converged = None
    for attempt in range(2):
        result = run_playbook(testhost, "apply.yml", tmp_path, *extra)
        ok(result, f"apply.yml #{attempt + 2} after the link came back")
        if all(host["changed"] == 0 for host in recap(result).values()):
            break
        converged = result
    else:
        raise AssertionError(f"two applies after the fault both changed something: "
                             f"{recap(converged)}")
    new = assert_one_generation(testhost, mine)
    assert new == {"users.passwd": sorted(a for a, s in mine.items() if s != "revoked"),
                   "deny.passwd": sorted(a for a, s in mine.items() if s == "locked"),
                   "vmailbox": sorted(a for a, s in mine.items() if s != "revoked")}, new
    assert new != old
    assert after_fault in (old, new), \
        (f"a mix after the link was dropped (reconcile pid {reconcile}, gen/ then {staged}; "
         f"the apply's exit {faulted.returncode}): {after_fault}, neither {old} nor {new}")
    assert not served_files(testhost)["staging"], "a staging directory outlived the next apply"


# --- the controller's ssh processes killed during the first package install ----------------

MAIL_PACKAGES = ("postfix", "dovecot")


def second_host_name(host) -> str:
    """A bare host of this test's own, named after the session's (at most 12 characters)."""
    name = f"{host.name[:11]}f"
    return name if name != host.name else f"{host.name[:11]}g"


def catch_the_install(host, run) -> tuple[int, str]:
    """Wait for dpkg running under the apt-get that installs the mail packages (apt hands
    dpkg a directory of packages: their names are in apt-get's command, not dpkg's);
    returns dpkg's pid and command."""
    deadline = time.monotonic() + PLAYBOOK_WITHIN
    while time.monotonic() < deadline:
        assert run.poll() is None, \
            "the apply ended before dpkg installed the mail packages:\n" \
            + run.log.read_text()[-4000:]
        running = host_processes(host, {"apt-get", "dpkg"})
        if any(command.split()[0].endswith("apt-get") and package in command
               for _pid, command in running for package in MAIL_PACKAGES):
            for pid, command in running:
                if command.split()[0].endswith("dpkg"):
                    return pid, command
        time.sleep(0.02)
    raise AssertionError(f"no package install seen within {PLAYBOOK_WITHIN} s")


def kill_ssh(control_dir: str) -> list[str]:
    """SIGKILL every ssh process of the run (ControlMaster included); their commands."""
    killed = []
    for _round in range(3):  # a client started while the first ones died goes too
        found = ssh_processes(control_dir)
        for pid, command in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(command)
        if not found:
            break
        time.sleep(0.2)
    return killed


PACKAGE_MANAGERS = {"apt-get", "dpkg"}


def wait_no_package_manager(host, timeout: float = 600) -> None:
    """Nothing of the cut install runs on the host any more (maintainer scripts included)."""
    deadline = time.monotonic() + timeout
    while host_processes(host, PACKAGE_MANAGERS | {"apt", "dpkg-deb"}):
        assert time.monotonic() < deadline, host_processes(host, PACKAGE_MANAGERS)
        time.sleep(0.5)


def answering(host) -> dict[int, str | None]:
    return {port: greeting(host.address, port, host.hostname, str(host.ca_file))
            for port in PORTS}


class BareInstallFault(threading.Thread):
    """The ssh fault on a bare host of its own, run beside the other tests of this module
    (it waits on package downloads and applies for about ten minutes): the test waits for
    it and raises what it raised. The host is destroyed at the end, also on failure."""

    def __init__(self, testhost, workdir):
        super().__init__(daemon=True, name="bare-install-fault")
        self.testhost, self.workdir = testhost, workdir
        self.error: BaseException | None = None
        self.runs: list[subprocess.Popen] = []
        self.aborted = False

    def run(self) -> None:
        try:
            ssh_killed_during_the_first_package_install(self.testhost, self.workdir, self.runs)
        except BaseException as exc:  # noqa: BLE001 (handed to the test)
            self.error = exc

    def abort(self) -> None:
        """The module ended without waiting (a failure with -x): its playbook killed, the
        bare host destroyed by the scenario's own cleanup."""
        self.aborted = True
        for run in self.runs:
            if run.poll() is None:
                run.kill()
        self.join(STOP_WITHIN)


@pytest.fixture(scope="module", autouse=True)
def bare_install_fault(request, testhost, tmp_path_factory):
    """Starts the ssh fault with the module's first test when the module's last one, which
    waits for it, is selected."""
    wanted = any(getattr(item, "originalname", "") == SSH_TEST for item in request.session.items)
    if not wanted:
        yield None
        return
    fault = BareInstallFault(testhost, tmp_path_factory.mktemp("bare-install"))
    fault.start()
    yield fault
    if fault.is_alive():
        fault.abort()


SSH_TEST = "test_ssh_killed_during_the_first_package_install_leaves_old_or_new"
STOP_WITHIN = 120  # the bare host's destroy after an abort


@pytest.mark.playbook
def test_ssh_killed_during_the_first_package_install_leaves_old_or_new(bare_install_fault):
    bare_install_fault.join(3 * PLAYBOOK_WITHIN)
    assert not bare_install_fault.is_alive(), "the ssh fault on the bare host did not end"
    if bare_install_fault.error:
        raise bare_install_fault.error


def ssh_killed_during_the_first_package_install(testhost, tmp_path, runs):
    bare = type(testhost)(testhost.checkout, second_host_name(testhost))
    try:
        bare.up()
    except Exception as exc:  # noqa: BLE001 (anything that stops the boot fails the test)
        bare.down()
        pytest.fail(f"the second test host {bare.name} did not boot: {exc}", pytrace=False)
    control_dir = tempfile.mkdtemp(prefix="hycp-", dir="/tmp")  # short: a socket's path
    probe = PortProbe(bare)
    try:
        # Only the operator mailbox: this test is about packages, not about the province.
        declared_tree = tree(tmp_path / "mailboxes", {})
        extra = ("-e", f"mailboxes_dir={declared_tree}")
        probe.start()
        run = start_playbook(bare, "apply.yml", tmp_path, *extra,
                             env={"ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir})
        runs.append(run)
        try:
            _dpkg, installing = catch_the_install(bare, run)
            killed = kill_ssh(control_dir)
            # sshd hangs up no session without a terminal: the install outlives the cut
            # session. Killed as a power cut would kill it, it leaves dpkg interrupted: the
            # case the repair step of packages_host.yml is for.
            survivors = host_processes(bare, PACKAGE_MANAGERS)
            for name in ("apt-get", "dpkg"):
                for pid, command in survivors:
                    if os.path.basename(command.split()[0]) == name:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
            cut = finish(run, PLAYBOOK_WITHIN)
        finally:
            if run.poll() is None:
                run.kill()
        assert any("[mux]" in command for command in killed), \
            f"no ControlMaster among the ssh processes killed: {killed}"
        assert cut.returncode != 0, "the apply went on as if its ssh had not been killed"
        assert survivors, f"the install ended before the ssh processes died ({installing})"
        wait_no_package_manager(bare)
        audit = bare.run("dpkg --audit; ls -A /var/lib/dpkg/updates", check=False).stdout
        assert audit.strip(), "dpkg was not left interrupted: the repair would not be tested"
        # Old or new, never a mix: nothing answers with Debian's default configuration, and
        # the servers are either not answering or the role's, on every port.
        ports = answering(bare)
        assert not probe.foreign(), probe.foreign()
        assert all(banner is None for banner in ports.values()) or all(
            role_banner(port, banner or "", bare.hostname) for port, banner in ports.items()), \
            ports

        runs.append(start_playbook(bare, "apply.yml", tmp_path, *extra))
        repair = finish(runs[-1], PLAYBOOK_WITHIN)
        ok(repair, "apply.yml after the ssh processes were killed")
        repaired = task_result(repair, "Ensure an interrupted package install is finished.")
        assert repaired == "changed", f"dpkg was left interrupted ({audit!r}), the next " \
            f"apply did not repair it ({repaired})"
        assert bare.run("dpkg --audit; ls -A /var/lib/dpkg/updates").stdout.strip() == ""
        wait_active(bare, 30)
        wait_ports(bare, 15)
        runs.append(start_playbook(bare, "apply.yml", tmp_path, *extra))
        again = finish(runs[-1], PLAYBOOK_WITHIN)
        ok(again, "the second apply after the repair")
        assert all(host["changed"] == 0 for host in recap(again).values()), recap(again)
        assert not probe.stop().foreign(), probe.foreign()
    finally:
        probe.stop()
        bare.down()
        for leftover in os.listdir(control_dir):
            os.unlink(os.path.join(control_dir, leftover))
        os.rmdir(control_dir)
