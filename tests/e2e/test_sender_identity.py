"""Who may send as whom (issue 13, item 2; Điều 4.4, 9.1) against the real Postfix, Dovecot
and rspamd of inventory/local: the reconcile's sender_logins map decides, for authenticated
submission, the envelope sender (Postfix, reject_sender_login_mismatch: 553 5.7.1) and every
From: and Sender: address (rspamd's rule, rspamd.local.lua: 554 5.7.1 at the end of DATA).
A person sends only as their own address; a delegate also as the agency mailbox; a
non-delegate cannot; a removed delegate cannot from the apply that removes them on."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import replace

import pytest
from e2e_support import DOMAIN, PORTS, mailbox

pytestmark = pytest.mark.server
ACCEPTED = 250


def full(local: str) -> str:
    return f"{local}@{DOMAIN}"


def attempt(server, login: str, password: str, mail_from: str, from_header: str,
            sender_header: str | None = None, to: str | None = None) -> tuple[int, str, str]:
    """Submit one message as ``login`` (STARTTLS, verified against the server's CA);
    ``(code, text, subject)``: 250 when it was accepted, else the refusal and where it came."""
    context = ssl.create_default_context(cafile=str(server.state_dir / "tls" / "ca.pem"))
    subject = f"danh tinh {uuid.uuid4().hex[:12]}"
    recipient = to or full("tdanhtinhnhan")
    headers = f"From: {from_header}\r\n"
    if sender_header:
        headers += f"Sender: {sender_header}\r\n"
    body = (f"{headers}To: {recipient}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@e2e.example.org>\r\n\r\nXin chao.\r\n")
    with smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60) as smtp:
        smtp.ehlo("client.example.org")
        smtp.starttls(context=context)
        smtp.ehlo("client.example.org")
        smtp.login(full(login), password)
        try:
            smtp.sendmail(mail_from, [recipient], body.encode())
        except smtplib.SMTPSenderRefused as error:
            return error.smtp_code, f"MAIL FROM {error.smtp_error.decode()}", subject
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return code, f"RCPT {text.decode()}", subject
        except smtplib.SMTPDataError as error:
            return error.smtp_code, f"DATA {error.smtp_error.decode()}", subject
    return ACCEPTED, "", subject


def refused(result: tuple[int, str, str], by: str) -> bool:
    """A permanent refusal for a policy reason (5.7.1), never a temporary failure, by
    Postfix at RCPT (``envelope``: 553, the envelope sender not owned by the login) or by
    rspamd's rule at the end of DATA (``header``: 554, with the rule's ASCII text)."""
    code, text, _ = result
    if by == "envelope":
        return code == 553 and text.startswith("RCPT 5.7.1 ") and "not owned by user" in text
    return (code == 554 and text.startswith("DATA 5.7.1 Tai khoan ")
            and "khong duoc gui thu voi dia chi" in text and "may not send as" in text)


@pytest.fixture(name="people", scope="module")
def fixture_people(server, tmp_path_factory):
    """An agency mailbox with one delegate, two more people, and a receiver."""
    from e2e_support import Province

    province = Province(server, tmp_path_factory.mktemp("identity"))
    agency = mailbox("tdanhtinhcq", "tdanhtinh", kind="agency", delegates=("tdanhtinhuyq",))
    province.declare(agency, mailbox("tdanhtinhuyq", "tdanhtinh"),
                     mailbox("tdanhtinhkhac", "tdanhtinh"), mailbox("tdanhtinhnhan", "tdanhtinh"))
    province.run()
    passwords = {local: province.password(local)
                 for local in ("tdanhtinhuyq", "tdanhtinhkhac", "tdanhtinhnhan")}
    return province, agency, passwords


def test_a_person_sends_as_themself(server, people):
    _, _, passwords = people
    code, text, subject = attempt(server, "tdanhtinhkhac", passwords["tdanhtinhkhac"],
                                  full("tdanhtinhkhac"), f"Can bo <{full('tdanhtinhkhac')}>")
    assert code == ACCEPTED, text
    assert server.delivered("tdanhtinhnhan", subject)


@pytest.mark.parametrize("case", ["envelope", "from", "sender", "second_from",
                                  "from_outside_domain", "from_unreadable"])
def test_a_person_cannot_send_as_another(server, people, case):
    _, _, passwords = people
    own, other = full("tdanhtinhkhac"), full("tdanhtinhuyq")
    envelope, from_header, sender_header, by = {
        "envelope": (other, other, None, "envelope"),
        "from": (own, f"Nguoi khac <{other}>", None, "header"),
        "sender": (own, own, other, "header"),
        "second_from": (own, f"{own}, {other}", own, "header"),
        "from_outside_domain": (own, "someone@example.org", None, "header"),
        "from_unreadable": (own, "Nguoi khac <", None, "header"),
    }[case]
    result = attempt(server, "tdanhtinhkhac", passwords["tdanhtinhkhac"], envelope,
                     from_header, sender_header)
    assert refused(result, by), result


def test_a_delegate_sends_as_the_agency_mailbox_and_a_non_delegate_cannot(server, people):
    _, _, passwords = people
    agency = full("tdanhtinhcq")
    code, text, subject = attempt(server, "tdanhtinhuyq", passwords["tdanhtinhuyq"], agency,
                                  f"So TTTT <{agency}>", full("tdanhtinhuyq"))
    assert code == ACCEPTED, text
    assert server.delivered("tdanhtinhnhan", subject)
    for envelope, by in ((agency, "envelope"), (full("tdanhtinhkhac"), "header")):
        result = attempt(server, "tdanhtinhkhac", passwords["tdanhtinhkhac"], envelope,
                         f"So TTTT <{agency}>")
        assert refused(result, by), result


def test_a_removed_delegate_cannot_send_as_the_agency_after_the_apply(server, people):
    province, agency_box, passwords = people
    agency, delegate = full("tdanhtinhcq"), full("tdanhtinhuyq")
    province.declare(replace(agency_box, delegates=()))
    assert [c["action"] for c in province.run()["changes"]] == ["delegate"]
    for envelope, by in ((agency, "envelope"), (delegate, "header")):
        result = attempt(server, "tdanhtinhuyq", passwords["tdanhtinhuyq"], envelope,
                         f"So TTTT <{agency}>")
        assert refused(result, by), result
    code, text, _ = attempt(server, "tdanhtinhuyq", passwords["tdanhtinhuyq"], delegate,
                            delegate)
    assert code == ACCEPTED, text  # still themself
