"""The first deploy to the test host, as an operator makes it, and what the deploy and fault
tests share: playbook runs, the port probe, the units' state, delivery to a mailbox.

The ``deployed`` fixture (conftest.py) calls :func:`deploy` once per session: ``plan.yml`` and
``apply.yml --check`` against the bare host (nothing may change there), then the first
``apply.yml`` while :class:`PortProbe` polls the mail ports every 100 ms.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

CHECKOUT = pathlib.Path(__file__).resolve().parent.parent.parent
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / "ansible-playbook"
UNITS = ("postfix@-.service", "dovecot.service")
PORTS = {25: "postfix@-.service", 587: "postfix@-.service", 465: "postfix@-.service",
         143: "dovecot.service", 993: "dovecot.service"}
STATE_DIR = "/var/lib/hymail"
OPERATOR = "sotttt"  # the example inventory's operator_mailbox
DOMAIN = "hungyen.gov.vn"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                   re.MULTILINE)


# --- playbooks ------------------------------------------------------------------------------

def playbook(host, name: str, *extra: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """``ansible-playbook playbooks/<name>`` with the host's inventory, as the operator runs it."""
    command = [str(ANSIBLE_PLAYBOOK), "-i", str(host.inventory_dir), f"playbooks/{name}", *extra]
    return subprocess.run(command, cwd=CHECKOUT, env=host.ansible_env(), text=True,
                          capture_output=True, timeout=timeout, check=False)


def recap(result: subprocess.CompletedProcess) -> dict[str, dict[str, int]]:
    """The PLAY RECAP counts per host."""
    return {host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable),
                   "failed": int(failed)}
            for host, ok, changed, unreachable, failed in RECAP.findall(result.stdout)}


def ok(result: subprocess.CompletedProcess, what: str) -> None:
    assert result.returncode == 0, \
        f"{what} failed:\n{result.stdout[-5000:]}\n{result.stderr[-2000:]}"
    output = result.stdout + result.stderr
    assert "$argon2" not in output and "{ARGON2ID}" not in output, f"{what} printed a hash"


# --- what answers on the mail ports ----------------------------------------------------------

def role_banner(port: int, banner: str, hostname: str) -> bool:
    """The role's own greeting: Postfix's ``220 <host> ESMTP``, Dovecot's ``<host> IMAP ready.``
    (Debian's defaults say ``ESMTP Postfix (Debian/GNU)`` and ``Dovecot (Debian) ready.``)."""
    if port in (25, 587, 465):
        return banner == f"220 {hostname} ESMTP"
    return banner.startswith("* OK ") and banner.endswith(f"{hostname} IMAP ready.")


def greeting(address: str, port: int, hostname: str, ca_file: str | None,
             timeout: float = 2) -> str | None:
    """The first line a server sends on ``port`` (993, 465: after a verified TLS handshake); None
    when nothing listens. A certificate the test CA did not sign is an answer too."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except OSError:
        return None
    with contextlib.closing(sock):
        sock.settimeout(timeout)
        try:
            if port in (993, 465):
                context = ssl.create_default_context(cafile=ca_file)
                sock = context.wrap_socket(sock, server_hostname=hostname)
            return sock.recv(512).decode("utf-8", "replace").split("\r\n")[0].strip()
        except ssl.SSLCertVerificationError as exc:
            return f"(certificate not the inventory's: {exc.verify_message})"
        except OSError:
            return ""  # closed or reset while starting: no greeting at all


class PortProbe(threading.Thread):
    """Polls the mail ports every ``interval`` s and records every greeting it reads."""

    def __init__(self, host, interval: float = 0.1):
        super().__init__(daemon=True)
        self.host, self.interval = host, interval
        self.seen: list[tuple[float, int, str]] = []
        self.polls = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for port in PORTS:
                banner = greeting(self.host.address, port, self.host.hostname,
                                  str(self.host.ca_file), timeout=1)
                if banner:
                    self.seen.append((time.monotonic(), port, banner))
            self.polls += 1
            self._halt.wait(self.interval)

    def stop(self) -> PortProbe:
        self._halt.set()
        self.join(10)
        return self

    def foreign(self) -> list[tuple[int, str]]:
        """Every greeting that was not the role's, in order (each once)."""
        found = [(port, banner) for _at, port, banner in self.seen
                 if not role_banner(port, banner, self.host.hostname)]
        return list(dict.fromkeys(found))

    def role_ports(self) -> set[int]:
        return {port for _at, port, banner in self.seen
                if role_banner(port, banner, self.host.hostname)}


# --- the units ---------------------------------------------------------------------------------

def unit_state(host, unit: str) -> dict[str, str]:
    shown = host.run(f"systemctl show -p MainPID -p NRestarts -p ActiveState -p SubState {unit}")
    return dict(line.split("=", 1) for line in shown.stdout.split())


def units_state(host) -> dict[str, dict[str, str]]:
    return {unit: unit_state(host, unit) for unit in UNITS}


def wait_ports(host, timeout: float) -> float:
    """Seconds until the role answers on every mail port (AssertionError after ``timeout``)."""
    started = time.monotonic()
    pending = set(PORTS)
    while pending and time.monotonic() - started < timeout:
        pending = {port for port in pending
                   if not role_banner(port, greeting(host.address, port, host.hostname,
                                                     str(host.ca_file)) or "", host.hostname)}
        if pending:
            time.sleep(0.2)
    assert not pending, f"ports {sorted(pending)} not answering after {timeout} s"
    return time.monotonic() - started


def wait_active(host, timeout: float) -> dict[str, dict[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        states = units_state(host)
        if all(state["ActiveState"] == "active" for state in states.values()):
            return states
        assert time.monotonic() < deadline, f"units not active after {timeout} s: {states}"
        time.sleep(1)


def listeners(host) -> dict[int, list[str]]:
    """Mail port → the cgroup of every process listening on it (``ss -ltnp``), as
    /proc/<pid>/cgroup says it (the unified ``0::`` line first, on a hybrid hierarchy)."""
    out = host.run("ss -ltnpH").stdout
    found: dict[int, list[str]] = {}
    for line in out.splitlines():
        fields = line.split()
        port = int(fields[3].rsplit(":", 1)[1])
        if port in PORTS:
            for pid in sorted(set(re.findall(r"pid=(\d+)", line))):
                lines = host.run(f"cat /proc/{pid}/cgroup", check=False).stdout.split()
                unified = [line[3:] for line in lines if line.startswith("0::")]
                found.setdefault(port, []).append(" ".join(unified + lines))
    return found


# --- mail ----------------------------------------------------------------------------------------

def token() -> str:
    return "hytest-" + uuid.uuid4().hex[:12]


def send(host, recipient: str, subject: str, timeout: float = 10) -> None:
    """One message over SMTP from the test machine (outside mynetworks)."""
    with smtplib.SMTP(host.address, 25, timeout=timeout) as smtp:
        smtp.ehlo("tester.example.org")
        smtp.sendmail("tester@example.org", [recipient],
                      f"From: tester@example.org\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
                      f"\r\n{subject}\r\n")


def maildir(mailbox: str = OPERATOR) -> str:
    return f"{STATE_DIR}/mail/{DOMAIN}/{mailbox}/Maildir"


def delivered(host, subject: str, mailbox: str = OPERATOR) -> bool:
    found = host.run(f"grep -rlF {subject} {maildir(mailbox)}/new {maildir(mailbox)}/cur",
                     check=False)
    return bool(found.stdout.strip())


def wait_delivered(host, subject: str, timeout: float, mailbox: str = OPERATOR) -> float:
    started = time.monotonic()
    while not delivered(host, subject, mailbox):
        assert time.monotonic() - started < timeout, \
            f"{subject} not delivered to {mailbox} within {timeout} s:\n" \
            + host.run("postqueue -p; journalctl -u postfix@- -n 15 --no-pager",
                       check=False).stdout
        time.sleep(0.5)
    return time.monotonic() - started


# --- the deploy ---------------------------------------------------------------------------

@dataclasses.dataclass
class Deployment:
    """What the session's first deploy did (the tests read it; the fixture asserts the apply)."""

    host: object
    bare_before: str = ""
    bare_after: str = ""
    plan: subprocess.CompletedProcess | None = None
    check: subprocess.CompletedProcess | None = None
    apply: subprocess.CompletedProcess | None = None
    probe: PortProbe | None = None
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    # build/<file> → its modification time before plan and --check ran (None: absent).
    outputs_before: dict[str, float | None] = dataclasses.field(default_factory=dict)
    outputs_after: dict[str, float | None] = dataclasses.field(default_factory=dict)


# What a bare host has that the role would change: packages, state, units, configuration.
BARE_STATE = ("dpkg-query -W -f '${Package} ${Status}\\n' | sort | sha256sum; "
              "ls -la /var/lib/hymail /etc/postfix /etc/dovecot 2>&1; "
              "find /etc/systemd/system | sort; ss -ltnH | sort")


OUTPUTS = ("plan.json", "plan.md", "snapshot.json", "desired.json")


def outputs() -> dict[str, float | None]:
    """The modification time of each controller-side output under build/ (None: absent)."""
    found = {}
    for name in OUTPUTS:
        path = CHECKOUT / "build" / name
        found[name] = path.stat().st_mtime_ns if path.exists() else None
    return found


def deploy(host) -> Deployment:
    """plan.yml and apply.yml --check on the bare host, then the first apply under the probe."""
    # Written afresh by this session's plan and --check: fetch leaves an identical file as it
    # was, so an output of an earlier session would pass for a new one.
    for name in OUTPUTS:
        (CHECKOUT / "build" / name).unlink(missing_ok=True)
    done = Deployment(host, outputs_before=outputs())
    done.bare_before = host.run(BARE_STATE).stdout
    for name, extra in (("plan", ("plan.yml",)), ("check", ("apply.yml", "--check"))):
        started = time.monotonic()
        setattr(done, name, playbook(host, *extra))
        done.seconds[name] = time.monotonic() - started
    done.bare_after = host.run(BARE_STATE).stdout
    done.outputs_after = outputs()
    done.probe = PortProbe(host)
    done.probe.start()
    started = time.monotonic()
    try:
        done.apply = playbook(host, "apply.yml")
    finally:
        done.seconds["apply"] = time.monotonic() - started
        done.probe.stop()
    return done

# --- runs in the background, and the host seen without the network -------------------------
# The test host's files and processes are on this machine: a fault test watches them while
# the link to the host is down or the controller's ssh processes are being killed.

def start_playbook(host, name: str, workdir: pathlib.Path, *extra: str,
                   env: dict[str, str] | None = None) -> subprocess.Popen:
    """``ansible-playbook playbooks/<name>`` in the background, its outputs (desired, snapshot,
    drift) under ``workdir`` (never the checkout's build/, which other runs share) and its
    output in ``workdir/<name>-<n>.log``; :func:`finish` waits for it."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}-{len(list(workdir.glob(f'{name}-*.log')))}.log"
    command = [str(ANSIBLE_PLAYBOOK), "-i", str(host.inventory_dir), f"playbooks/{name}"]
    for key, value in (("desired_file", workdir / "desired.json"),
                       ("snapshot_file", workdir / "snapshot.json"),
                       ("drift_file", workdir / "drift.json")):
        command += ["-e", json.dumps({key: str(value)})]
    for index, arg in enumerate(extra):
        is_value = index > 0 and extra[index - 1] == "-e" and "=" in arg and arg[0] not in "{@"
        command.append(json.dumps(dict([arg.split("=", 1)])) if is_value else arg)
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=CHECKOUT, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, text=True,
                                   env=host.ansible_env() | {"ANSIBLE_NOCOLOR": "1"} | (env or {}))
    process.log = log
    return process


def finish(process: subprocess.Popen, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Wait for a :func:`start_playbook` run; its output is the result's stdout."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)
        raise AssertionError(f"{process.args[3]} still running after {timeout} s:\n"
                             + process.log.read_text()[-4000:]) from None
    return subprocess.CompletedProcess(process.args, process.returncode,
                                       process.log.read_text(), "")


def run_playbook(host, name: str, workdir: pathlib.Path, *extra: str,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return finish(start_playbook(host, name, workdir, *extra, env=env))


def task_result(result: subprocess.CompletedProcess, task: str) -> str | None:
    """What the output says of one task of the role (ok, changed, skipping, failed, ...),
    None when the task did not run."""
    found = re.search(rf"^TASK \[[^\]]*: {re.escape(task)}\] \*+\n(\w+):", result.stdout,
                      re.MULTILINE)
    return found.group(1) if found else None


def host_path(host, path: str) -> pathlib.Path:
    """A path of the host's file system, as this machine sees it: through the root of the
    host's process 1, since the host mounts file systems of its own (/tmp, /run)."""
    record = json.loads((pathlib.Path(host.out_dir) / "testhost.json").read_text())
    init = record["container_init_pid"]
    assert in_host(host, init), f"process 1 of {host.name} ({init}) is not running"
    return pathlib.Path(f"/proc/{init}/root") / path.lstrip("/")


def in_host(host, pid: int) -> bool:
    """Whether a process of this machine runs inside the host (its root is the host's)."""
    try:
        seen, root = os.stat(f"/proc/{pid}/root"), os.stat(host.root)
    except OSError:
        return False
    return (seen.st_dev, seen.st_ino) == (root.st_dev, root.st_ino)


def processes(names: set[str]) -> list[tuple[int, str]]:
    """(pid, command line) of this machine's processes whose name (comm) is in names; a
    zombie (an empty command line) is no longer running and is left out."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            if pathlib.Path(f"/proc/{entry}/comm").read_text().strip() in names:
                argv = pathlib.Path(f"/proc/{entry}/cmdline").read_bytes()
                command = argv.replace(b"\0", b" ").decode("utf-8", "replace").strip()
                if command:
                    found.append((int(entry), command))
    return found


def host_processes(host, names: set[str]) -> list[tuple[int, str]]:
    """(pid, command line) of the host's processes named (comm) one of names."""
    return [(pid, command) for pid, command in processes(names) if in_host(host, pid)]


def lock_holders(host, path: str) -> list[int]:
    """The host's processes holding a lock on ``path`` (this machine's /proc/locks)."""
    try:
        inode = os.stat(host_path(host, path)).st_ino
    except FileNotFoundError:
        return []
    holders = []
    for line in pathlib.Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->":  # "->": waiting for the lock, not holding it
            continue
        pid, where = fields[4], fields[5]
        if where.rsplit(":", 1)[-1] == str(inode) and pid.isdigit() and in_host(host, int(pid)):
            holders.append(int(pid))
    return holders


def ssh_processes(control_dir: str) -> list[tuple[int, str]]:
    """This machine's ssh processes of one ansible-playbook run whose ControlPath directory
    is ``control_dir`` (ANSIBLE_SSH_CONTROL_PATH_DIR): its ssh clients name the socket in
    their arguments, the ControlMaster in its title (``ssh: <socket> [mux]``)."""
    return [(pid, command) for pid, command in processes({"ssh"})
            if f"{control_dir}/" in command]
