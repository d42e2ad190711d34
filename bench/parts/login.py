"""Login storms (issue 16, part 2): clients logging in and out again and again.

Accounts are provisioned with the bench's cheap hash, then given known passwords in one
batch, as a user's own change does (``set_password_hashes``: one generation, the cache
flushed): Argon2id at the production setting (t=3, 64 MiB, p=1, inventory/production.example)
or SHA512-CRYPT (5,000 rounds), the price of Argon2id. The passwords stay in this process.

Each client is a thread: raw sockets for IMAP (connect, LOGIN, LOGOUT), smtplib for submission
(EHLO, STARTTLS, AUTH: Postfix offers AUTH only inside TLS, QUIT); a login's time runs from the
connect to the server's OK. Cases:
- first logins: Dovecot's auth cache emptied (``doveadm auth cache flush``) before each round
  of every account once, so each login pays its hash (in the auth workers, one per CPU);
- returning users: every account logged in once before (IMAP), then random accounts for a
  fixed time, answered from the cache (a SHA1 of the password in the auth process's memory).
Every case is bounded: no login begins after DURATION seconds (the warm-up: 10x that).
"""

from __future__ import annotations

import os
import random
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.hungyen.mail.plugins.module_utils.apply import (  # noqa: E402
    journal,
    passwords,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (  # noqa: E402
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock  # noqa: E402
from ansible_collections.hungyen.mail.plugins.module_utils.password.change import (  # noqa: E402
    PasswordChanged,
)

from . import ports  # noqa: E402

TITLE = "Login storms (issue 16, part 2)"
ACCOUNTS = 128
CLIENTS = 32
DURATION = 10.0  # seconds per case (the round or login under way finishes)
TIMEOUT = 60.0
PRODUCTION = passwords.HashSettings(time_cost=3, memory_kib=65536, parallelism=1)


def run(ctx) -> dict:
    load_start = os.getloadavg()
    people = ctx.provision(ACCOUNTS)
    server = ctx.server
    domain = people["addresses"][0].split("@", 1)[1]
    storm = Storm(server.state_dir, domain, people["addresses"])
    cases = []
    for scheme in ("ARGON2ID", "SHA512-CRYPT"):
        storm.set_passwords(scheme)
        plan = [("first", "imap", 1), ("first", "imap", CLIENTS)]
        if scheme == "ARGON2ID":
            plan += [("first", "submission", CLIENTS)]
        plan += [("returning", "imap", 1), ("returning", "imap", CLIENTS)]
        if scheme == "ARGON2ID":
            plan += [("returning", "imaps", CLIENTS), ("returning", "submission", CLIENTS)]
        for kind, protocol, clients in plan:
            figures = storm.case(kind, protocol, clients)
            cases.append({"scheme": scheme, "kind": kind, "protocol": protocol,
                          "clients": clients, **figures})
    return {"accounts": ACCOUNTS, "duration_s": DURATION, "cases": cases,
            "auth_workers": storm.auth_workers(), "cpus": os.cpu_count(),
            "load_start": list(load_start), "load_end": list(os.getloadavg()),
            "method": __doc__.strip()}


def render(result: dict) -> str:
    rows = ["| hash | logins | protocol | clients | logins/s | p50 ms | p99 ms | logins | "
            "failed |", "|---|---|---|---|---|---|---|---|---|"]
    for case in result["cases"]:
        rows.append(f"| {case['scheme']} | {case['kind']} | {case['protocol']} | "
                    f"{case['clients']} | {case['rate']:.1f} | {case['p50_ms']:.0f} | "
                    f"{case['p99_ms']:.0f} | {case['logins']} | {case['failed']} |")
    failures = [f"- {c['scheme']} {c['kind']} {c['protocol']} x{c['clients']}: "
                + ", ".join(f"{why} ({count})" for why, count in sorted(c["reasons"].items()))
                for c in result["cases"] if c.get("reasons")]
    by = {(c["scheme"], c["kind"], c["protocol"], c["clients"]): c for c in result["cases"]}
    notes = []
    one, many = by.get(("ARGON2ID", "first", "imap", 1)), by.get(("ARGON2ID", "first", "imap",
                                                                  CLIENTS))
    if one and many and one["rate"]:
        notes.append(f"First logins at Argon2id: {many['rate'] / one['rate']:.2f}x the "
                     f"one-client rate with {CLIENTS} clients (target >= 1.8x).")
    back = by.get(("ARGON2ID", "returning", "imap", CLIENTS))
    if back:
        notes.append(f"Returning users at Argon2id, {CLIENTS} clients: {back['rate']:.0f} "
                     f"logins/s, p99 {back['p99_ms']:.0f} ms (target >= 150/s, p99 <= 300 ms).")
    load = (f"Load average at the start {', '.join(f'{x:.2f}' for x in result['load_start'])}; "
            f"at the end {', '.join(f'{x:.2f}' for x in result['load_end'])}.")
    return "\n".join([
        f"{result['accounts']} accounts, {result['duration_s']:.0f} s per case, "
        f"{result['auth_workers']} auth workers, {result['cpus']} CPUs. "
        "imap: plain LOGIN on loopback; imaps: implicit TLS; submission: STARTTLS then AUTH "
        "PLAIN (Postfix offers AUTH only inside TLS). A login's time runs from the connect to "
        "the OK.", "", *rows, "", *(["Failed logins:", *failures, ""] if failures else []),
        *notes, load, ""])


class Storm:
    """The accounts, their passwords (in memory only) and the server's ports."""

    def __init__(self, state_dir: str, domain: str, addresses: list[str]):
        self.state_dir, self.domain, self.addresses = state_dir, domain, addresses
        self.config = os.path.join(state_dir, "etc", "dovecot", "dovecot.conf")
        self.passwords: dict[str, str] = {}
        self.warm = False
        self.reasons: dict[str, int] = {}  # why logins failed, per case
        self.ports = ports(state_dir)
        self.tls = tls_context(os.path.join(state_dir, "tls", "ca.pem"))

    def set_passwords(self, scheme: str) -> None:
        """New random passwords for every account, hashed with ``scheme``, as one batch."""
        backend = backend_from_settings(self.state_dir, self.domain)
        state = backend.load()
        now = clock.now().isoformat()
        chosen = {address: passwords.generate(14) for address in self.addresses}
        hashed = parallel_hash(chosen, scheme)
        updates, entries = {}, []
        for address in self.addresses:
            local = address.split("@", 1)[0]
            updates[local] = (state.hashes[local], hashed[address], now)
            entries.append({"v": journal.JOURNAL_VERSION, "at": now,
                            "action": "password_changed", "address": local,
                            "agency": state.accounts[local].agency,
                            "kind": state.accounts[local].kind, "client": "bench"})
        done = backend.set_password_hashes(
            updates, now=now, after=PasswordChanged(self.state_dir, self.domain, *entries))
        if sorted(done["set"]) != sorted(updates):
            raise RuntimeError(f"passwords not set for {sorted(set(updates) - set(done['set']))}")
        self.passwords = chosen
        self.warm = False  # the change flushed every account's entry
        time.sleep(1.1)  # Dovecot's passwd-files (must-change) are looked at once a second

    def auth_workers(self) -> int:
        with open(self.config, encoding="utf-8") as handle:
            found = re.search(r"service auth-worker \{\s*process_limit = (\d+)", handle.read())
        return int(found.group(1)) if found else 0

    def flush(self) -> None:
        subprocess.run(["doveadm", "-c", self.config, "auth", "cache", "flush"],
                       capture_output=True, check=True, timeout=TIMEOUT)

    def case(self, kind: str, protocol: str, clients: int) -> dict:
        login = getattr(self, f"login_{protocol}")
        self.reasons = {}
        if kind == "returning":
            if not self.warm:  # every account verified once (the first returning case)
                self.each_once(self.login_imap, CLIENTS, time.monotonic() + 10 * DURATION)
                self.warm = True
            self.reasons = {}
            return {**self.measure(lambda rnd: login(rnd.choice(self.addresses)), clients),
                    "reasons": self.reasons}
        self.warm = False
        times, failed, start = [], [0], time.monotonic()
        while time.monotonic() - start < DURATION:
            self.flush()
            round_times, round_failed = self.each_once(login, clients, start + DURATION)
            times += round_times
            failed[0] += round_failed
        return {**figures(times, failed[0], time.monotonic() - start), "reasons": self.reasons}

    def each_once(self, login, clients: int, deadline: float) -> tuple[list[float], int]:
        """Every account logs in once, ``clients`` at a time, none begun after ``deadline``."""
        queue = list(self.addresses)
        random.shuffle(queue)
        lock = threading.Lock()
        times, failed = [], [0]
        reasons = self.reasons

        def worker():
            while True:
                with lock:
                    if not queue or time.monotonic() >= deadline:
                        return
                    address = queue.pop()
                took = login(address)
                with lock:
                    tally(took, times, failed, reasons)

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return times, failed[0]

    def measure(self, one, clients: int) -> dict:
        """``clients`` threads calling ``one`` for DURATION seconds."""
        lock, times, failed = threading.Lock(), [], [0]
        reasons = self.reasons
        start = time.monotonic()

        def worker(seed: int):
            rnd = random.Random(seed)
            while time.monotonic() - start < DURATION:
                took = one(rnd)
                with lock:
                    tally(took, times, failed, reasons)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return figures(times, failed[0], time.monotonic() - start)

    # One login each: its seconds, or why it failed (a short text, never a password).
    def login_imap(self, address: str, wrap: bool = False) -> float | str:
        start = time.monotonic()
        try:
            port = self.ports["imaps" if wrap else "imap"]
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
                sock = self.tls.wrap_socket(raw, server_hostname=self.ports["hostname"]) \
                    if wrap else raw
                reader = sock.makefile("rb")
                reader.readline()  # greeting
                sock.sendall(b"a LOGIN " + quoted(address) + b" "
                             + quoted(self.passwords[address]) + b"\r\n")
                line = read_tagged(reader, b"a ")
                took = time.monotonic() - start
                sock.sendall(b"b LOGOUT\r\n")
                read_tagged(reader, b"b ")
                return took if line.startswith(b"a OK") else \
                    "imap: " + line[2:40].decode(errors="replace").strip()
        except (OSError, ssl.SSLError) as error:
            return f"imap: {type(error).__name__}"

    def login_imaps(self, address: str) -> float | str:
        return self.login_imap(address, wrap=True)

    def login_submission(self, address: str) -> float | str:
        start = time.monotonic()
        try:
            with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=TIMEOUT) as smtp:
                smtp.ehlo("bench.example.org")
                smtp.starttls(context=self.tls)
                smtp.ehlo("bench.example.org")
                code, _text = smtp.login(address, self.passwords[address])
                took = time.monotonic() - start
            return took if code == 235 else f"submission: AUTH {code}"
        except smtplib.SMTPResponseException as error:
            return f"submission: {error.smtp_code}"
        except (OSError, ssl.SSLError, smtplib.SMTPException) as error:
            return f"submission: {type(error).__name__} {str(error)[:60]}"


def tls_context(ca_file: str) -> ssl.SSLContext:
    """Verifying against the server's own CA when it is there; without it (the bench's reset
    empties state_dir/tls while the servers keep the certificate they loaded) the same TLS
    handshake and cipher, unverified: the figure is the handshake's cost, not its trust."""
    if os.path.exists(ca_file):
        return ssl.create_default_context(cafile=ca_file)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def quoted(text: str) -> bytes:
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


def read_tagged(reader, tag: bytes) -> bytes:
    while True:
        line = reader.readline()
        if not line or line.startswith(tag):
            return line


def tally(took: float | str, times: list[float], failed: list[int], reasons: dict) -> None:
    """Count one login: its seconds, or its failure and reason (under the caller's lock)."""
    if isinstance(took, str):
        failed[0] += 1
        reasons[took] = reasons.get(took, 0) + 1
    else:
        times.append(took)


def figures(times: list[float], failed: int, wall: float) -> dict:
    ordered = sorted(times)

    def quantile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    return {"logins": len(times), "failed": failed, "wall_s": round(wall, 2),
            "rate": len(times) / wall if wall else 0.0,
            "p50_ms": quantile(0.50), "p99_ms": quantile(0.99)}


def parallel_hash(chosen: dict[str, str], scheme: str) -> dict[str, str]:
    """The stored hash of every password, on every CPU."""
    items = sorted(chosen.items())
    out: dict[str, str] = {}
    lock = threading.Lock()

    def worker(part):
        for address, password in part:
            if scheme == "ARGON2ID":
                value = passwords.hash_password(password, PRODUCTION)
            else:
                value = sha512_crypt(password)
            with lock:
                out[address] = value

    count = os.cpu_count() or 1
    threads = [threading.Thread(target=worker, args=(items[n::count],)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def sha512_crypt(password: str) -> str:
    """{SHA512-CRYPT} with 5,000 rounds (glibc's crypt, as Dovecot's doveadm pw makes it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # pylint: disable=deprecated-module

        return "{SHA512-CRYPT}" + crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))
