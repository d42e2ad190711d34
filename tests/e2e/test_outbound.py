"""Mail to the outside world leaves signed, and the signature proves its origin (issue 13,
item 4): a person submits over TLS (the server verified with ``<state_dir>/tls/ca.pem``) to an
address of another domain; the outside world's server (tests/e2e/outside_support.py, on the
relay port) receives it with a DKIM-Signature of ``hungyen.gov.vn`` that dkimpy verifies
against the TXT record of the zone file ``make dns`` (playbooks/dns.yml) wrote for this
server, exactly as a receiver would read it from DNS; the same message with its body
altered after signing fails.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid

import dkim
import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.dns import zone
from e2e_support import DOMAIN, PORTS, ROOT, mailbox, run_playbook

pytestmark = [pytest.mark.server, pytest.mark.playbook]
OUTSIDE = "ban.doc@example.org"
ZONE_FILE = ROOT / "build" / "dns" / f"{DOMAIN}.zone"


def submit(server, address: str, password: str, subject: str) -> None:
    """Submission on the submission port: STARTTLS verified with the server's own CA, then
    AUTH, then one message to the outside world."""
    context = ssl.create_default_context(cafile=str(server.state_dir / "tls" / "ca.pem"))
    message = (f"From: {address}\r\nTo: {OUTSIDE}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{uuid.uuid4()}@{DOMAIN}>\r\n\r\n"
               "Kinh gui ong/ba,\r\nThu tra loi cua co quan.\r\n").encode()
    with smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60) as smtp:
        smtp.starttls(context=context)
        smtp.login(address, password)
        smtp.sendmail(address, [OUTSIDE], message)


def zone_dnsfunc() -> callable:
    """dkimpy's DNS lookup, answered from the zone file make dns wrote."""
    records = zone.txt_records(ZONE_FILE.read_text("ascii"))

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return b"".join(records.get(name.lower(), []))

    return dnsfunc


def altered_body(data: bytes) -> bytes:
    head, body = data.split(b"\r\n\r\n", 1)
    assert b"co quan" in body
    return head + b"\r\n\r\n" + body.replace(b"co quan", b"co quaN")


def test_mail_to_the_outside_is_dkim_signed_and_verifies_against_the_zone(province, outside):
    server = province.server
    province.declare(mailbox("tguira", "toutbound"), mailbox("toutbound", "toutbound",
                                                             kind="agency"))
    province.run()
    address = f"tguira@{DOMAIN}"
    subject = f"ra ngoai {uuid.uuid4().hex[:8]}"

    submit(server, address, province.password("tguira"), subject)
    received = outside.wait_for(subject)

    assert received.mail_from == address and received.rcpt_tos == (OUTSIDE,)
    signature = dkim.parse_tag_value(received.message["DKIM-Signature"].encode()
                                     .replace(b"\r\n", b"").replace(b"\n", b""))
    assert (signature[b"d"], signature[b"s"]) == (DOMAIN.encode(), b"mail"), signature
    dns = run_playbook("dns.yml", str(server.state_dir))
    assert dns.returncode == 0, dns.stdout[-3000:] + dns.stderr
    dnsfunc = zone_dnsfunc()
    assert dkim.verify(received.data, dnsfunc=dnsfunc), "the signature does not verify"
    assert not dkim.verify(altered_body(received.data), dnsfunc=dnsfunc), \
        "a body altered after signing still verifies"
