"""Idle IMAP clients (issue 16, part 3): thousands of sessions in IDLE on the benchmark's server.

Method. A province of ``ACCOUNTS`` mailboxes is applied; each account's initial password is
changed once the way the password page changes it (the server refuses an initial password
until then), and kept in memory only. ``SESSIONS`` IMAP sessions (asyncio, plain IMAP on
loopback, ``SESSIONS // ACCOUNTS`` per account) log in, select INBOX and enter IDLE. Then:

- **memory**: the resident memory (``VmRSS``) of every Postfix and Dovecot process of this
  server (the two masters and all their children), summed, sampled every second while the
  sessions idle. A page shared by several processes (the libraries, Dovecot's config) counts
  once per process in that sum, so it overstates what the processes take; ``Pss`` (each
  shared page divided among its sharers, from smaps_rollup) is shown beside it;
- **hibernation**: how many imap processes remain, and the imap-hibernate processes;
- **new mail**: ``MESSAGES`` messages, each to another idling account, by SMTP to Postfix;
  the delay from the start of the SMTP session to the untagged ``EXISTS`` at the first
  idling session of that account (Postfix, LMTP, the inotify wake-up, a new imap process);
- **new logins**: ``LOGINS`` logins (LOGIN, SELECT, LOGOUT), one at a time, while the
  sessions idle.

Each idle session holds an inotify instance of the vmail user's; Linux allows 128 per user
by default. Systemd mode sets fs.inotify.max_user_instances (the role's sysctl.d file);
embedded mode changes no sysctl, so the part raises it for its run, as that file would, and
restores it after. Everything is bounded; every session is closed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import smtplib
import statistics
import sys
import threading
import time

TITLE = "Idle IMAP clients"
ACCOUNTS = int(os.environ.get("BENCH_IDLE_ACCOUNTS", "500"))
SESSIONS = int(os.environ.get("BENCH_IDLE_SESSIONS", "5000"))
MESSAGES = int(os.environ.get("BENCH_IDLE_MESSAGES", "50"))
LOGINS = int(os.environ.get("BENCH_IDLE_LOGINS", "50"))
CONNECT_CONCURRENCY = 40
HIBERNATE_WAIT = 180.0  # seconds for the sessions to be hibernated
MESSAGE_WAIT = 30.0  # seconds one message may take to reach its idling sessions
OPEN_DEADLINE = 1200.0  # seconds to open every session
TARGET_MEMORY_MB = 2048
TARGET_DELAY_S = 2.0
INOTIFY = "/proc/sys/fs/inotify/max_user_instances"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(ctx) -> dict:
    load_start = [round(x, 2) for x in os.getloadavg()]
    _raise_nofile(SESSIONS + 1000)
    result: dict = {"accounts": ACCOUNTS, "sessions_wanted": SESSIONS,
                    "load_average_start": load_start, "method": __doc__.split("\n\n", 1)[1]}
    province = ctx.provision(ACCOUNTS)
    addresses = province["addresses"]
    started = time.perf_counter()
    passwords = _changed_passwords(ctx.server.state_dir, addresses)
    result["password_changes_s"] = round(time.perf_counter() - started, 1)
    result["accounts"] = len(passwords)
    server = _Server(ctx.server.state_dir, int(ctx.server.extra_vars["imap_port"]),
                     int(ctx.server.extra_vars["smtp_port"]))
    result["memory_before"] = server.memory()
    inotify_before = _read_int(INOTIFY)
    needed = SESSIONS * 2 + 256
    try:
        if inotify_before is not None and inotify_before < needed:
            _write(INOTIFY, needed)
        result["inotify_max_user_instances"] = {"host": inotify_before,
                                                "during": _read_int(INOTIFY)}
        result.update(asyncio.run(_measure(server, passwords)))
    finally:
        if inotify_before is not None and _read_int(INOTIFY) != inotify_before:
            _write(INOTIFY, inotify_before)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def render(result: dict) -> str:
    memory, delay, login = result["memory"], result["delay"], result["logins"]
    rows = [
        ("IDLE sessions held", f"{result['sessions']:,} of {result['sessions_wanted']:,} "
                               f"({result['accounts']:,} accounts)", "5,000"),
        ("imap processes / hibernate processes, hibernated",
         f"{result['hibernation']['imap']} / {result['hibernation']['imap-hibernate']}", ""),
        ("RSS of every Postfix + Dovecot process, max while idle",
         f"{memory['rss_max_mb']:,.0f} MB ({memory['processes_at_max']} processes)",
         f"≤ {TARGET_MEMORY_MB:,} MB"),
        ("  Pss of the same sample (a shared page counted once)",
         f"{memory['pss_at_max_mb']:,.0f} MB", f"≤ {TARGET_MEMORY_MB:,} MB"),
        ("  Pss, max of every sample", f"{memory['pss_max_mb']:,.0f} MB", ""),
        ("  last sample, all sessions idle: Rss / Pss",
         f"{memory['rss_last_mb']:,.0f} / {memory['pss_last_mb']:,.0f} MB "
         f"({memory['processes_last']} processes)", ""),
        ("  before any session (RSS)", f"{result['memory_before']['rss_mb']:,.0f} MB", ""),
        ("delivery to EXISTS at the idling client, p50 / p99 / max",
         f"{delay['p50']:.2f} / {delay['p99']:.2f} / {delay['max']:.2f} s "
         f"({delay['arrived']} of {delay['sent']})", f"≤ {TARGET_DELAY_S} s"),
        ("new login + SELECT + LOGOUT while idle, p50 / p99",
         f"{login['p50']:.3f} / {login['p99']:.3f} s ({login['ok']} of {login['tried']} ok)",
         "served"),
        ("opening the sessions", f"{result['open_s']:.0f} s "
                                 f"({result['sessions'] / max(result['open_s'], 0.001):.0f}/s)",
         ""),
    ]
    lines = ["| figure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    notes = [
        f"Load average {result['load_average_start']} at the start, "
        f"{result['load_average_end']} at the end.",
        f"fs.inotify.max_user_instances: {result['inotify_max_user_instances']['host']} on "
        f"the host, {result['inotify_max_user_instances']['during']} during the part "
        "(systemd mode's sysctl.d file sets it; embedded mode changes no sysctl).",
        f"Setup: {result['password_changes_s']} s to change the {result['accounts']} initial "
        "passwords (not measured further).",
    ]
    if result.get("errors"):
        notes.append(f"Errors ({len(result['errors'])}, first ones): "
                     + "; ".join(result["errors"][:3]))
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


# --- the accounts -------------------------------------------------------------------------

def _changed_passwords(state_dir: str, addresses: list[str]) -> dict[str, str]:
    """Each account's password, changed from the issued one as the password page does."""
    sys.path.insert(0, os.path.join(ROOT, ".collections"))
    from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
    from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
        backend_from_settings,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
    from ansible_collections.hungyen.mail.plugins.module_utils.password import change
    issued = _issued(state_dir)
    domain = addresses[0].split("@", 1)[1]
    issued = {(a if "@" in a else f"{a}@{domain}"): p for a, p in issued.items()}
    addresses = [a for a in addresses if a in issued]
    if not addresses:
        raise RuntimeError("no initial password in the operator's notices")
    backend = backend_from_settings(state_dir, domain)
    settings = passwords.HashSettings(time_cost=1, memory_kib=8192, parallelism=1)
    changed = {}
    for address in addresses[:ACCOUNTS + 10]:
        if len(changed) >= ACCOUNTS:
            break
        for _attempt in range(20):  # a random one may hold a word of the name: again
            new = passwords.generate()
            answer = change.change_password(backend, address, issued[address], new,
                                            now=clock.now().isoformat(), min_length=8,
                                            hash_settings=settings, lock_timeout=60)
            if answer.get("status") != 400:
                break
        if answer.get("status") == 200:
            changed[address] = new
        # Refused (HYM021): not an account's own initial password (the operator's notice
        # names other credentials too): that address is left out.
    if not changed:
        raise RuntimeError("no initial password could be changed")
    time.sleep(1.1)  # Dovecot looks at a changed passwd-file once a second
    return changed


def _issued(state_dir: str) -> dict[str, str]:
    """The initial passwords of the operator's notices (outbox), by address."""
    found: dict[str, str] = {}
    outbox = os.path.join(state_dir, "outbox")
    for name in sorted(os.listdir(outbox)):
        if name.endswith(".jsonl"):
            with open(os.path.join(outbox, name), encoding="utf-8") as handle:
                for line in handle:
                    _credentials(json.loads(line), found)
    return found


def _credentials(value, found: dict[str, str]) -> None:
    """Every {"address", "password"} pair anywhere in a notice (persons' and units')."""
    if isinstance(value, dict):
        if isinstance(value.get("address"), str) and isinstance(value.get("password"), str):
            found[value["address"].lower()] = value["password"]
        for item in value.values():
            _credentials(item, found)
    elif isinstance(value, list):
        for item in value:
            _credentials(item, found)


# --- the server's processes ---------------------------------------------------------------

class _Server:
    def __init__(self, state_dir: str, imap_port: int, smtp_port: int):
        self.state_dir, self.imap_port, self.smtp_port = state_dir, imap_port, smtp_port

    def masters(self) -> list[int]:
        pids = []
        for path in ("run/dovecot/master.pid", "spool/pid/master.pid"):
            text = _read(os.path.join(self.state_dir, path)).split()
            if text and text[0].isdigit():
                pids.append(int(text[0]))
        return pids

    def processes(self) -> dict[int, str]:
        """Every process of the two masters' trees, by pid, with its name."""
        children: dict[int, list[int]] = {}
        names: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(IndexError, ValueError):
                    stat = _read(f"/proc/{entry}/stat")
                    name = stat[stat.index("(") + 1:stat.rindex(")")]
                    ppid = int(stat[stat.rindex(")") + 2:].split()[1])
                    names[int(entry)] = name
                    children.setdefault(ppid, []).append(int(entry))
        found, todo = {}, [pid for pid in self.masters() if pid in names]
        while todo:
            pid = todo.pop()
            found[pid] = names[pid]
            todo += children.get(pid, [])
        return found

    def memory(self, pss: bool = False) -> dict:
        rss = total_pss = 0
        processes = self.processes()
        for pid in processes:
            rss += _status_kb(pid, "VmRSS")
            if pss:
                total_pss += _rollup_kb(pid, "Pss")
        found = {"rss_mb": round(rss / 1024, 1), "processes": len(processes)}
        if pss:
            found["pss_mb"] = round(total_pss / 1024, 1)
        return found

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in self.processes().values():
            counts[name] = counts.get(name, 0) + 1
        return counts


def _status_kb(pid: int, field: str) -> int:
    return _field_kb(f"/proc/{pid}/status", field)


def _rollup_kb(pid: int, field: str) -> int:
    return _field_kb(f"/proc/{pid}/smaps_rollup", field)


def _field_kb(path: str, field: str) -> int:
    for line in _read(path).splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


# --- the sessions -------------------------------------------------------------------------

class _Session:
    """One IMAP session in IDLE; notes when an EXISTS arrives."""

    def __init__(self, address: str):
        self.address = address
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.exists_at: float | None = None
        self.task: asyncio.Task | None = None

    async def open(self, port: int, password: str) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port, limit=65536)
        await self._line()
        await self._command(b"a", f'LOGIN "{self.address}" "{password}"'.encode())
        await self._command(b"b", b"SELECT INBOX")
        self.writer.write(b"c IDLE\r\n")
        while not (await self._line()).startswith(b"+"):
            pass

    async def _line(self) -> bytes:
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("closed by the server")
        return line

    async def _command(self, tag: bytes, text: bytes) -> None:
        self.writer.write(tag + b" " + text + b"\r\n")
        while True:
            line = await self._line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise ConnectionError(line[:60].decode(errors="replace").split(" ", 1)[-1])
                return

    def listen(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            while True:
                line = await self._line()
                if line.endswith(b" EXISTS\r\n") and self.exists_at is None:
                    self.exists_at = time.monotonic()

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        if self.writer:
            with contextlib.suppress(OSError, ConnectionError):
                self.writer.write(b"DONE\r\nz LOGOUT\r\n")
                self.writer.close()
                await asyncio.wait_for(self.writer.wait_closed(), 5)
            self.writer.transport.abort()


async def _measure(server: _Server, passwords: dict[str, str]) -> dict:
    addresses = sorted(passwords)
    sessions = [_Session(addresses[i % len(addresses)]) for i in range(SESSIONS)]
    errors: list[str] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    opened: list[_Session] = []

    async def open_one(session: _Session) -> None:
        async with gate:
            try:
                await asyncio.wait_for(session.open(server.imap_port, passwords[session.address]),
                                       60)
                session.listen()
                opened.append(session)
            except (TimeoutError, OSError, ConnectionError) as error:
                errors.append(f"open: {type(error).__name__} {error}"[:120])
                await session.close()

    sampler = _Sampler(server)
    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*(open_one(s) for s in sessions)), OPEN_DEADLINE)
        open_s = time.monotonic() - started
        hibernation = await _hibernated(server, len(opened))
        sampler.start()
        delay = await _deliveries(server, opened)
        logins = await asyncio.to_thread(_logins, server, passwords)
        await asyncio.sleep(3)
        sampler.stop()
        alive = sum(1 for s in opened if s.task and not s.task.done())
    finally:
        sampler.stop()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return {"sessions": len(opened), "alive_at_end": alive, "open_s": round(open_s, 1),
            "hibernation": hibernation, "memory": sampler.result(), "delay": delay,
            "logins": logins, "errors": errors}


async def _hibernated(server: _Server, sessions: int) -> dict:
    """Waits until the imap processes are few (the sessions hibernated), bounded."""
    deadline = time.monotonic() + HIBERNATE_WAIT
    started = time.monotonic()
    while True:
        counts = server.counts()
        if counts.get("imap", 0) <= max(10, sessions // 100) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    return {"imap": counts.get("imap", 0), "imap-hibernate": counts.get("imap-hibernate", 0),
            "imap-login": counts.get("imap-login", 0),
            "waited_s": round(time.monotonic() - started, 1)}


async def _deliveries(server: _Server, opened: list[_Session]) -> dict:
    by_account: dict[str, list[_Session]] = {}
    for session in opened:
        by_account.setdefault(session.address, []).append(session)
    targets = list(by_account)[:MESSAGES]
    delays = []
    for index, address in enumerate(targets):
        idle = by_account[address]
        sent = time.monotonic()
        await asyncio.to_thread(_send, server.smtp_port, address, index)
        deadline = sent + MESSAGE_WAIT
        while time.monotonic() < deadline and not any(s.exists_at for s in idle):
            await asyncio.sleep(0.01)
        arrived = [s.exists_at for s in idle if s.exists_at]
        if arrived:
            delays.append(min(arrived) - sent)
        await asyncio.sleep(0.2)
    ordered = sorted(delays) or [float("nan")]
    return {"sent": len(targets), "arrived": len(delays),
            "p50": statistics.median(ordered), "p99": _percentile(ordered, 99),
            "max": ordered[-1]}


def _send(port: int, address: str, index: int) -> None:
    message = (f"From: bench@example.org\r\nTo: {address}\r\nSubject: idle {index}\r\n\r\n"
               "x\r\n").encode()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo("bench.example.org")
        smtp.sendmail("bench@example.org", [address], message)


def _logins(server: _Server, passwords: dict[str, str]) -> dict:
    import imaplib

    addresses = sorted(passwords)
    took, ok = [], 0
    for index in range(LOGINS):
        address = addresses[(index * 7) % len(addresses)]
        started = time.monotonic()
        try:
            imap = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=30)
            imap.login(address, passwords[address])
            imap.select("INBOX", readonly=True)
            imap.logout()
            ok += 1
        except (imaplib.IMAP4.error, OSError):
            pass
        took.append(time.monotonic() - started)
    ordered = sorted(took)
    return {"tried": LOGINS, "ok": ok, "p50": statistics.median(ordered),
            "p99": _percentile(ordered, 99)}


class _Sampler:
    """The servers' memory every second, in a thread (reading /proc takes a while)."""

    def __init__(self, server: _Server):
        self.server = server
        self.samples: list[dict] = []
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.halt.set()
        if self.thread.is_alive():
            self.thread.join(30)

    def _loop(self) -> None:
        while not self.halt.is_set():
            # Pss in the same sample: a page shared by n processes counts 1/n in each, so the
            # sum is what they hold together; an Rss sum counts a shared page n times.
            self.samples.append(self.server.memory(pss=True))
            self.halt.wait(1.0)

    def result(self) -> dict:
        if not self.samples:
            return {"rss_max_mb": float("nan"), "processes_at_max": 0,
                    "pss_at_max_mb": float("nan"), "pss_max_mb": float("nan"), "samples": 0}
        peak = max(self.samples, key=lambda s: s["rss_mb"])
        last = self.samples[-1]
        return {"rss_max_mb": peak["rss_mb"], "processes_at_max": peak["processes"],
                "pss_at_max_mb": peak["pss_mb"],
                "pss_max_mb": max(sample["pss_mb"] for sample in self.samples),
                "rss_last_mb": last["rss_mb"], "pss_last_mb": last["pss_mb"],
                "processes_last": last["processes"], "samples": len(self.samples)}


# --- small helpers ------------------------------------------------------------------------

def _percentile(ordered: list[float], percent: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def _raise_nofile(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(wanted, soft), hard), hard))


def _read_int(path: str) -> int | None:
    text = _read(path).strip()
    return int(text) if text.isdigit() else None


def _write(path: str, value: int) -> None:
    with contextlib.suppress(OSError), open(path, "w", encoding="ascii") as handle:
        handle.write(f"{value}\n")


if __name__ == "__main__":
    # Alone: the benchmark's runner with this part only (its server, its results.md).
    os.environ["PYTHONPATH"] = os.path.join(ROOT, ".collections")
    os.execv(sys.executable, [sys.executable, os.path.join(ROOT, "bench", "run.py"),
                              "--parts", "idle", *sys.argv[1:]])
