"""The password helper: the one privileged process behind the password page (issue 14).

Run as root; the web application (unprivileged, group ``--group``) reaches it only through
a unix socket (mode 0660 root:<group>, its directory 0750). It is not an HTTP server: one
JSON object on one line each way, one request per connection, and the only operation it
accepts is a password change, done by ``change.change_password`` (verified against the live
hash, Điều 8's rules, a new generation under the apply lock). Requests are bounded
(``--max-request`` bytes), a client that sends nothing in ``--idle-timeout`` seconds is
dropped, at most ``--workers`` changes run at once (more: 503 at once). The log (stderr,
the journal under systemd) names the status, the code and, for a change made, the address;
never a password, a hash, or what was typed into a refused request's address field.

    python3 -m ansible_collections.hungyen.mail.plugins.module_utils.password.helper \\
        --state-dir DIR --socket DIR/run/password/helper.sock --group hymail-web \\
        --domain hungyen.gov.vn --min-length 8 --hash-time-cost 3 \\
        --hash-memory-kib 65536 --hash-parallelism 1

Request ``{"op": "change", "address", "current", "new", "client"}``; response
``{"status": 200|400|401|503, "code": "HYM0xx", "message", "problems": [...]}``.
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import json
import os
import signal
import socketserver
import stat
import sys
import threading

from ..apply.passwords import HashSettings
from ..backends.factory import backend_from_settings
from ..common import clock
from . import change, policy

MAX_REQUEST = 8192  # bytes of one request line: three fields of at most a few hundred
IDLE_TIMEOUT = 10.0
WORKERS = 4
SOCKET_MODE = 0o660
DIR_MODE = 0o750
SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with its terminating NUL


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hymail-password-helper",
        description="The password helper of the Hưng Yên mail server: changes a mailbox's "
                    "password on request over a unix socket (one JSON line each way; the "
                    "only operation is 'change'). Runs as root; never logs a secret.")
    parser.add_argument("--state-dir", required=True, help="the mail server's state_dir")
    parser.add_argument("--domain", required=True, help="mail_domain (hungyen.gov.vn)")
    parser.add_argument("--socket", required=True, help="the unix socket to listen on")
    parser.add_argument("--group", default="",
                        help="the web application's group: it owns the socket (0660) and its "
                             "directory (0750); empty: the helper's own group")
    parser.add_argument("--min-length", type=int, default=policy.MIN_LENGTH,
                        help="mailserver_password_min_length (Điều 8 says 8)")
    parser.add_argument("--hash-time-cost", type=int, default=HashSettings.time_cost)
    parser.add_argument("--hash-memory-kib", type=int, default=HashSettings.memory_kib)
    parser.add_argument("--hash-parallelism", type=int, default=HashSettings.parallelism)
    parser.add_argument("--lock-timeout", type=float, default=change.LOCK_TIMEOUT,
                        help="seconds a change waits for an apply before answering 503")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT,
                        help="seconds a client may stay silent before it is dropped")
    parser.add_argument("--max-request", type=int, default=MAX_REQUEST,
                        help="bytes a request line may hold")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="changes run at once; more get 503 at once")
    parser.add_argument("--postmap", default=None, help="postmap (default: from PATH)")
    parser.add_argument("--postfix-config-dir", default=None,
                        help="Postfix's configuration directory (systemd mode: /etc/postfix; "
                             "default: <state-dir>/etc/postfix)")
    parser.add_argument("--map-type", default=None, help="Postfix's map type (hash)")
    parser.add_argument("--dovecot-config", default=None,
                        help="the dovecot.conf doveadm reads (default: the embedded one, or "
                             "Dovecot's own with --postfix-config-dir)")
    return parser.parse_args(argv)


class Helper(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The socket server; one short-lived thread per connection, at most ``workers`` busy."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.settings = HashSettings(args.hash_time_cost, args.hash_memory_kib,
                                     args.hash_parallelism)
        self.slots = threading.BoundedSemaphore(max(1, args.workers))
        path = args.socket
        directory = os.path.dirname(os.path.abspath(path))
        gid = grp.getgrnam(args.group).gr_gid if args.group else -1
        os.makedirs(directory, DIR_MODE, exist_ok=True)
        os.chown(directory, -1, gid)
        os.chmod(directory, DIR_MODE)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                os.unlink(path)  # a socket the last run left
        old = os.umask(0o177)  # no moment where the socket is open to others
        try:
            super().__init__(path, Handler)
        finally:
            os.umask(old)
        os.chown(path, -1, gid)
        os.chmod(path, SOCKET_MODE)

    def backend(self):
        """A backend of its own per request (its lock depth is per object)."""
        args = self.args
        return backend_from_settings(args.state_dir, args.domain, postmap=args.postmap,
                                     postfix_config_dir=args.postfix_config_dir,
                                     map_type=args.map_type,
                                     dovecot_config=args.dovecot_config)

    def handle_error(self, request, client_address) -> None:
        kind = sys.exc_info()[0]
        change.log(f"a request failed inside the helper ({kind.__name__ if kind else '?'})")


class Handler(socketserver.StreamRequestHandler):
    """One connection: read one line, answer one line, close."""

    def setup(self) -> None:
        self.request.settimeout(self.server.args.idle_timeout)
        super().setup()

    def handle(self) -> None:
        try:
            line = self.rfile.readline(self.server.args.max_request + 1)
        except (TimeoutError, OSError):
            change.log("a client sent nothing in time: dropped")
            return
        if not line:
            return
        result = self.answer(line)
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(result, ensure_ascii=False).encode() + b"\n")

    def answer(self, line: bytes) -> dict:
        args = self.server.args
        if len(line) > args.max_request or not line.endswith(b"\n"):
            return self.refused("yêu cầu quá dài hoặc không kết thúc bằng dòng mới")
        try:
            request = json.loads(line)
        except ValueError:
            return self.refused("không phải JSON")
        if not isinstance(request, dict) or request.get("op") != "change":
            return self.refused("chỉ nhận thao tác đổi mật khẩu (op: change)")
        client = request.get("client") if isinstance(request.get("client"), str) else ""
        client = client[:64]
        if not self.server.slots.acquire(blocking=False):
            change.log(f"busy: a change from {client or '?'} refused (503 HYM023)")
            return change.answer(503, "HYM023")
        try:
            result = change.change_password(
                self.server.backend(), request.get("address"), request.get("current"),
                request.get("new"), now=clock.now().isoformat(), min_length=args.min_length,
                hash_settings=self.server.settings, lock_timeout=args.lock_timeout,
                client=client)
        finally:
            self.server.slots.release()
        who = (change.local_part(request["address"], args.domain)
               if result["status"] == 200 else "(not logged)")
        codes = ",".join(problem["code"] for problem in result["problems"])
        change.log(f"change {result['status']} {result['code']}{' ' + codes if codes else ''} "
                   f"address {who} client {client or '?'}")
        return result

    def refused(self, detail: str) -> dict:
        change.log(f"a malformed request refused: {detail}")
        return change.answer(400, "HYM025", detail=detail)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if len(os.fsencode(os.path.abspath(args.socket))) > SOCKET_PATH_MAX:
        change.log(f"the socket path {args.socket} is longer than {SOCKET_PATH_MAX} bytes, "
                   "the limit of a unix socket: choose a shorter one")
        return 2
    server = Helper(args)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    change.log(f"listening on {args.socket} for {args.domain} (common-password list: "
               f"{policy.list_source()}, minimum length {args.min_length})")
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(args.socket)
    change.log("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
