"""Postfix keeps its smtpd and cleanup processes from one connection to the next (no
``max_use = 1``), and still every SMTP session begun after an apply returns is answered
from the new generation: a revoked address refused, a created one accepted.

Warm processes are made on purpose (messages sent, sessions held open across the apply);
each round's apply revokes one address and creates another, and then several new
sessions, one after the other and side by side with the held ones, ask about both. The
log must show a warm process that noticed the switch and restarted ("table ... has
changed"), so the sessions after the apply did meet processes from before it.
"""

from __future__ import annotations

import contextlib
import smtplib

import pytest
from e2e_support import DOMAIN, PORTS, mailbox

pytestmark = pytest.mark.server
ROUNDS = 3
HELD = 3  # sessions opened before the apply and kept open across it
NEW_SESSIONS = 8  # sessions begun after the apply returns, per round
WARMING = 6  # messages sent before each apply, so idle smtpd/cleanup processes exist


def session() -> smtplib.SMTP:
    smtp = smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=30)
    smtp.ehlo("e2e.example.org")
    return smtp


def answers(smtp: smtplib.SMTP, *locals_: str) -> list[int]:
    """The class of each RCPT answer: 2 accepted, 5 refused (4 would be a fault)."""
    smtp.mail("e2e@example.org")
    codes = [smtp.rcpt(f"{local}@{DOMAIN}")[0] // 100 for local in locals_]
    smtp.rset()
    return codes


def restarts(server) -> int:
    log = (server.state_dir / "log" / "postfix.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines()
               if "postfix/smtpd" in line and "has changed -- restarting" in line)


def test_sessions_after_the_apply_meet_the_new_maps_on_warm_processes(province):
    server = province.server
    revoked = [f"twarm{n}a" for n in range(ROUNDS)]
    created = [f"twarm{n}b" for n in range(ROUNDS)]
    for local in revoked:
        province.declare(mailbox(local, "twarm"))
    province.run()
    restarted = restarts(server)

    for round_, (gone, new) in enumerate(zip(revoked, created, strict=True)):
        for n in range(WARMING):
            server.send(gone, f"warm {round_}.{n}")
        with contextlib.ExitStack() as stack:
            held = [stack.enter_context(session()) for _ in range(HELD)]
            assert [answers(smtp, gone, new) for smtp in held] == [[2, 5]] * HELD

            province.declare(mailbox(gone, "twarm", status="revoked"), mailbox(new, "twarm"))
            summary = province.run()["summary"]
            assert (summary["revoke"], summary["create"]) == (1, 1), summary

            seen = []
            for _ in range(NEW_SESSIONS):  # one after the other: each may reuse a process
                with session() as smtp:
                    seen.append(answers(smtp, gone, new))
            beside = [stack.enter_context(session()) for _ in range(HELD)]  # side by side
            seen += [answers(smtp, gone, new) for smtp in beside]
            assert seen == [[5, 2]] * len(seen), (round_, seen)
        server.send(new, f"after {round_}")
        server.delivered(new, f"after {round_}")

    assert restarts(server) > restarted, \
        "no warm smtpd noticed a switch: the sessions never met a process from before it"
