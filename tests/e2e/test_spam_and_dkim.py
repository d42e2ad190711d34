"""rspamd, the one filter and signer (issue 13, items 4 and 5), against the real servers.

From the Internet (127.0.0.2: every loopback address but 127.0.0.1 is the Internet in the
local inventory) the GTUBE test message is refused at the end of DATA with a 5xx and an
ordinary message is delivered, unsigned. A notice of the apply (SMTP from the mail host) is
delivered with a DKIM signature for hungyen.gov.vn that verifies with the role's public key
and fails once the body is altered. The private key is root:_rspamd 0640 and no backup holds
it; rspamd listens on its unix socket only.
"""

from __future__ import annotations

import base64
import email
import email.policy
import grp
import json
import pathlib
import pwd
import smtplib
import stat
import subprocess
import sys
import time
import uuid

import dkim
import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.notices.notify import load_templates
from ansible_collections.hungyen.mail.plugins.modules import mail_notify, mailbox_backup
from e2e_support import DOMAIN, PORTS, ROOT, mailbox, tcp_listening_ports

pytestmark = pytest.mark.server
INTERNET = "127.0.0.2"
SELECTOR = "mail"
# SpamAssassin's and rspamd's test string: any filter must reject it.
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
TEMPLATES = load_templates(str(ROOT / "playbooks" / "templates" / "notify"))
OPERATOR = {"mailbox": "sotttt", "name": "Sở Thông tin và Truyền thông tỉnh Hưng Yên",
            "short_name": "Sở TTTT", "technical_unit": "Trung tâm Công nghệ thông tin"}
REGULATION = {"title": "Quy chế", "decision_number": "08/2017/QĐ-UBND", "date": "2017-06-02",
              "issuer": "Ủy ban nhân dân tỉnh Hưng Yên"}


def from_the_internet(sender: str, recipient: str, subject: str, body: str,
                      header_from: str = "") -> None:
    """One message by SMTP from an Internet address; raises what Postfix answers."""
    message = (f"From: {header_from or sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{uuid.uuid4()}@example.net>\r\n\r\n{body}\r\n")
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=60,
                      source_address=(INTERNET, 0)) as smtp:
        smtp.ehlo("mx.example.net")
        assert smtp.mail(sender)[0] == 250
        assert smtp.rcpt(recipient)[0] == 250
        code, reply = smtp.data(message.encode())  # the answer after the message's end
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)


def delivered(server, local: str, subject: str, timeout: float = 30) -> bytes:
    """The raw message with ``subject`` in the Maildir of ``local`` (waits for delivery)."""
    return server.delivered(local, subject, timeout).read_bytes()


def public_key_record(server) -> bytes:
    """The DKIM TXT record the public key file makes (what `make dns` publishes)."""
    pem = (server.state_dir / "dkim" / f"{SELECTOR}.pub").read_text("ascii")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----"), "the public key is not PEM"
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    base64.b64decode(body, validate=True)
    return f"v=DKIM1; k=rsa; p={body}".encode()


def verifies(message: bytes, record: bytes) -> bool:
    """dkimpy's verdict on the first signature, the key looked up in ``record`` alone."""
    def dnsfunc(name, timeout=5):
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None
    return dkim.verify(message, dnsfunc=dnsfunc)


def signature_tags(message: bytes) -> dict[str, str]:
    parsed = email.message_from_bytes(message, policy=email.policy.compat32)
    header = parsed["DKIM-Signature"]
    assert header, "the message carries no DKIM-Signature"
    tags = [tag.strip().split("=", 1) for tag in "".join(header.split()).split(";") if tag.strip()]
    return dict(tags)


def test_gtube_from_the_internet_is_rejected_at_the_end_of_data(province):
    province.declare(mailbox("tracgtube", "tracgtube"))
    province.run()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        from_the_internet("spammer@example.net", f"tracgtube@{DOMAIN}", "gtube",
                          f"This is the GTUBE, the Generic Test for Unsolicited Bulk Email.\r\n"
                          f"\r\n{GTUBE}\r\n")
    assert refused.value.smtp_code == 554, refused.value
    assert refused.value.smtp_error.startswith(b"5.7.1 "), refused.value
    province.server.send("tracgtube", "after-gtube")  # the mailbox works: GTUBE never came
    province.server.delivered("tracgtube", "after-gtube")
    for path in province.server.maildir("tracgtube").glob("*/*"):
        assert GTUBE not in path.read_text(errors="replace"), "GTUBE was delivered"


def test_ordinary_mail_from_the_internet_is_delivered_and_not_signed(province):
    province.declare(mailbox("tnhanngoai", "tnhanngoai"))
    province.run()
    from_the_internet("citizen@example.net", f"tnhanngoai@{DOMAIN}", "hoi-dap",
                      "Kinh gui Quy co quan, toi xin hoi ve thu tuc cap phep.")
    message = delivered(province.server, "tnhanngoai", "hoi-dap")
    assert not signed(message)


def test_mail_from_the_internet_is_never_signed_even_with_a_from_in_the_domain(province):
    """A From: of the domain on mail from outside (the envelope is not ours): refused by a
    sender check, or delivered as it came, never signed by the province's key."""
    province.declare(mailbox("tgiamao", "tgiamao"))
    province.run()
    try:
        from_the_internet("someone@example.net", f"tgiamao@{DOMAIN}", "gia-mao",
                          "Thu tu ben ngoai voi From cua tinh.", header_from=f"sotttt@{DOMAIN}")
    except smtplib.SMTPDataError as refused:
        assert 500 <= refused.smtp_code < 600, refused
        return
    assert not signed(delivered(province.server, "tgiamao", "gia-mao"))


def signed(message: bytes) -> bool:
    return message.startswith(b"DKIM-Signature:") or b"\nDKIM-Signature:" in message


def test_a_notice_is_signed_for_the_domain_and_verifies(province):
    province.declare(mailbox("tkyso", "tkyso", kind="agency"))
    province.run()
    result = mail_notify.run({
        "state_dir": str(province.server.state_dir), "domain": DOMAIN, "templates": TEMPLATES,
        "smtp_port": PORTS["smtp_port"], "only": ["tkyso"], "sender": "sotttt",
        "operator": OPERATOR, "regulation": REGULATION})
    assert result["sent"] == 1, result.get("msg")
    message = notice(province.server, "tkyso")
    tags = signature_tags(message)
    assert (tags["d"], tags["s"], tags["a"]) == (DOMAIN, SELECTOR, "rsa-sha256"), tags
    assert "from" in tags["h"].lower().split(":"), tags["h"]
    record = public_key_record(province.server)
    assert verifies(message, record)
    head, _, body = message.partition(b"\n\n")
    assert not verifies(head + b"\n\n" + body.replace(b"a", b"o", 1), record), \
        "a body altered after signing still verifies"


def test_local_submission_on_the_host_is_signed_too(province):
    """Mail handed to the host's sendmail (non_smtpd_milters) passes rspamd like SMTP."""
    province.declare(mailbox("tcucbo", "tcucbo"))
    province.run()
    message = (f"From: sotttt@{DOMAIN}\nTo: tcucbo@{DOMAIN}\nSubject: gui-tai-may\n"
               f"Message-ID: <{uuid.uuid4()}@{DOMAIN}>\n\nThu gui tu may chu thu.\n")
    subprocess.run(["sendmail", "-C", str(province.server.state_dir / "etc" / "postfix"),
                    "-f", f"sotttt@{DOMAIN}", f"tcucbo@{DOMAIN}"], input=message.encode(),
                   check=True, timeout=60)
    delivered_message = delivered(province.server, "tcucbo", "gui-tai-may")
    assert signature_tags(delivered_message)["d"] == DOMAIN
    assert verifies(delivered_message, public_key_record(province.server))


def notice(server, local: str, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (server.maildir(local) / "new").glob("*"):
            raw = path.read_bytes()
            if b"\nX-Hymail-Notice:" in raw:
                return raw
        time.sleep(0.3)
    raise AssertionError(f"no notice in {server.maildir(local)}")


def test_the_dkim_key_is_rspamds_alone_and_2048_bits(server):
    directory = server.state_dir / "dkim"
    key, public = directory / f"{SELECTOR}.key", directory / f"{SELECTOR}.pub"
    rspamd = grp.getgrnam("_rspamd").gr_gid
    assert owner_mode(directory) == (0, rspamd, 0o750)
    assert owner_mode(key) == (0, rspamd, 0o640)
    assert owner_mode(public) == (0, 0, 0o644)
    text = subprocess.run(["openssl", "pkey", "-in", str(key), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "(2048 bit" in text.splitlines()[0], text.splitlines()[0]
    derived = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout"],
                             capture_output=True, text=True, check=True).stdout
    assert derived == public.read_text("ascii"), "the public key is not the private key's"


def owner_mode(path: pathlib.Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)


def test_no_backup_holds_the_dkim_key(server, tmp_path):
    """A backup (make backup) of the running server: nothing of dkim/, every file 0600."""
    key = (server.state_dir / "dkim" / f"{SELECTOR}.key").read_bytes()
    result = mailbox_backup.run({"state_dir": str(server.state_dir), "domain": DOMAIN,
                                 "backup_dir": str(tmp_path / "backups"), "action": "backup"})
    [backup] = [p for p in (tmp_path / "backups").iterdir() if p.is_dir()]
    files = [p for p in backup.rglob("*") if p.is_file()]
    assert files, result
    for path in files:
        assert "dkim" not in path.relative_to(backup).parts, path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert key not in path.read_bytes(), f"{path} holds the DKIM key"


def test_rspamd_listens_on_its_unix_socket_only(server):
    """The milter socket is rspamd's and postfix's (0660), nobody else connects, and no
    rspamd process holds a listening TCP port."""
    sock = server.state_dir / "run" / "rspamd" / "milter.sock"
    info = sock.stat()
    assert stat.S_ISSOCK(info.st_mode)
    assert (pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name,
            stat.S_IMODE(info.st_mode)) == ("_rspamd", "postfix", 0o660)
    probe = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
             "try:\n    s.connect(sys.argv[1])\nexcept PermissionError:\n    sys.exit(13)\n")
    nobody = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             sys.executable, "-c", probe, str(sock)], check=False)
    assert nobody.returncode == 13, "a local user reaches rspamd's milter"
    pids = rspamd_pids(server)
    assert len(pids) >= 2, "rspamd's main process and its proxy worker are not both running"
    assert not any(tcp_listening_ports(pid) for pid in pids), "rspamd listens on a TCP port"


def rspamd_pids(server) -> list[int]:
    main = int((server.state_dir / "run" / "rspamd" / "rspamd.pid").read_text().strip())
    children = pathlib.Path(f"/proc/{main}/task/{main}/children").read_text().split()
    return [main] + [int(pid) for pid in children]


def test_postfix_passes_every_message_to_rspamd(server):
    """smtpd and local submission (the notices may go either way) both use the milter;
    while rspamd is away mail waits (4xx), never passes unscanned."""
    config = subprocess.run(["postconf", "-x", "-c", str(server.state_dir / "etc" / "postfix"),
                             "smtpd_milters", "non_smtpd_milters", "milter_default_action",
                             "milter_protocol"], capture_output=True, text=True, check=True)
    values = dict(line.split(" = ", 1) for line in config.stdout.splitlines())
    socket_path = f"unix:{server.state_dir}/run/rspamd/milter.sock"
    assert values == {"smtpd_milters": socket_path, "non_smtpd_milters": socket_path,
                      "milter_default_action": "tempfail", "milter_protocol": "6"}, \
        json.dumps(values)
