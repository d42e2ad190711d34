"""Crash and load tests against the real servers: a reconcile in its own process, a workload
of thousands of changes, and checks of what the running Postfix and Dovecot serve.

The checks look at the servers over their own protocols (SMTP RCPT, Dovecot's auth and
userdb sockets, doveadm reading a mailbox as its user), never at the data files, so they stay
valid whatever the backend's file layout. (Every password here is an initial one, which IMAP
refuses until it is changed: the auth socket tells a right one by its HYM060 answer.)
Run as a script, this file is the driver:

    python tests/e2e/crash_support.py run|plan PARAMS.json

``run`` reconciles once; ``plan`` plans in check mode. Both print one JSON line (summaries
only: no secret ever leaves the driver).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]

DOMAIN = "hungyen.gov.vn"
# Argon2id at 1 MiB: Dovecot checks thousands of passwords after every kill, and the cost of
# a hash is not what these tests are about (the parameters travel inside the hash).
CRASH_HASH = {"hash_time_cost": 1, "hash_memory_kib": 1024, "hash_parallelism": 1}
SENDER = "e2e-crash@example.org"
RCPT_PER_SESSION = 900  # under smtpd_recipient_limit (1000)
REFUSALS_PER_SESSION = 9  # under smtpd_soft_error_limit (10)
WRONG_PASSWORD = "Khong-phai-mat-khau-1#"
HEARTBEAT = "b0010"  # a mailbox no step renames, locks or moves
MARKED = ("b0000", "b0001", "b0002", "b0011", "b0012")  # stays; renamed at odd/even steps
TITLES = ("Chuyên viên", "Phó trưởng phòng", "Trưởng phòng")
BEGUN = "reconcile begun"  # the driver's first line, printed as the reconcile begins


# --- the driver: one reconcile in its own process --------------------------------------

def drive(command: str, params_file: str) -> dict:
    """What the driver process does; returns the JSON line it prints."""
    from ansible_collections.hungyen.mail.plugins.modules import mailbox_reconcile

    params = json.loads(pathlib.Path(params_file).read_text("utf-8"))
    # The harness times its kill from this line: the interpreter's start and the imports
    # above write nothing, and a kill there would prove nothing.
    print(BEGUN, flush=True)
    started = time.monotonic()
    result = mailbox_reconcile.run(params, check_mode=command == "plan")
    return {"changed": result["changed"], "summary": result["summary"],
            "seconds": round(time.monotonic() - started, 3)}


class Driver:
    """Starts the driver for a desired state; the reconcile params of e2e_support.Province."""

    def __init__(self, state_dir: pathlib.Path, workdir: pathlib.Path):
        self.desired_file = workdir / "desired.json"
        self.params_file = workdir / "params.json"
        params = {"desired_file": str(self.desired_file), "state_dir": str(state_dir),
                  "domain": DOMAIN, **CRASH_HASH}
        self.params_file.write_text(json.dumps(params), "utf-8")

    def start(self, mailboxes: list, command: str = "run") -> subprocess.Popen:
        payload = {"domain": DOMAIN, "mailboxes": [m.to_dict() for m in mailboxes]}
        self.desired_file.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        # A session of its own: the kill takes the driver and its postmap children, as a
        # crash of the host would.
        return subprocess.Popen(
            [sys.executable, str(HERE / "crash_support.py"), command, str(self.params_file)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True, env=dict(os.environ, PYTHONPATH=str(ROOT / ".collections")))

    def complete(self, mailboxes: list, command: str = "run", timeout: float = 300) -> dict:
        """Run the driver to its end: its JSON line (``seconds``: how long the reconcile
        itself took), with the wall time of the process (raises with its stderr on
        failure)."""
        started = time.monotonic()
        process = self.start(mailboxes, command)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            raise
        if process.returncode != 0:
            raise AssertionError(f"the reconcile failed (exit {process.returncode}):\n"
                                 f"{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        return result | {"wall": time.monotonic() - started}


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the driver's process group (the driver and whatever it started)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


# --- the workload: desired states that each differ from the last by thousands of changes

@dataclass(frozen=True)
class Entry:
    """One mailbox of a desired state, as the servers must show it."""

    address: str
    previous: tuple[str, ...]
    locked: bool


@dataclass
class Workload:
    """Desired states 0, 1, 2, ... of ``size`` base mailboxes plus ``creates`` new ones a step.

    Base mailbox ``i`` plays the role ``i % 10``: 0 keeps its address, status and agency
    (others delegate to it), 1-2 are renamed every other step (the old names stay as
    aliases), 3-4 are locked and unlocked in turn (an unlock issues a new password), 5-7
    change delegates, 8-9 move to another agency. Every mailbox's directory entry changes
    at every step, so a step is one update per mailbox plus the role changes, and only
    unlocks and creates need a new password. The ``quiet`` mailboxes ``q..`` never change.
    """

    prefix: str
    size: int = 1000
    creates: int = 40
    agencies: int = 5
    quiet: int = 0

    def keys(self, step: int) -> list[str]:
        created = [f"n{c:02d}x{j:02d}" for c in range(1, step + 1) for j in range(self.creates)]
        quiet = [f"q{j:02d}" for j in range(self.quiet)]
        return [f"b{i:04d}" for i in range(self.size)] + created + quiet

    def entries(self, step: int) -> dict[str, Entry]:
        return {key: self.entry(key, step) for key in self.keys(step)}

    def entry(self, key: str, step: int) -> Entry:
        base = f"{self.prefix}{key}"
        renames = self._renames(key, step)
        names = [base] + [f"{base}r{n}" for n in range(1, renames + 1)]
        return Entry(names[-1], tuple(names[:-1]), self._locked(key, step))

    def mailboxes(self, step: int) -> list:
        from e2e_support import mailbox

        return [self._mailbox(mailbox, key, step) for key in self.keys(step)]

    def new_password(self, key: str, step: int) -> bool:
        """Whether going to ``step`` issues ``key`` a new password (a create or an unlock)."""
        if key.startswith("n"):
            return int(key[1:3]) == step
        if step == 0:  # base and quiet mailboxes
            return True
        return self._locked(key, step - 1) and not self._locked(key, step)

    def _mailbox(self, mailbox, key: str, step: int):
        entry, number = self.entry(key, step), int(key[1:].replace("x", ""))
        if key.startswith("q"):
            return mailbox(entry.address, f"{self.prefix}-so0", name=f"Cán bộ {key}")
        role = self._role(key)
        fields = {"previous": entry.previous,
                  "name": f"Cán bộ {key}" + (" (kiêm nhiệm)" if (number + step) % 3 == 0 else ""),
                  "directory": {"title": TITLES[(number + step) % 3],
                                "phone": f"0221{step:03d}{number % 10000:04d}"}}
        if entry.locked:
            fields |= {"status": "locked", "lock_reason": "violation"}
        if role in (5, 6, 7):
            fields["delegates"] = self._delegates(number, step)
        moved = step if role in (8, 9) else 0
        agency = f"{self.prefix}-so{(number + moved) % self.agencies}"
        return mailbox(entry.address, agency, **fields)

    def _role(self, key: str) -> int | None:
        return int(key[1:]) % 10 if key.startswith("b") else None

    def _renames(self, key: str, step: int) -> int:
        if self._role(key) not in (1, 2):
            return 0
        group = int(key[1:]) // 10
        return sum(1 for s in range(1, step + 1) if (group + s) % 2 == 0)

    def _locked(self, key: str, step: int) -> bool:
        return self._role(key) in (3, 4) and step > 0 and (int(key[1:]) // 10 + step) % 2 == 0

    def _delegates(self, number: int, step: int) -> tuple[str, ...]:
        stable = [f"{self.prefix}b{i:04d}" for i in range(0, self.size, 10)]
        first = (number // 10 + step) % len(stable)
        count = 1 + step % 2
        return tuple(stable[(first + n) % len(stable)] for n in range(count))


# --- what the servers serve ------------------------------------------------------------

# (RCPT answer, known to the userdb, login) of one address
View = tuple[str, bool, str]
# The login answer to a right password: every password the workload knows was issued
# (create, unlock, reset), so Dovecot refuses it until it is changed (HYM060, issue 14).
RIGHT = "must_change"


def expected_view(entry: Entry | None, address: str, password_valid: bool) -> View:
    """What the servers must answer for ``address`` when ``entry`` is the desired state of
    the mailbox it belongs to (None: the mailbox does not exist yet)."""
    if entry is not None and address == entry.address:
        login = "disabled" if entry.locked else RIGHT if password_valid else "fail"
        return ("accept", True, login)
    if entry is not None and address in entry.previous:
        return ("accept", True, "fail")  # delivery only: mail queued for it still arrives
    return ("refuse", False, "fail")


class Probe:
    """Asks the running servers, over their own protocols, what they serve."""

    def __init__(self, state_dir: pathlib.Path, smtp_port: int, imap_port: int):
        from dovecot_auth import base_dir

        self.smtp_port, self.imap_port = smtp_port, imap_port
        self.postfix_dir = state_dir / "etc" / "postfix"
        self.dovecot_conf = state_dir / "etc" / "dovecot" / "dovecot.conf"
        self.socket_dir = base_dir(str(self.dovecot_conf))
        self.logs = ServerLogs(self.postfix_dir, self.dovecot_conf)
        self.seconds: dict[str, float] = {}

    def postfix_check(self) -> list[str]:
        """Problems `postfix check` reports (it must exit 0)."""
        with self.timed("postfix check"):
            result = subprocess.run(["postfix", "-c", str(self.postfix_dir), "check"],
                                    capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            return [f"postfix check exited {result.returncode}: "
                    f"{(result.stdout + result.stderr).strip()[-2000:]}"]
        return []

    def views(self, passwords: dict[str, str | None],
              refusable: frozenset[str] = frozenset()) -> dict[str, View]:
        """Address -> View for every address of ``passwords`` (None: no password known);
        ``refusable`` addresses, which Postfix may refuse, are asked last. Call it in a
        second after the last change (``next_second``)."""
        from dovecot_auth import authenticate, user_exists

        addresses = sorted(passwords, key=lambda address: (address in refusable, address))
        full = [f"{a}@{DOMAIN}" for a in addresses]
        with self.timed("rcpt"):
            rcpt = rcpt_answers(self.smtp_port, full)
        with self.timed("userdb"):
            users = user_exists(self.socket_dir, full)
        with self.timed("auth"):
            logins = authenticate(self.socket_dir, [
                (f, passwords[a] or WRONG_PASSWORD) for a, f in zip(addresses, full, strict=True)])
        # What Postfix refuses never reaches Dovecot: whether Dovecot could deliver to it
        # (an address announced a second before Postfix accepts it) is not served.
        return {a: (rcpt[f], users[n] and rcpt[f] != "refuse", logins[n])
                for n, (a, f) in enumerate(zip(addresses, full, strict=True))}

    @contextlib.contextmanager
    def timed(self, part: str):
        """Add the time the block takes to ``self.seconds[part]`` (to report slow checks)."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[part] = self.seconds.get(part, 0) + time.monotonic() - started

    def inbox_subjects(self, address: str, header: str = "Subject") -> list[str]:
        """The ``header`` of each message in the INBOX of ``address``, read as its user by
        doveadm (the userdb resolves the address as at an IMAP login; the login itself,
        refused until an initial password is changed, is checked by ``views``)."""
        with self.timed("imap"):
            return self._inbox_headers(address, header)

    def _inbox_headers(self, address: str, header: str) -> list[str]:
        field = f"hdr.{header.lower()}"
        result = subprocess.run(
            ["doveadm", "-c", str(self.dovecot_conf), "-f", "tab", "fetch", "-u",
             f"{address}@{DOMAIN}", field, "mailbox", "INBOX"],
            capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm fetch {address}: {result.stderr.strip()[-500:]}")
        lines = result.stdout.splitlines()
        assert lines[:1] == [field], f"doveadm fetch {address}: {lines[:1]}"
        return [line.strip() for line in lines[1:]]


def next_second() -> None:
    """Dovecot looks at a passwd-file again at most once a second (passwd_file_sync): a
    lookup in the second of a change may be answered from the file before it, while
    Postfix already follows its new maps (see test_load_during_apply)."""
    time.sleep(1.05 - time.time() % 1)


def rcpt_answers(port: int, addresses: list[str], timeout: float = 120) -> dict[str, str]:
    """RCPT TO answers ("accept", "refuse" or "answer <code> <text>") for each address, in
    as few sessions as Postfix allows: it answers a client slowly after 10 refused
    commands, so a session asks only as many at a time as it may still see refused.

    Each session that has an accepted RCPT opens a queue file (aborted at QUIT), and each
    costs one of Postfix's message arrival tokens (in_flow_delay): put the addresses that
    may be refused last, so that a session that meets only refusals opens none.
    """
    answers: dict[str, str] = {}
    pending = list(addresses)
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise AssertionError(f"RCPT checks did not finish in {timeout} s")
        try:
            asked = _rcpt_session(port, pending, answers)
        except OSError:  # a Postfix process that restarts (a changed map) hangs up
            asked = 0
            time.sleep(0.1)
        pending = pending[asked:]
    return answers


def _rcpt_session(port: int, pending: list[str], answers: dict[str, str]) -> int:
    """Ask for the first addresses of ``pending`` on one connection; how many were asked."""
    done = refused = 0
    with SmtpSession(port) as smtp:
        smtp.command(f"MAIL FROM:<{SENDER}>", 250)
        while done < min(len(pending), RCPT_PER_SESSION) and refused < REFUSALS_PER_SESSION:
            part = pending[done:done + REFUSALS_PER_SESSION - refused]
            replies = smtp.pipeline([f"RCPT TO:<{address}>" for address in part])
            for address, (code, text) in zip(part, replies, strict=False):
                answers[address] = _rcpt_kind(code, text)
                refused += code >= 400
            done += len(replies)
            if len(replies) < len(part):
                break
    return done


def _rcpt_kind(code: int, text: str) -> str:
    if code // 100 == 2:
        return "accept"
    if code == 550 and "5.1.1" in text:
        return "refuse"
    return f"answer {code} {text}"


class SmtpSession:
    """A bare SMTP client that can pipeline (smtplib waits for every reply)."""

    def __init__(self, port: int, timeout: float = 60):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rwb")

    def __enter__(self):
        self.reply(220)
        self.command("EHLO crash.example.org", 250)
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(OSError):
            self.file.write(b"QUIT\r\n")
            self.file.flush()
        self.file.close()
        self.sock.close()

    def command(self, line: str, expected: int | None = None) -> tuple[int, str]:
        self.file.write(line.encode() + b"\r\n")
        self.file.flush()
        return self.reply(expected)

    def pipeline(self, lines: list[str]) -> list[tuple[int, str]]:
        """Send every line, then read the replies (fewer when the server hangs up)."""
        replies = []
        try:
            self.file.write("".join(line + "\r\n" for line in lines).encode())
            self.file.flush()
        except OSError:
            return replies
        for _ in lines:
            try:
                reply = self.reply()
            except OSError:
                break
            replies.append(reply)
            if reply[0] == 421:
                break
        return replies

    def reply(self, expected: int | None = None) -> tuple[int, str]:
        lines = []
        while True:
            line = self.file.readline().decode(errors="replace")
            if not line:
                raise ConnectionResetError("the SMTP server closed the connection")
            lines.append(line[4:].strip())
            if line[3:4] != "-":
                break
        code = int(line[:3])
        if expected is not None and code != expected:
            raise AssertionError(f"SMTP: {code} {' '.join(lines)} (expected {expected})")
        return code, " ".join(lines)


class ServerLogs:
    """The lines Postfix and Dovecot logged since the last look (errors only count)."""

    ERROR = re.compile(r"\b(error|fatal|panic)\b", re.IGNORECASE)

    def __init__(self, postfix_dir: pathlib.Path, dovecot_conf: pathlib.Path):
        self.paths = [
            _config_value(["postconf", "-c", str(postfix_dir), "-h", "maillog_file"]),
            _config_value(["doveconf", "-c", str(dovecot_conf), "-h", "log_path"]),
        ]
        self.offsets = {path: _size(path) for path in self.paths}

    def new_errors(self) -> list[str]:
        errors = []
        for path in self.paths:
            size = _size(path)
            with open(path, "rb") as handle:
                handle.seek(self.offsets[path])
                text = handle.read(size - self.offsets[path]).decode(errors="replace")
            self.offsets[path] = size
            errors += [f"{pathlib.Path(path).name}: {line}" for line in text.splitlines()
                       if self.ERROR.search(line)]
        return errors


def _config_value(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          check=True).stdout.strip()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


class CredentialBook:
    """The passwords the outbox notices hold, read as they are appended (a plain object:
    nothing prints them)."""

    def __init__(self, outbox: pathlib.Path):
        self.outbox = outbox
        self.offsets: dict[pathlib.Path, int] = {}
        self.known: dict[str, str] = {}  # local part -> latest password

    def new(self) -> dict[str, str]:
        """Local part -> latest password, from the notices appended since the last call."""
        dated = []
        for path in sorted(self.outbox.glob("*.jsonl")):
            with open(path, "rb") as handle:
                handle.seek(self.offsets.get(path, 0))
                data = handle.read()
            complete = data[:data.rfind(b"\n") + 1]  # a line cut by a kill is not a notice
            self.offsets[path] = self.offsets.get(path, 0) + len(complete)
            for line in complete.decode("utf-8").splitlines():
                notice = json.loads(line)
                dated += [(notice["created"], item) for item in
                          notice.get("credentials", []) + notice.get("unit_credentials", [])]
        found = {}
        for _, item in sorted(dated, key=lambda pair: pair[0]):
            found[item["address"].removesuffix(f"@{DOMAIN}")] = item["password"]
        self.known |= found
        return found


def letter_id(subject: str) -> str:
    """The Message-ID of the letter ``subject``."""
    return f"<{subject.replace(' ', '-')}@e2e.example.org>"


def drop_notices(outbox: pathlib.Path, prefix: str) -> None:
    """Remove the notices a workload's agencies got (they hold passwords; a later test's
    notify run would try to send them to agency mailboxes nobody created)."""
    for path in outbox.glob(f"{prefix}-so*.jsonl"):
        path.unlink()


# --- one mailbox compared with the old and the new desired state -----------------------

@dataclass
class Verdict:
    """How the servers' answers compare with the old and the new state, mailbox by mailbox."""

    problems: list[str] = field(default_factory=list)
    old_only: int = 0
    new_only: int = 0
    either: int = 0

    def mixed(self) -> bool:
        return bool(self.old_only and self.new_only)

    def describe(self) -> str:
        return (f"{self.old_only} mailboxes served as before, {self.new_only} as after, "
                f"{self.either} the same in both")


def _refusable(old: dict[str, Entry], new: dict[str, Entry]) -> frozenset[str]:
    """Addresses Postfix refuses in the old or in the new state."""
    return frozenset(a for key, entry in new.items()
                     for a in addresses_of(old.get(key), entry)
                     if "refuse" in (expected_view(old.get(key), a, False)[0],
                                     expected_view(entry, a, False)[0]))


def addresses_of(*entries: Entry | None) -> set[str]:
    return {a for e in entries if e is not None for a in (e.address, *e.previous)}


def compare(old: dict[str, Entry], new: dict[str, Entry], seen: dict[str, View],
            valid_old: dict[str, bool], valid_new: dict[str, bool]) -> Verdict:
    """Each mailbox must be served as a whole as in ``old`` or as in ``new``; and every
    mailbox active in both, whose password stays, must still log in (at some address)."""
    verdict = Verdict()
    for key in sorted(new):
        before, after = old.get(key), new[key]
        addresses = sorted(addresses_of(before, after))
        got = {a: seen[a] for a in addresses}
        was = {a: expected_view(before, a, valid_old[key]) for a in addresses}
        will = {a: expected_view(after, a, valid_new[key]) for a in addresses}
        _count(verdict, got == was, got == will)
        if got not in (was, will):
            verdict.problems.append(f"{key}: neither old nor new: got {_short(got)}, old "
                                    f"{_short(was)}, new {_short(will)}")
        if (before is not None and not before.locked and not after.locked and valid_new[key]
                and not any(view[2] == RIGHT for view in got.values())):
            verdict.problems.append(f"{key}: a working account no longer logs in "
                                    f"({_short(got)})")
    return verdict


def _count(verdict: Verdict, as_old: bool, as_new: bool) -> None:
    if as_old and as_new:
        verdict.either += 1
    elif as_old:
        verdict.old_only += 1
    elif as_new:
        verdict.new_only += 1


def _short(views: dict[str, View]) -> str:
    return ", ".join(f"{a}={'/'.join(str(v) for v in view)}" for a, view in views.items())


# --- the crash harness: kill a reconcile, look at the servers, rerun -------------------

@dataclass
class Outcome:
    """What one step found: whether the kill hit a running reconcile, and every problem."""

    step: int
    delay: float
    killed: bool
    problems: list[str]
    verdict: Verdict | None = None
    seconds: dict = field(default_factory=dict)

    def line(self) -> str:
        landed = "killed" if self.killed else "finished before the kill"
        where = self.verdict.describe() if self.verdict else ""
        return (f"step {self.step}: delay {self.delay:.3f} s, {landed}; {where}; "
                f"{len(self.problems)} problems; "
                + ", ".join(f"{part} {sec:.1f} s" for part, sec in self.seconds.items()))


class CrashHarness:
    """A workload on the test server: states applied in a driver process, some killed."""

    def __init__(self, server, workdir: pathlib.Path, workload: Workload, ports: dict,
                 whole_server: bool):
        self.server, self.workload = server, workload
        self.driver = Driver(server.state_dir, workdir)
        self.probe = Probe(server.state_dir, ports["smtp_port"], ports["imap_port"])
        self.book = CredentialBook(server.outbox)
        self.whole_server = whole_server  # the backend commits with one switch
        self.passwords: dict[str, str | None] = {}  # mailbox key -> latest known password
        self.markers: dict[str, str] = {}  # mailbox key -> subject of a message it holds
        self.full_runs: list[float] = []  # reconcile times of reruns that had changes to make
        self.letters: list[tuple[str, str]] = []  # (mailbox key, subject) of letters sent

    def setup(self) -> list[str]:
        """State 0 applied and checked; a marker message in a few mailboxes."""
        self.driver.complete(self.workload.mailboxes(0))
        problems = self.learn(0) + self.verify(0)
        self.send_markers(list(MARKED))
        return problems

    def clean_step(self, step: int) -> tuple[dict, list[str]]:
        """Apply ``step`` uninterrupted: the driver's result (``seconds``: how long its
        reconcile took; ``wall``: its whole process), and problems."""
        result = self.driver.complete(self.workload.mailboxes(step))
        problems = [] if result["changed"] else [f"step {step} changed nothing"]
        return result, problems + self.learn(step) + self.verify(step)

    def killed_step(self, step: int, delay: float, when=None) -> Outcome:
        """Start ``step``, SIGKILL it ``delay`` s after its reconcile began (the driver's
        first line; or as soon as ``when()`` holds, looked at every half millisecond from
        the start), check the servers, rerun."""
        started = time.monotonic()
        process = self.driver.start(self.workload.mailboxes(step))
        if when is None:
            # "" when the driver ended before (its failure is reported below)
            process.stdout.readline()
            time.sleep(delay)
        else:
            while process.poll() is None and not when():
                time.sleep(0.0005)
            delay = time.monotonic() - started
        killed = process.poll() is None
        problems = []
        if killed:
            kill_group(process)
        elif process.returncode != 0:
            problems.append(f"the reconcile failed before the kill: "
                            f"{process.communicate()[1][-2000:]}")
        checked = time.monotonic()
        self.probe.seconds = {}
        verdict = self.check(step)
        rerun = time.monotonic()
        problems += verdict.problems + self.rerun(step)
        seconds = {"kill": checked - started, "check": rerun - checked,
                   "rerun": time.monotonic() - rerun, **self.probe.seconds}
        return Outcome(step, delay, killed, problems, verdict, seconds)

    def check(self, step: int) -> Verdict:
        """After a kill: files accepted, each mailbox old or new, mail where it was."""
        old, new = self.workload.entries(step - 1), self.workload.entries(step)
        next_second()
        posted = self.post_letters(old)
        seen = self.probe.views(self._passwords_by_address(old, new), _refusable(old, new))
        valid_old = {key: self.passwords.get(key) is not None for key in new}
        valid_new = {key: valid_old[key] and not self.workload.new_password(key, step)
                     for key in new}
        verdict = compare(old, new, seen, valid_old, valid_new)
        if self.whole_server and verdict.mixed():
            verdict.problems.append(f"the server mixes the old and the new state: "
                                    f"{verdict.describe()}")
        verdict.problems[:0] = self.probe.postfix_check()
        verdict.problems += self.mail_follows(seen, new, posted) + self.probe.logs.new_errors()
        return verdict

    def rerun(self, step: int) -> list[str]:
        """The rerun must succeed, leave nothing to do, and serve the new state."""
        mailboxes = self.workload.mailboxes(step)
        try:
            result = self.driver.complete(mailboxes)
            again = self.driver.complete(mailboxes, command="plan")
        except AssertionError as error:
            return [f"the rerun failed: {error}"]
        if result["changed"]:
            self.full_runs.append(result["seconds"])
        problems = []
        if again["changed"]:
            problems.append(f"the rerun did not converge: {again['summary']}")
        return problems + self.learn(step) + self.verify(step)

    def learn(self, step: int) -> list[str]:
        """Take the passwords issued on the way to ``step`` from the notices."""
        issued, problems = self.book.new(), []
        for key, entry in self.workload.entries(step).items():
            if not self.workload.new_password(key, step):
                continue
            self.passwords[key] = issued.get(entry.address)
            if self.passwords[key] is None:
                problems.append(f"{key}: {entry.address} was issued a new password that no "
                                "notice in the outbox holds")
        return problems

    def verify(self, step: int) -> list[str]:
        """Every address of state ``step`` served exactly as that state says."""
        entries = self.workload.entries(step)
        next_second()
        posted = self.post_letters(entries)
        seen = self.probe.views(self._passwords_by_address(entries))
        problems = []
        for key, entry in entries.items():
            valid = self.passwords.get(key) is not None
            for address in addresses_of(entry):
                want = expected_view(entry, address, valid)
                if seen[address] != want:
                    problems.append(f"{key}: after the apply {address} is served as "
                                    f"{seen[address]}, not {want}")
        problems += self.mail_follows(seen, entries, posted)
        return problems + self.probe.postfix_check() + self.probe.logs.new_errors()

    def send_markers(self, keys: list[str], timeout: float = 60) -> None:
        """One message to the mailboxes ``keys`` (state 0), to find after every kill."""
        import smtplib

        entries = self.workload.entries(0)
        self.markers = {key: f"{self.workload.prefix} marker {key}" for key in keys}
        with smtplib.SMTP("127.0.0.1", self.probe.smtp_port, timeout=60) as smtp:
            for key, subject in self.markers.items():
                to = f"{entries[key].address}@{DOMAIN}"
                smtp.sendmail(SENDER, [to], f"From: {SENDER}\r\nTo: {to}\r\nSubject: "
                              f"{subject}\r\n\r\nx\r\n".encode())
        deadline = time.monotonic() + timeout
        for key, subject in self.markers.items():
            while subject not in self.probe.inbox_subjects(entries[key].address):
                assert time.monotonic() < deadline, f"the marker of {key} never arrived"
                time.sleep(0.3)

    def post_letters(self, entries: dict[str, Entry]) -> dict[str, tuple[str, str]]:
        """Before every look at the servers, a letter to a mailbox no step touches and to
        the marked ones, at their address in ``entries`` (the state before the kill: an
        address that takes mail in both states). Every letter must arrive, whatever the
        kill left. Delivering mail also has Postfix's queue manager hand out new message
        arrival tokens, without which each RCPT session that follows would wait a second
        (in_flow_delay). Returns mailbox key -> (subject, address)."""
        import smtplib

        posted = {}
        with smtplib.SMTP("127.0.0.1", self.probe.smtp_port, timeout=60) as smtp:
            for key in [HEARTBEAT, *self.markers]:
                subject = f"{self.workload.prefix} letter {len(self.letters)}"
                to = f"{entries[key].address}@{DOMAIN}"
                smtp.sendmail(SENDER, [to], f"From: {SENDER}\r\nTo: {to}\r\nSubject: "
                              f"{subject}\r\nMessage-ID: {letter_id(subject)}\r\n\r\n"
                              "x\r\n".encode())
                self.letters.append((key, subject))
                posted[key] = (subject, entries[key].address)
        return posted

    def letters_delivered(self, step: int, timeout: float = 60) -> list[str]:
        """Problems unless every letter is in its mailbox exactly once (read over IMAP at
        the mailbox's address in state ``step``; waits for the delivery)."""
        entries, deadline = self.workload.entries(step), time.monotonic() + timeout
        while True:
            problems, bounced = [], []
            for key in sorted({key for key, _ in self.letters}):
                address = entries[key].address
                subjects = self.probe.inbox_subjects(address)
                wrong = [s for k, s in self.letters if k == key and subjects.count(s) != 1]
                problems += [f"{key}: the letter {s!r} is in {address} {subjects.count(s)} "
                             "times, not once" for s in wrong]
                bounced += [f"{s!r}: {' | '.join(self._bounced(s))}" for s in wrong
                            if self._bounced(s)]
            if len(bounced) == len(problems) or time.monotonic() > deadline:
                return problems + bounced
            time.sleep(0.5)

    def mail_follows(self, seen: dict[str, View], entries: dict[str, Entry],
                     posted: dict[str, tuple[str, str]], timeout: float = 30) -> list[str]:
        """At the address each mailbox logs in at: the letter just ``posted`` has arrived
        (before anything changes the server again), and a marked mailbox still shows its
        marker, exactly once."""
        problems = []
        for key, (letter, sent_to) in posted.items():
            password = self.passwords.get(key)
            working = [a for a in sorted(addresses_of(entries[key])) if seen[a][2] == RIGHT]
            if password is None or not working:
                continue  # compare() tells why it cannot log in
            subjects = self._awaited(working[0], letter, timeout)
            if letter not in subjects:
                fate = " | ".join(self._bounced(letter)) or f"not there after {timeout} s"
                problems.append(f"{key}: the letter {letter!r} sent to {sent_to} did not "
                                f"reach {working[0]}: {fate}")
            if key in self.markers and subjects.count(self.markers[key]) != 1:
                problems.append(f"{key}: logged in as {working[0]}, the INBOX holds "
                                f"{subjects.count(self.markers[key])} copies of "
                                f"{self.markers[key]!r}, not 1")
        return problems

    def _awaited(self, address: str, subject: str, timeout: float) -> list:
        """The subjects in the INBOX of ``address`` once the letter ``subject`` is among
        them, or Postfix bounced it, or the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            subjects = self.probe.inbox_subjects(address)
            if subject in subjects or time.monotonic() > deadline or self._bounced(subject):
                return subjects
            time.sleep(0.2)

    def _bounced(self, subject: str) -> list[str]:
        """What Postfix logged of the letter ``subject`` if it bounced it."""
        fates = mail_fates(self.probe.postfix_dir, {letter_id(subject)})[letter_id(subject)]
        return fates if any("status=bounced" in fate for fate in fates) else []

    def _passwords_by_address(self, *states: dict[str, Entry]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for state in states:
            for key, entry in state.items():
                for address in addresses_of(entry):
                    found[address] = self.passwords.get(key)
        return found


# --- mail sent while applies run ---------------------------------------------------------

@dataclass
class Sent:
    """One numbered message: to whom, when, and the server's last answer."""

    number: int
    to: str
    message_id: str
    started: float
    finished: float
    answer: str  # "accepted", or the refusal
    tries: int


class Sender(threading.Thread):
    """Numbered messages over SMTP, a connection each, one every ``pace`` seconds at most,
    until ``limit``, ``deadline`` or ``stop``; an answer 4xx (or a dropped connection) is
    retried, up to ``tries`` times."""

    def __init__(self, port: int, sender: str, recipients: list[str], limit: int,
                 deadline: float, pace: float = 0.0, tries: int = 10):
        super().__init__(daemon=True)
        self.port, self.sender, self.recipients = port, sender, recipients
        self.tag = f"{sender.partition('@')[0]}-{os.urandom(4).hex()}"  # unique Message-IDs
        self.limit, self.deadline, self.pace, self.tries = limit, deadline, pace, tries
        self.sent: list[Sent] = []
        self.stop = threading.Event()

    def run(self) -> None:
        for number in range(self.limit):
            if self.stop.wait(max(self.pace - self._since_last(), 0)):
                return
            if time.monotonic() > self.deadline:
                return
            self.sent.append(self._send(number))

    def _since_last(self) -> float:
        return time.monotonic() - self.sent[-1].started if self.sent else self.pace

    def _send(self, number: int) -> Sent:
        to = self.recipients[number % len(self.recipients)]
        message_id = f"<{self.tag}-{number}@e2e.example.org>"
        started = time.monotonic()
        tries = 0
        while True:
            tries += 1
            answer = self._try(to, message_id, number)
            if not answer.startswith("4") or tries >= self.tries:
                break
            time.sleep(0.2)
        return Sent(number, to, message_id, started, time.monotonic(), answer, tries)

    def _try(self, to: str, message_id: str, number: int) -> str:
        import smtplib

        full = f"{to}@{DOMAIN}"
        message = (f"From: {self.sender}\r\nTo: {full}\r\nSubject: {self.tag} {number}\r\n"
                   f"Message-ID: {message_id}\r\n\r\nmessage {number}\r\n")
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as smtp:
                smtp.sendmail(self.sender, [full], message.encode())
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients[full]
            return f"{code} {text.decode(errors='replace')}"
        except smtplib.SMTPResponseException as error:
            return f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"
        except (OSError, smtplib.SMTPException) as error:
            return f"4xx connection: {error}"
        return "accepted"


def mail_fates(postfix_dir: pathlib.Path, message_ids: set[str]) -> dict[str, list[str]]:
    """What Postfix's log says became of each message: its delivery status lines."""
    log = _config_value(["postconf", "-c", str(postfix_dir), "-h", "maillog_file"])
    queue_ids, fates = {}, collections.defaultdict(list)
    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = re.search(r" ([0-9A-F]{6,}): (message-id=(\S+)|.*status=.*)$", line)
            if match and match[3] in message_ids:
                queue_ids[match[1]] = match[3]
            elif match and match[1] in queue_ids:
                fates[queue_ids[match[1]]].append(match[2][:300])
    return fates


if __name__ == "__main__":
    print(json.dumps(drive(sys.argv[1], sys.argv[2])))
