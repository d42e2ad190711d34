"""The outside world of the end-to-end tests: a receiving SMTP server on the relay port.

The local inventory sends mail for other domains to ``mailserver_relayhost``
(``[127.0.0.1]:<relay_port>``, PORTS["relay_port"], env HYMAIL_E2E_RELAY_PORT): what arrives
there is what the Internet would receive. This is a real SMTP server (aiosmtpd), not a mock of
the mail server: it accepts every message and keeps it, byte for byte as Postfix sent it, so a
test can read its envelope and verify its DKIM signature. The ``outside`` fixture
(tests/e2e/conftest.py) starts it once per session, before any test asks the mail server to
send (a message relayed while nobody listens waits in Postfix's queue for minutes).
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from e2e_support import PORTS

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the outside world received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # exactly the DATA Postfix sent (dot-unstuffed), headers and body
    peer: str

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")


class _Handler:
    """aiosmtpd's handler: accept everything, keep it."""

    def __init__(self, world: OutsideWorld):
        self.world = world

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.world.keep(Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=envelope.original_content or b"",
            peer=str(session.peer[0]) if session.peer else ""))
        return "250 2.0.0 Ok: kept by the outside world of the tests"


class OutsideWorld:
    """The receiving server; ``wait_for`` returns a message once it has arrived."""

    def __init__(self, host: str = HOST, port: int | None = None):
        self.host, self.port = host, port if port is not None else PORTS["relay_port"]
        self._received: list[Received] = []
        self._lock = threading.Condition()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port,
                                      ident="outside-world.example", enable_SMTPUTF8=True)

    def start(self) -> OutsideWorld:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> OutsideWorld:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def keep(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, subject: str, timeout: float = 60) -> Received:
        """The first message with ``subject``; fails after ``timeout`` seconds, listing what
        did arrive (a deferred message shows in the mail server's queue: postqueue -p)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for received in self._received:
                    if received.subject == subject:
                        return received
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [r.subject for r in self._received]
                    raise AssertionError(f"the outside world received no message {subject!r} "
                                         f"in {timeout:.0f} s on {self.host}:{self.port} "
                                         f"(received: {seen})")
                self._lock.wait(left)
