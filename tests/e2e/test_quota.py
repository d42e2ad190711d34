"""Quotas against the session's real server (issue 17, part 6).

A mailbox declared with a quota of its own (1M, the backend's userdb quota rule; the
inventory's mailserver_quota_default is everybody else's) is filled over SMTP: past 90 %
its owner gets HYM080 once, from the operator mailbox (Dovecot's quota_warning script,
delivered by dovecot-lda); further mail is refused at RCPT with 552 5.2.2 HYM081 (Dovecot's
quota-status as Postfix's policy service), so the sending client is told at once and
nothing is accepted and bounced later. A mailbox without a quota of its own still takes the
same message.
"""

from __future__ import annotations

import email
import email.header
import smtplib
import time
import uuid

import pytest
from e2e_support import DOMAIN, PORTS, mailbox

pytestmark = pytest.mark.server

QUOTA_BYTES = 1024 * 1024
CHUNK = 100 * 1024  # each test message's body: the tenth passes 90 %


def big_message(recipient: str, subject: str) -> bytes:
    line = "Xin chao, day la thu thu dung luong hop thu.".ljust(76, ".") + "\r\n"
    body = line * (CHUNK // len(line))
    return (f"From: e2e@example.org\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@e2e.example.org>\r\n\r\n{body}").encode()


def send(local: str, subject: str) -> tuple[int, str]:
    """One message over SMTP (port 25's role) with SIZE; (0, "") when accepted, else the
    refusal's code and text (at RCPT or after DATA)."""
    recipient = f"{local}@{DOMAIN}"
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=60) as smtp:
        smtp.ehlo("e2e.example.org")
        try:
            smtp.sendmail("e2e@example.org", [recipient], big_message(recipient, subject))
        except smtplib.SMTPRecipientsRefused as refused:
            code, text = refused.recipients[recipient]
            return code, text.decode()
        except smtplib.SMTPDataError as refused:
            return refused.smtp_code, refused.smtp_error.decode()
    return 0, ""


def messages(server, local: str) -> list[email.message.Message]:
    folder = server.maildir(local)
    return [email.message_from_bytes(path.read_bytes())
            for sub in ("new", "cur") for path in sorted((folder / sub).glob("*"))
            if path.is_file()]


def subject_of(message: email.message.Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"] or "")))


def wait_for(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


def warnings(server, local: str) -> list[email.message.Message]:
    return [m for m in messages(server, local) if subject_of(m).startswith("HYM080 ")]


def test_a_full_mailbox_is_warned_once_then_refuses_mail_with_a_clear_552(server, province):
    province.declare(mailbox("qtday", "qtday", kind="agency", quota="1M"),
                     mailbox("qtthuong", "qtday"))
    result = province.run()
    assert result["changed"], result["summary"]
    line = next(text for text in (server.live / "users.passwd").read_text().splitlines()
                if text.startswith(f"qtday@{DOMAIN}:"))
    assert line.endswith(":userdb_quota_rule=*:storage=1M")

    accepted, refusal = 0, (0, "")
    for number in range(1, 16):
        refusal = send("qtday", f"Thu so {number}")
        if refusal[0]:
            break
        accepted += 1
        assert wait_for(lambda n=number: any(subject_of(m) == f"Thu so {n}"
                                             for m in messages(server, "qtday"))), number
        # Below 90 % no warning; the first one past it brings exactly one.
        used = sum(len(m.as_bytes()) for m in messages(server, "qtday")
                   if subject_of(m).startswith("Thu so"))
        if used < 0.85 * QUOTA_BYTES:
            assert warnings(server, "qtday") == [], f"a warning at {used} bytes"
    assert refusal[0] == 552, (accepted, refusal)
    assert refusal[1].startswith(f"5.2.2 <qtday@{DOMAIN}>: Recipient address rejected: "
                                 "HYM081 hop thu nguoi nhan da day"), refusal
    assert 9 <= accepted <= 11, accepted

    found = wait_for(lambda: warnings(server, "qtday"))
    assert len(found) == 1, [subject_of(m) for m in messages(server, "qtday")]
    warning = found[0]
    assert warning["From"] == f"sotttt@{DOMAIN}"
    assert warning["To"] == f"qtday@{DOMAIN}"
    body = warning.get_payload(decode=True).decode("utf-8")
    assert body.startswith(f"HYM080 hộp thư qtday@{DOMAIN} đã dùng quá 90% dung lượng")

    # Still refused, still one warning; another mailbox (the inventory's 2G) takes it.
    assert send("qtday", "Thu them")[0] == 552
    assert send("qtthuong", "Thu binh thuong") == (0, "")
    assert server.delivered("qtthuong", "Thu binh thuong")
    time.sleep(2)
    assert len(warnings(server, "qtday")) == 1
    log = (server.state_dir / "log" / "postfix.log").read_text(errors="replace")
    assert "HYM081" in log and f"<qtday@{DOMAIN}>" in log
