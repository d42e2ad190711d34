"""Many idle IMAP clients (issue 16, part 3) against the real Postfix + Dovecot: a hundred
sessions in IDLE are hibernated (their imap processes end, imap-hibernate holds them), a
message delivered to one account reaches every idling session of it (the untagged EXISTS),
a new login is served while they idle, and every session still answers DONE afterwards;
an apply that locks an account ends its hibernated sessions too (issue 13, item 6).
How fast is the benchmark's (bench/parts/idle.py); here every wait is bounded and generous.

A hundred sessions, not thousands: each idle session holds an inotify instance of the vmail
user, and Linux allows 128 per user by default (embedded mode changes no sysctl)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import select
import socket
import time
from dataclasses import replace

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from e2e_support import DOMAIN, PORTS, mailbox, wait_for

pytestmark = pytest.mark.server
ACCOUNTS = 10
SESSIONS_PER_ACCOUNT = 10  # from one address: within mail_max_userip_connections
WAIT = 90.0  # seconds: hibernation (imap_hibernate_timeout), then the delivery
LOCK_LETTER = Request("405/STTTT-KHOA", "2026-11-30")


class Idle:
    """One raw IMAP session: logged in, INBOX selected, in IDLE."""

    def __init__(self, local: str, password: str):
        self.local = local
        self.sock = socket.create_connection(("127.0.0.1", PORTS["imap_port"]), timeout=60)
        self.buffer = b""
        self.read_until(b"\r\n")  # the greeting
        self.command(b"a LOGIN", f'"{local}@{DOMAIN}" "{password}"'.encode())
        self.command(b"b SELECT", b"INBOX")
        self.sock.sendall(b"c IDLE\r\n")
        self.read_until(b"+ idling\r\n")
        self.buffer = b""

    def command(self, tagged: bytes, args: bytes) -> None:
        """Send a command; its tagged answer must be OK (untagged lines are skipped)."""
        tag = tagged.split()[0] + b" "
        self.sock.sendall(tagged + b" " + args + b"\r\n")
        line = self.read_until(b"\r\n")
        while not line.startswith(tag):
            line = self.read_until(b"\r\n")
        assert line.startswith(tag + b"OK"), f"{self.local}: {tagged.decode()} {line[:80]!r}"

    def read_until(self, marker: bytes, timeout: float = 60) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise AssertionError(f"{self.local}: no {marker!r} within {timeout} s")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"{self.local}: connection closed waiting for {marker!r}")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def done(self) -> bool:
        """DONE ends the IDLE with OK (the session was alive throughout)."""
        self.sock.sendall(b"DONE\r\n")
        try:
            self.read_until(b"c OK", timeout=60)
        except AssertionError:
            return False
        return True

    def ended(self, timeout: float) -> bool:
        """Whether the server closes the session (BYE, then EOF) within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not select.select([self.sock], [], [], deadline - time.monotonic())[0]:
                break
            try:
                if not self.sock.recv(65536):
                    return True
            except OSError:
                return True
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"z LOGOUT\r\n")
        with contextlib.suppress(OSError):
            self.sock.close()


def dovecot_children(state_dir: pathlib.Path) -> dict[str, int]:
    """How many processes of each name the server's Dovecot master runs."""
    master = int((state_dir / "run" / "dovecot" / "master.pid").read_text().split()[0])
    names: dict[str, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = pathlib.Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                name = pathlib.Path(f"/proc/{entry}/comm").read_text().strip()
                names[name] = names.get(name, 0) + 1
    return names


def test_idle_sessions_hibernate_and_get_new_mail(server, province):
    locals_ = [f"nhan.roi{i}" for i in range(ACCOUNTS)]
    province.declare(*(mailbox(local, "so-tttt") for local in locals_))
    province.four_steps()
    passwords = {local: province.password(local) for local in locals_}
    sessions: list[Idle] = []
    try:
        for _round in range(SESSIONS_PER_ACCOUNT):
            sessions += [Idle(local, passwords[local]) for local in locals_]

        # Hibernated: their imap processes end (each had its own), imap-hibernate holds them.
        def hibernated():
            names = dovecot_children(server.state_dir)
            return names if (names.get("imap-hibernate")
                             and names.get("imap", 0) <= len(sessions) // 10) else None
        names = wait_for(hibernated, WAIT, 0.5)
        assert names, f"idle sessions not hibernated: {dovecot_children(server.state_dir)}"

        # New mail reaches every idling session of the account (each gets EXISTS).
        target = locals_[0]
        server.send(target, "Thư mới khi đang chờ")
        for session in (s for s in sessions if s.local == target):
            session.read_until(b" EXISTS\r\n", timeout=WAIT)

        # A new login is served while they idle.
        other = server.imap(locals_[1], passwords[locals_[1]])
        try:
            assert other.select("INBOX", readonly=True)[0] == "OK"
        finally:
            other.logout()

        # Every session, hibernated or woken, still answers.
        silent = [s.local for s in sessions if not s.done()]
        assert not silent, f"{len(silent)} idle sessions did not answer DONE: {silent[:5]}"
    finally:
        for session in sessions:
            session.close()


def hibernated(server, sessions: int):
    """The server's process counts once imap-hibernate holds (nearly) every idle session."""
    def check():
        names = dovecot_children(server.state_dir)
        return names if (names.get("imap-hibernate")
                         and names.get("imap", 0) <= sessions // 10) else None
    return wait_for(check, WAIT, 0.5)


def test_a_lock_ends_the_hibernated_sessions_of_the_account(server, province):
    """doveadm kick ends nothing of a process that holds other users' sessions: the apply's
    session end (sessions.py) ends the imap-hibernate process then. The other clients of
    that process are disconnected too (they reconnect): not asserted either way."""
    target, other = mailbox("nhan.khoa", "so-tttt"), mailbox("nhan.conlai", "so-tttt")
    province.declare(target, other)
    province.run()
    passwords = {box.address: province.password(box.address) for box in (target, other)}
    sessions = [Idle(box.address, passwords[box.address]) for box in (target, other)
                for _ in range(3)]
    try:
        assert hibernated(server, len(sessions)), \
            f"idle sessions not hibernated: {dovecot_children(server.state_dir)}"
        province.declare(replace(target, status="locked", lock_reason="compromised",
                                 request=LOCK_LETTER))
        result = province.run()
        assert [c["action"] for c in result["changes"]] == ["lock"]
        assert result["applied"]["sessions"]["error"] is None
        still = [s for s in sessions if s.local == target.address and not s.ended(WAIT)]
        assert not still, f"{len(still)} hibernated sessions of the locked account remain"
    finally:
        for session in sessions:
            session.close()
    server.assert_no_login(target.address, passwords[target.address])
    server.assert_login(other.address, passwords[other.address])
