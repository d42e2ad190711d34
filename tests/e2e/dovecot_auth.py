"""Dovecot's own authentication protocols over its UNIX sockets, for checks in bulk.

An IMAP login costs a connection, a greeting and a process; the auth-client protocol asks
the same passdbs (deny file first, then the passwd-file) thousands of times a second, and
the auth-master protocol asks the userdb whether an account exists at all. All requests
are sent at once (each answer carries the id of its request).
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading

MUST_CHANGE = "must_change"

def base_dir(dovecot_conf: str) -> str:
    """Where the running Dovecot keeps its sockets (its configuration's base_dir)."""
    result = subprocess.run(["doveconf", "-c", dovecot_conf, "-h", "base_dir"],
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


class _Connection:
    """One socket speaking a line protocol of tab-separated fields."""

    def __init__(self, path: str, timeout: float):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")

    def send(self, lines: list[str]) -> None:
        self.file.write("".join(line + "\n" for line in lines).encode())
        self.file.flush()

    def receive(self) -> list[str]:
        line = self.file.readline()
        if not line:
            raise ConnectionError("Dovecot closed the auth connection")
        return line.decode("utf-8", "replace").rstrip("\n").split("\t")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def authenticate(socket_dir: str, pairs: list[tuple[str, str]],
                 timeout: float = 60) -> list[str]:
    """PLAIN logins for (user, password) pairs: "ok", "disabled" (a deny passdb matched:
    a locked account), "must_change" (the right password, refused until it is changed:
    HYM060) or "fail", in the order of ``pairs``.

    Without penalty (Dovecot would hold a failure up to 15 s); failures still wait for
    the next flush of the failure queue, half a second, so every request is in flight at
    once: a thread writes them while the answers are read.
    """
    # In batches, one connection each: with about 1,900 requests in flight, most of them
    # failures (must-change answers wait in Dovecot's failure queue), the connection stopped
    # reading and the writer timed out (test_crash, step 12 of a loaded run).
    return [answer for start in range(0, len(pairs), AUTH_BATCH)
            for answer in _authenticate(socket_dir, pairs[start:start + AUTH_BATCH], timeout)]


AUTH_BATCH = 500


def _authenticate(socket_dir: str, pairs: list[tuple[str, str]], timeout: float) -> list[str]:
    with _Connection(os.path.join(socket_dir, "auth-client"), timeout) as conn:
        conn.send(["VERSION\t1\t2", f"CPID\t{os.getpid()}"])
        while conn.receive()[0] != "DONE":
            pass
        lines = [_auth_line(n + 1, user, password) for n, (user, password) in enumerate(pairs)]
        return _pipelined(conn, lines, _auth_result)


def _auth_line(request_id: int, user: str, password: str) -> str:
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    return f"AUTH\t{request_id}\tPLAIN\tservice=imap\tno-penalty\tresp={token}"


def _auth_result(fields: list[str]) -> str:
    if fields[0] == "OK":
        return "ok"
    if fields[0] == "FAIL":
        if "code=user_disabled" in fields[2:]:
            return "disabled"
        return MUST_CHANGE if any(f.startswith("reason=HYM060 ") for f in fields[2:]) else "fail"
    return "unexpected " + " ".join(fields[:1] + fields[2:])


def user_exists(socket_dir: str, users: list[str], timeout: float = 60) -> list[bool | str]:
    """Userdb lookups: True (found), False (not found), or the text of a failure."""
    with _Connection(os.path.join(socket_dir, "auth-master"), timeout) as conn:
        conn.send(["VERSION\t1\t0"])
        lines = [f"USER\t{n + 1}\t{user}\tservice=lmtp" for n, user in enumerate(users)]
        return _pipelined(conn, lines, _user_result)


def _user_result(fields: list[str]) -> bool | str:
    if fields[0] in ("USER", "NOTFOUND"):
        return fields[0] == "USER"
    return " ".join(fields)


def _pipelined(conn: _Connection, lines: list[str], parse) -> list:
    """Send requests 1..n (a thread writes), read their answers; in request order. Other
    lines, such as VERSION and SPID, are skipped."""
    writer = threading.Thread(target=conn.send, args=(lines,), daemon=True)
    writer.start()
    found: dict[int, object] = {}
    while len(found) < len(lines):
        fields = conn.receive()
        if len(fields) > 1 and fields[1].isdigit() and fields[0] in (
                "OK", "FAIL", "CONT", "USER", "NOTFOUND"):
            found[int(fields[1])] = parse(fields)
    writer.join()
    return [found[n + 1] for n in range(len(lines))]
