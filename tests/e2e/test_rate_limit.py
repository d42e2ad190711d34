"""Per-login outbound rate limit (issue 13, item 2): a login that sends past the limit the
inventory sets (mailserver_send_limit_per_hour recipients an hour, counted at each RCPT by
policyd-rate-limit) gets a 4xx with a clear text, another login is unaffected, and the
refusal is in the mail log the operator reads. Every TLS connection is verified against the
server's own certificate authority (state_dir/tls/ca.pem)."""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid

import pytest
import yaml
from e2e_support import DOMAIN, PORTS, ROOT, mailbox

pytestmark = pytest.mark.server
LIMIT = int(yaml.safe_load((ROOT / "inventory/local/group_vars/all.yml").read_text())
            ["mailserver_send_limit_per_hour"])


def logged_in(server, local: str, password: str) -> smtplib.SMTP:
    """A submission session (587) after a verified STARTTLS and AUTH as ``local``."""
    context = ssl.create_default_context(cafile=str(server.state_dir / "tls" / "ca.pem"))
    smtp = smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60)
    smtp.ehlo("client.example.org")
    smtp.starttls(context=context)
    smtp.ehlo("client.example.org")
    smtp.login(f"{local}@{DOMAIN}", password)
    return smtp


def message(sender: str, recipient: str, subject: str) -> bytes:
    return (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@e2e.example.org>\r\n\r\nXin chao.\r\n").encode()


def log_lines(server, *needles: str, count: int = 1, timeout: float = 10) -> list[str]:
    """The lines of Postfix's log (state_dir/log/postfix.log) holding every needle, once
    there are ``count`` of them or ``timeout`` has passed (postlogd writes them a bit later)."""
    deadline = time.monotonic() + timeout
    while True:
        text = (server.state_dir / "log" / "postfix.log").read_text(errors="replace")
        found = [line for line in text.splitlines() if all(n in line for n in needles)]
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        time.sleep(0.3)


def test_a_login_past_its_limit_gets_450_and_the_operator_sees_it(province):
    server = province.server
    province.declare(mailbox("rlgui", "rlgui", kind="agency"), mailbox("rlnhieu", "rlgui"),
                     mailbox("rlkhac", "rlgui"))
    province.four_steps()
    sender, other = f"rlnhieu@{DOMAIN}", f"rlkhac@{DOMAIN}"

    # One message to LIMIT recipients is within the limit; the next recipient is past it.
    with logged_in(server, "rlnhieu", province.password("rlnhieu")) as smtp:
        assert smtp.mail(sender)[0] == 250
        for _ in range(LIMIT):
            code, text = smtp.rcpt(other)
            assert code == 250, (code, text)
        code, text = smtp.rcpt(other)
        reply = text.decode()
        assert code == 450 and "4.7.1" in reply, (code, reply)
        assert reply.isascii() and f"qua {LIMIT} nguoi nhan" in reply, reply
        assert f"limit of {LIMIT} recipients per hour" in reply, reply
        smtp.rset()

    # A new session of the same login is still refused: nothing of it leaves.
    subject = f"Qua gioi han {uuid.uuid4().hex[:8]}"
    with (logged_in(server, "rlnhieu", province.password("rlnhieu")) as smtp,
          pytest.raises(smtplib.SMTPRecipientsRefused) as refused):
        smtp.sendmail(sender, [other], message(sender, other, subject))
    code, text = refused.value.recipients[other]
    assert code == 450 and b"recipients per hour" in text

    # Another login is unaffected: its message is delivered.
    subject = f"Van gui duoc {uuid.uuid4().hex[:8]}"
    with logged_in(server, "rlkhac", province.password("rlkhac")) as smtp:
        assert smtp.sendmail(other, [sender], message(other, sender, subject)) == {}
    assert server.delivered("rlnhieu", subject)

    # The operator sees each refusal in the mail log: who (from=), the 450 and the text (the
    # first with the queue id of the message already open, the second as NOQUEUE).
    lines = log_lines(server, ": reject: RCPT from", "450 4.7.1", f"from=<{sender}>",
                      "recipients per hour", count=2)
    assert len(lines) == 2, lines
    assert any("NOQUEUE: reject" in line for line in lines), lines
    assert not log_lines(server, ": reject: RCPT from", f"from=<{other}>", timeout=0)
