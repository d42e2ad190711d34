"""Officials send mail (issue 13): authenticated submission over TLS, own-domain
anti-spoofing on port 25, the RFC 2142 addresses, and failed logins, against the real
Postfix + Dovecot of inventory/local.

In that inventory 127.0.0.1 is the mail host itself (mynetworks); every other loopback
address plays the Internet: a test sends from 127.0.0.2 and up. Every TLS connection is
verified against the server's own certificate authority (state_dir/tls/ca.pem)."""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
import subprocess
import uuid

import pytest
import yaml
from e2e_support import DOMAIN, PORTS, ROOT, mailbox

pytestmark = pytest.mark.server
OUTSIDE = "127.0.0.2"


def tls(server) -> ssl.SSLContext:
    """A client context that trusts only the server's own CA, and checks the name."""
    context = ssl.create_default_context(cafile=str(server.state_dir / "tls" / "ca.pem"))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    return context


def submission(server, source: str = "127.0.0.1") -> smtplib.SMTP:
    """A submission session after STARTTLS (verified), not yet logged in."""
    smtp = smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60,
                        source_address=(source, 0))
    smtp.ehlo("client.example.org")
    smtp.starttls(context=tls(server))
    smtp.ehlo("client.example.org")
    return smtp


def auth_code(server, local: str, password: str, source: str) -> int:
    """The answer to AUTH on submission (235 or 535); each failure from its own address, so
    that Dovecot's penalty for repeated failures from one address does not add up here."""
    with submission(server, source) as smtp:
        try:
            code, _ = smtp.login(f"{local}@{DOMAIN}", password)
        except smtplib.SMTPAuthenticationError as error:
            return error.smtp_code
    return code


def message(sender: str, recipient: str, subject: str) -> bytes:
    return (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@e2e.example.org>\r\n\r\nXin chao.\r\n").encode()


def outside_rcpt(sender: str, recipient: str) -> tuple[int, str]:
    """MAIL FROM and RCPT TO on port 25 from the Internet (127.0.0.2): the worst answer."""
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=60,
                      source_address=(OUTSIDE, 0)) as smtp:
        smtp.ehlo("mx.example.org")
        code, text = smtp.mail(sender)
        if code < 400:
            code, text = smtp.rcpt(recipient)
    return code, text.decode()


def send_from_outside(sender: str, recipient: str, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=60,
                      source_address=(OUTSIDE, 0)) as smtp:
        smtp.ehlo("mx.example.org")
        smtp.sendmail(sender, [recipient], message(sender, recipient, subject))


def imaps_subjects(server, local: str, password: str) -> list[str]:
    """The subjects in ``local``'s INBOX over IMAPS (implicit TLS, verified)."""
    with imaplib.IMAP4_SSL("127.0.0.1", PORTS["imaps_port"], ssl_context=tls(server),
                           timeout=60) as imap:
        imap.login(f"{local}@{DOMAIN}", password)
        imap.select("INBOX", readonly=True)
        _, found = imap.search(None, "ALL")
        subjects = []
        for number in found[0].split():
            _, data = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            subjects.append(data[0][1].decode().strip().removeprefix("Subject: "))
        imap.logout()
    return subjects


def test_auth_is_offered_only_after_starttls_and_the_certificate_verifies(server):
    with smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60) as smtp:
        smtp.ehlo("client.example.org")
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
        code, text = smtp.docmd("AUTH", "PLAIN")
        assert code == 530 and b"STARTTLS" in text.upper()  # must issue STARTTLS first
        smtp.starttls(context=tls(server))  # raises unless the chain and 127.0.0.1 verify
        smtp.ehlo("client.example.org")
        assert smtp.has_extn("auth") and "PLAIN" in smtp.esmtp_features["auth"].upper()
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=60) as smtp:
        smtp.ehlo("client.example.org")
        smtp.starttls(context=tls(server))
        smtp.ehlo("client.example.org")
        assert not smtp.has_extn("auth"), "port 25 must not take passwords"


def test_imap_takes_no_password_in_clear_text_from_outside_the_host(server):
    """From 127.0.0.2 (the Internet) IMAP offers STARTTLS and refuses LOGIN before it; from
    the host itself (127.0.0.1) a clear-text LOGIN stays allowed (the other tests use it)."""
    with socket.create_connection(("127.0.0.1", PORTS["imap_port"]), timeout=30,
                                  source_address=(OUTSIDE, 0)) as sock:
        lines = sock.makefile("rb")
        assert lines.readline().startswith(b"* OK")
        sock.sendall(b"a CAPABILITY\r\n")
        capability = lines.readline().upper()
        assert b"STARTTLS" in capability and b"LOGINDISABLED" in capability
        assert lines.readline().startswith(b"a OK")
        sock.sendall(b"b LOGIN nobody@hungyen.gov.vn x\r\n")
        answer = [lines.readline() for _ in range(2)]
        assert b"Plaintext authentication not allowed" in answer[0]
        assert answer[1].startswith(b"b NO")
    with imaplib.IMAP4("127.0.0.1", PORTS["imap_port"], timeout=60) as imap:
        imap.starttls(ssl_context=tls(server))  # the certificate verifies on 143 too
        assert "AUTH=PLAIN" in imap.capabilities


def test_right_password_235_wrong_locked_revoked_535(province):
    server = province.server
    province.declare(mailbox("tsgui", "tsubmit", kind="agency"), mailbox("tsnguoi", "tsubmit"),
                     mailbox("tskhoa", "tsubmit"), mailbox("tsthuhoi", "tsubmit"))
    province.four_steps()
    person, locked, revoked = (province.password(local)
                               for local in ("tsnguoi", "tskhoa", "tsthuhoi"))
    assert auth_code(server, "tsnguoi", person, "127.0.0.1") == 235
    assert auth_code(server, "tsnguoi", person + "x", "127.0.0.3") == 535

    province.declare(mailbox("tskhoa", "tsubmit", status="locked", lock_reason="compromised"),
                     mailbox("tsthuhoi", "tsubmit", status="revoked"))
    province.four_steps()
    assert auth_code(server, "tskhoa", locked, "127.0.0.4") == 535
    assert auth_code(server, "tsthuhoi", revoked, "127.0.0.5") == 535
    assert auth_code(server, "tsnguoi", person, "127.0.0.1") == 235


def test_a_person_sends_over_implicit_tls_and_the_other_reads_it_over_imaps(province):
    server = province.server
    province.declare(mailbox("tsdonvi", "tsdonvi", kind="agency"), mailbox("tsan", "tsdonvi"),
                     mailbox("tsbinh", "tsdonvi"))
    province.four_steps()
    sender, recipient = f"tsan@{DOMAIN}", f"tsbinh@{DOMAIN}"
    subject = f"Gui qua 465 {uuid.uuid4().hex[:8]}"
    with smtplib.SMTP_SSL("127.0.0.1", PORTS["submissions_port"], context=tls(server),
                          timeout=60) as smtp:
        smtp.ehlo("client.example.org")
        smtp.login(sender, province.password("tsan"))
        refused = smtp.sendmail(sender, [recipient], message(sender, recipient, subject))
    assert refused == {}
    assert server.delivered("tsbinh", subject)
    assert subject in imaps_subjects(server, "tsbinh", province.password("tsbinh"))


def test_nobody_relays_without_logging_in(server):
    code, text = outside_rcpt("someone@example.org", "other@example.net")
    assert code == 554 and "5.7.1" in text  # Relay access denied
    with submission(server, OUTSIDE) as smtp:
        code, _ = smtp.mail("someone@example.org")
        if code < 400:
            code, _ = smtp.rcpt("other@example.net")
    assert code == 554


def test_the_internet_cannot_send_as_the_province_but_others_reach_it(province):
    server = province.server
    province.declare(mailbox("tsnhan", "tsnhan", kind="agency"))
    province.four_steps()
    recipient = f"tsnhan@{DOMAIN}"
    for forged in (f"sotttt@{DOMAIN}", f"tsnhan@{DOMAIN}", f"khongco@{DOMAIN}",
                   f"ai@phong.{DOMAIN}"):
        code, text = outside_rcpt(forged, recipient)
        assert 550 <= code < 560 and "5.7.1" in text, (forged, code, text)
        assert text.isascii() and "phai dang nhap" in text and "requires login" in text

    subject = f"Tu ben ngoai {uuid.uuid4().hex[:8]}"
    send_from_outside("congdan@example.org", recipient, subject)
    assert server.delivered("tsnhan", subject)


def test_postmaster_and_abuse_reach_the_operator_mailbox(province):
    server = province.server
    province.declare(mailbox("sotttt", "sotttt", kind="agency"))
    province.run()
    for local in ("postmaster", "abuse"):
        subject = f"Bao cao {local} {uuid.uuid4().hex[:8]}"
        send_from_outside("reporter@example.org", f"{local}@{DOMAIN}", subject)
        assert server.delivered("sotttt", subject)


def test_the_notices_of_an_apply_are_sent_from_the_mail_host(province):
    """The notifier connects from the mail host itself (mynetworks): the anti-spoofing rule
    lets it send as the operator mailbox without anybody's password."""
    from test_notifications import notify, read_notices

    server = province.server
    province.declare(mailbox("tsthongbao", "tsthongbao", kind="agency"),
                     mailbox("tsmoi", "tsthongbao"))
    province.run()
    result = notify(server, ["tsthongbao"], sender="sotttt")
    assert (result["sent"], result["kept"]) == (1, 0)
    [notice] = read_notices(server, "tsthongbao", province.password("tsthongbao"))
    assert notice["From"].addresses[0].addr_spec == f"sotttt@{DOMAIN}"


def test_failed_logins_are_slowed_in_production_and_the_setting_reaches_dovecot(server):
    production = yaml.safe_load((ROOT / "inventory" / "production.example" / "group_vars" /
                                 "all.yml").read_text("utf-8"))
    assert production["mailserver_auth_failure_delay"] >= 2
    local = yaml.safe_load((ROOT / "inventory" / "local" / "group_vars" / "all.yml")
                           .read_text("utf-8"))
    expected = local.get("mailserver_auth_failure_delay", 0)  # the role's default: off
    shown = subprocess.run(["doveconf", "-c", str(server.state_dir / "etc" / "dovecot" /
                                                  "dovecot.conf"), "-h", "auth_failure_delay"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert shown == str(expected)  # Dovecot alone would wait 2 s
