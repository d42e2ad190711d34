"""Mail on the test host as the world sees it: SMTP, IMAP and IMAPS over the host's address
from the controller (outside ``mynetworks``), TLS verified against the test CA for the
host's name, and the province's changes made as an operator makes them (apply.yml with a
declared tree of the test's own). Passwords are read as their owners receive them: the
operator's from the bootstrap file on the host, every other one from a notice read over IMAP.
Until its owner changes it, the server refuses an issued password (NO [ALERT], issue 14): a
login first changes it through the host's password service over HTTPS, as the owner does on
their first day, and logs in with the new one. No password is ever printed: a failure names
the mailbox, never the secret.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.client
import imaplib
import json
import pathlib
import re
import shlex
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords  # noqa: E402
from e2e_support import Server, ansible_env, json_extra_vars  # noqa: E402,F401 (Server: for test_50)
from test_notifications import credentials_in  # noqa: E402

DOMAIN = "hungyen.gov.vn"
OPERATOR = "sotttt"
STATE_DIR = "/var/lib/hymail"  # inventory/production.example's state_dir
HEADER = "# yaml-language-server: $schema=../schemas/agency.schema.json\n"
LETTER = '{number: "15/TTKT-VP", date: "2026-11-20"}'


def full(local: str) -> str:
    return local if "@" in local else f"{local}@{DOMAIN}"


# --- TLS verified against the test CA, for the host's name, over its address ---------------

def tls_context(host, minimum: ssl.TLSVersion | None = None,
                maximum: ssl.TLSVersion | None = None, ciphers: str | None = None):
    """A client context that verifies the chain (test CA) and the name; never CERT_NONE."""
    context = ssl.create_default_context(cafile=str(host.ca_file))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    if ciphers:
        context.set_ciphers(ciphers)
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


class _ToAddress:
    """Connect to the host's address while ``host``/``_host`` stay the server's name, so
    that STARTTLS and implicit TLS check the certificate against that name."""

    address: str

    def _dial(self, port: int, timeout):
        return socket.create_connection((self.address, port), timeout)


class SMTP(_ToAddress, smtplib.SMTP):
    def __init__(self, host, port: int = 25, timeout: float = 60):
        self.address = host.address
        super().__init__(host.hostname, port, timeout=timeout)

    def _get_socket(self, host, port, timeout):
        return self._dial(port, timeout)


class IMAP(_ToAddress, imaplib.IMAP4):
    def __init__(self, host, port: int = 143, timeout: float = 60):
        self.address = host.address
        super().__init__(host.hostname, port, timeout=timeout)

    def _create_socket(self, timeout):
        return self._dial(self.port, timeout)


class IMAPS(_ToAddress, imaplib.IMAP4_SSL):
    def __init__(self, host, port: int = 993, context: ssl.SSLContext | None = None,
                 timeout: float = 60, name: str | None = None):
        self.address = host.address
        super().__init__(name or host.hostname, port, ssl_context=context or tls_context(host),
                         timeout=timeout)

    def _create_socket(self, timeout):
        sock = self._dial(self.port, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def quietly_logout(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        imap.logout()


# --- the first day: an issued password changed through the password service (issue 14) -----

WEB_PORT = 443  # inventory/production.example's mailserver_web_port (TLS, nginx)
MUST_CHANGE = f"{STATE_DIR}/data/live/must-change.passwd"
# (host name, issued password) -> the password it was changed to, this session.
_CHANGED: dict[tuple[str, str], str] = {}


class HTTPS(_ToAddress, http.client.HTTPSConnection):
    """HTTPS to the host's address, the certificate verified for the host's name."""

    def __init__(self, host, port: int = WEB_PORT, timeout: float = 120):
        self.address = host.address
        super().__init__(host.hostname, port, timeout=timeout, context=tls_context(host))

    def connect(self):
        self.sock = self._context.wrap_socket(self._dial(self.port, self.timeout),
                                              server_hostname=self.host)


def must_change(host, local: str) -> bool:
    """Whether the host refuses ``local``'s right password until it is changed."""
    command = (f"awk -F: -v a={shlex.quote(full(local))} '$1 == a {{ f = 1 }} END {{ exit !f }}'"
               f" {MUST_CHANGE}")
    return host.run(command, check=False).returncode == 0


def api_change(host, local: str, current: str, new: str) -> tuple[int, dict]:
    """POST /api/password on the host's web port, as JSON: (HTTP status, the answer)."""
    body = json.dumps({"address": full(local), "current": current, "new": new})
    connection = HTTPS(host)
    try:
        connection.request("POST", "/api/password", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read().decode("utf-8"))
    finally:
        connection.close()


def owner_password(host, local: str, issued: str) -> str:
    """The password ``local``'s owner logs in with, having received ``issued``: ``issued``
    itself, or, while the host refuses it until it is changed, a new one set through the
    password service (once per issued password)."""
    key = (host.name, issued)
    if key in _CHANGED:
        return _CHANGED[key]
    if not must_change(host, local):
        return issued
    new = passwords.generate()
    status, answer = api_change(host, local, issued, new)
    if status != 200:
        raise AssertionError(f"{full(local)}: the password service answered {status} "
                             f"{answer.get('code')}: {answer.get('message')}")
    _CHANGED[key] = new
    return new


# --- SMTP: what a sender on the Internet gets ------------------------------------------------

def smtp_session(host) -> SMTP:
    """EHLO, STARTTLS (required: the certificate must verify), EHLO again."""
    smtp = SMTP(host)
    smtp.ehlo("sender.example.org")
    assert smtp.has_extn("starttls"), "the host does not offer STARTTLS on port 25"
    smtp.starttls(context=tls_context(host))
    smtp.ehlo("sender.example.org")
    return smtp


def send(host, local: str, subject: str) -> None:
    """One message from outside; raises SMTPRecipientsRefused when RCPT is refused."""
    message = (f"From: gui@example.org\r\nTo: {full(local)}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\nNoi dung thu.\r\n")
    with smtp_session(host) as smtp:
        smtp.sendmail("gui@example.org", [full(local)], message.encode())


def rcpt(host, recipient: str) -> tuple[int, str]:
    """The RCPT answer for ``recipient`` (MAIL FROM an outside sender)."""
    with smtp_session(host) as smtp:
        smtp.mail("gui@example.org")
        code, text = smtp.rcpt(recipient)
    return code, text.decode(errors="replace")


# --- IMAP as the owner --------------------------------------------------------------------

def imaps_login(host, local: str, password: str) -> IMAPS:
    password = owner_password(host, local, password)
    imap = IMAPS(host)
    try:
        imap.login(full(local), password)
    except imaplib.IMAP4.error:
        quietly_logout(imap)
        raise AssertionError(f"{full(local)} cannot log in over IMAPS with its password") \
            from None
    return imap


def can_login(host, local: str, password: str) -> bool:
    """One IMAPS login (a refused one costs the auth failure delay). An issued password this
    session changed is tried as it was changed to: the one that worked."""
    password = _CHANGED.get((host.name, password), password)
    imap = IMAPS(host)
    try:
        imap.login(full(local), password)
    except imaplib.IMAP4.error:
        return False
    finally:
        quietly_logout(imap)
    return True


def assert_no_login(host, local: str, password: str) -> None:
    """The password no longer opens the mailbox. Here, not in a test module: pytest's
    assertion rewriting would print the arguments (the password) of a failing call."""
    if can_login(host, local, password):
        raise AssertionError(f"{full(local)} still logs in over IMAPS")


def login(imap: imaplib.IMAP4, local: str, password: str) -> None:
    """LOGIN on an open connection; a refusal names the mailbox, never the password."""
    try:
        status, _ = imap.login(full(local), password)
    except imaplib.IMAP4.error as error:
        raise AssertionError(f"{full(local)}: login refused: {error}") from None
    if status != "OK":
        raise AssertionError(f"{full(local)}: login answered {status}")


def subjects(host, local: str, password: str, folder: str = "INBOX") -> list[str]:
    """The Subject of every message in ``folder``, read over IMAPS as its owner."""
    imap = imaps_login(host, local, password)
    try:
        status, _ = imap.select(folder, readonly=True)
        assert status == "OK", f"{full(local)}: no {folder}"
        found = []
        for number in (imap.search(None, "ALL")[1][0] or b"").split():
            _, data = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            header = email.message_from_bytes(data[0][1], policy=email.policy.default)
            found.append(str(header["Subject"]))
        return found
    finally:
        quietly_logout(imap)


def wait_read(host, local: str, password: str, subject: str, timeout: float = 60) -> None:
    """Wait until ``subject`` is in ``local``'s INBOX, read over IMAPS as its owner."""
    deadline = time.monotonic() + timeout
    while subject not in subjects(host, local, password):
        if time.monotonic() > deadline:
            raise AssertionError(f"{subject!r} not in the INBOX of {full(local)}")
        time.sleep(1)


def notices(host, local: str, password: str) -> list[email.message.EmailMessage]:
    """The notices in ``local``'s INBOX, oldest first, read over IMAPS."""
    imap = imaps_login(host, local, password)
    try:
        imap.select("INBOX", readonly=True)
        _, found = imap.search(None, "HEADER", "X-Hymail-Notice", '""')
        messages = []
        for number in (found[0] or b"").split():
            _, data = imap.fetch(number, "(BODY.PEEK[])")
            messages.append(email.message_from_bytes(data[0][1], policy=email.policy.default))
        return messages
    finally:
        quietly_logout(imap)


def passwords_from_notices(host, local: str, password: str, wanted: set[str],
                           timeout: float = 90) -> dict[str, str]:
    """The latest password of every wanted address in ``local``'s notices (waits for the
    notice: notify.yml sends it through the host's Postfix at the end of apply.yml)."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, str] = {}
        for message in notices(host, local, password):  # oldest first: the latest wins
            found.update(credentials_in(message))
        missing = {full(a) for a in wanted} - set(found)
        if not missing:
            return {address: found[full(address)] for address in wanted}
        if time.monotonic() > deadline:
            raise AssertionError(f"no notice to {full(local)} holds a password for "
                                 f"{sorted(missing)}")
        time.sleep(2)


def bootstrap_password(host, local: str = OPERATOR, state_dir: str = STATE_DIR) -> str:
    """The operator's first password, from the bootstrap file on the host (root only)."""
    path = f"{state_dir}/bootstrap/{full(local)}.credentials"
    text = host.run(f"cat {shlex.quote(path)}").stdout
    found = re.search(r"^password: (\S+)$", text, re.M)
    assert found, f"{path} holds no password line"
    return found[1]


def in_maildir(host, local: str, subject: str, timeout: float = 60) -> None:
    """Wait until a message with ``subject`` is stored for ``local``, looked up on the host
    with doveadm (it reads the role's configuration: the account's own home)."""
    query = (f"doveadm search -u {shlex.quote(full(local))} mailbox INBOX "
             f"header subject {shlex.quote(subject)}")
    deadline = time.monotonic() + timeout
    while not host.run(query, check=False).stdout.strip():
        if time.monotonic() > deadline:
            raise AssertionError(f"{subject!r} was not delivered to {full(local)}")
        time.sleep(1)


def dovecot_logged(host, text: str) -> int:
    """How many lines of dovecot.service's journal of this boot hold ``text`` (the operator's
    journalctl -u dovecot)."""
    command = f"journalctl -u dovecot.service -b --no-pager | grep -cF -- {shlex.quote(text)}"
    return int(host.run(command, check=False).stdout.strip() or 0)


# --- declared trees and playbooks against the host -----------------------------------------

def agency_file(address: str, name: str, divisions: list[dict], people: list[dict]) -> str:
    """An agency file of kind ``unit`` with its own address, every mailbox with a letter."""
    lines = [HEADER.rstrip(), "agency:", f"  name: {name}", "  kind: unit",
             f"  address: {address}", f"  owners: [vanthu-{address}]", f"  request: {LETTER}"]
    for title, items in (("divisions", divisions), ("people", people)):
        if items:
            lines.append(f"{title}:")
        for item in items:
            first = True
            for key, value in item.items():
                lines.append(f"  {'- ' if first else '  '}{key}: {value}")
                first = False
            lines.append(f"    request: {LETTER}")
    return "\n".join(lines) + "\n"


def tree(directory: pathlib.Path, files: dict[str, str], base: pathlib.Path | None = None):
    """A declared tree: ``base``'s files (the repository's mailboxes/) and ``files`` on top."""
    if directory.exists():
        shutil.rmtree(directory)
    if base:
        shutil.copytree(base, directory)
    else:
        directory.mkdir(parents=True)
        shutil.copy(ROOT / "mailboxes" / f"{OPERATOR}.yml", directory)
    for name, text in files.items():
        (directory / name).write_text(text, "utf-8")
    return directory


def playbook(host, name: str, workdir: pathlib.Path, *extra: str,
             timeout: float = 1800) -> subprocess.CompletedProcess:
    """ansible-playbook playbooks/<name> against the host, its outputs under ``workdir``
    (never the checkout's build/, which other runs share)."""
    args = ["ansible-playbook", "-i", str(host.inventory_dir), f"playbooks/{name}",
            "-e", f"desired_file={workdir}/desired.json",
            "-e", f"snapshot_file={workdir}/snapshot.json",
            "-e", f"drift_file={workdir}/drift.json"]
    env = ansible_env() | {"ANSIBLE_INVENTORY": str(host.inventory_dir)}
    return subprocess.run(args + json_extra_vars(extra), cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


def assert_ok(result: subprocess.CompletedProcess, what: str, secrets: tuple = ()) -> None:
    """The playbook succeeded; its output never shows a password or a hash."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, \
        f"{what} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    assert "$argon2" not in output and "{ARGON2ID}" not in output, f"{what} printed a hash"
    assert not any(secret in output for secret in secrets), f"{what} printed a password"


# --- the test province: one agency of the test's own, on top of the repository's tree ------

AGENCY, AGENCY_NAME = "ttktt", "Trung tâm Kiểm thử Thư công vụ"
ACTIVE, LOCKED, REVOKED = "dvkiem", "ntkhoa", "vvhoi"
OLD_DIVISION, NEW_DIVISION = f"pkt.{AGENCY}", f"pktcl.{AGENCY}"
PEOPLE = {ACTIVE: "Đỗ Văn Kiểm", LOCKED: "Ngô Thị Khóa", REVOKED: "Vũ Văn Hồi"}
BEFORE_REVOKE, BEFORE_RENAME = "thu truoc khi thu hoi", "thu truoc khi doi ten"


class Province:
    """The test agency on the host after two applies of apply.yml: the first creates it (an
    agency, a division, three people), the second locks one person, revokes another and
    renames the division. ``passwords`` as the owners received them."""

    def __init__(self, workdir: pathlib.Path):
        self.workdir = workdir
        self.passwords: dict[str, str] = {}

    def file(self, changed: bool) -> str:
        division = ({"name": "Phòng Kiểm tra chất lượng", "abbreviation": "pktcl",
                     "previous_addresses": f"[{OLD_DIVISION}]"} if changed else
                    {"name": "Phòng Kiểm tra", "abbreviation": "pkt"})
        people = [{"name": PEOPLE[ACTIVE], "title": "Chuyên viên"},
                  {"name": PEOPLE[LOCKED], "title": "Chuyên viên"},
                  {"name": PEOPLE[REVOKED], "title": "Chuyên viên"}]
        if changed:
            people[1] |= {"status": "locked", "lock_reason": "compromised"}
            people[2] |= {"status": "revoked"}
        return agency_file(AGENCY, AGENCY_NAME, [division], people)

    def tree(self, changed: bool) -> pathlib.Path:
        return tree(self.workdir / ("changed" if changed else "created"),
                    {f"{AGENCY}.yml": self.file(changed)}, base=ROOT / "mailboxes")

    def apply(self, host, changed: bool) -> None:
        result = playbook(host, "apply.yml", self.workdir,
                          "-e", f"mailboxes_dir={self.tree(changed)}",
                          "-e", f"commit=testhost-{'changed' if changed else 'created'}")
        assert_ok(result, "apply.yml", tuple(self.passwords.values()))

    def set_up(self, host) -> Province:
        if not exists(host, AGENCY):  # else the first deploy applied deploy_tree() already
            self.apply(host, changed=False)
        # The chain an operator follows: the bootstrap file opens the operator mailbox, whose
        # notices hold the agency's and division's passwords; the agency's, its people's.
        operator = bootstrap_password(host)
        self.passwords[OPERATOR] = operator
        self.passwords |= passwords_from_notices(host, OPERATOR, operator,
                                                 {AGENCY, OLD_DIVISION})
        self.passwords |= passwords_from_notices(host, AGENCY, self.passwords[AGENCY],
                                                 set(PEOPLE))
        self.passwords = {local.split("@")[0]: owner_password(host, local, value)
                          for local, value in self.passwords.items()}
        send(host, REVOKED, BEFORE_REVOKE)
        send(host, OLD_DIVISION, BEFORE_RENAME)
        wait_read(host, REVOKED, self.passwords[REVOKED], BEFORE_REVOKE)
        wait_read(host, OLD_DIVISION, self.passwords[OLD_DIVISION], BEFORE_RENAME)
        self.apply(host, changed=True)
        return self


def exists(host, local: str) -> bool:
    """Whether the host has the account (doveadm user, the role's configuration)."""
    return host.run(f"doveadm user -f home {shlex.quote(full(local))}", check=False).returncode == 0


def deploy_tree(directory: pathlib.Path) -> pathlib.Path:
    """The repository's mailboxes/ with the test agency as first created: a first deploy
    that applies it saves test_20 one apply.yml (about two minutes)."""
    return tree(directory, {f"{AGENCY}.yml": Province(directory).file(changed=False)},
                base=ROOT / "mailboxes")


_PROVINCES: dict[str, Province] = {}


def province(host, workdir: pathlib.Path) -> Province:
    """The test province on ``host``, set up once per session (test_20 and test_50 share it)."""
    if host.name not in _PROVINCES:
        _PROVINCES[host.name] = Province(workdir).set_up(host)
    return _PROVINCES[host.name]


# --- an embedded state on the controller, to be moved to the host -------------------------

# The embedded server of the move test: its own ports, away from the suite's (12525/11143)
# and a developer's (2525/1143).
EMBEDDED_PORTS = {"smtp_port": 28525, "imap_port": 28143, "mailserver_submission_port": 28587,
                  "mailserver_submissions_port": 28465, "mailserver_imaps_port": 28993,
                  "mailserver_web_port": 28080, "mailserver_relayhost": "[127.0.0.1]:28526"}
MOVED = ("mail", "data")  # the runbook moves these; outbox/ is sent, bootstrap/ read first


def local_playbook(name: str, state_dir: pathlib.Path, workdir: pathlib.Path,
                   *extra: str) -> subprocess.CompletedProcess:
    """ansible-playbook playbooks/<name> on inventory/local, at the embedded test state."""
    args = ["ansible-playbook", "-i", "inventory/local", f"playbooks/{name}",
            "-e", f"state_dir={state_dir}", "-e", f"desired_file={workdir}/desired.json",
            "-e", f"snapshot_file={workdir}/snapshot.json"]
    args += ["-e", json.dumps(EMBEDDED_PORTS)]
    return subprocess.run(args + json_extra_vars(extra), cwd=ROOT, env=ansible_env(),
                          text=True, capture_output=True, timeout=1800, check=False)


def send_local(local: str, subject: str) -> None:
    """A message to the embedded server on loopback."""
    message = f"From: gui@example.org\r\nTo: {full(local)}\r\nSubject: {subject}\r\n\r\nx\r\n"
    with smtplib.SMTP("127.0.0.1", EMBEDDED_PORTS["smtp_port"], timeout=60) as smtp:
        smtp.ehlo("sender.example.org")
        smtp.sendmail("gui@example.org", [full(local)], message.encode())


def move_to_host(host, state_dir: pathlib.Path) -> None:
    """The runbook's move (docs/production.md, "Moving an embedded state to the host"), the
    embedded servers already stopped: the host's units stopped, then ``mail/`` and ``data/``
    copied with rsync as root on both ends (owners mapped by name). apply.yml follows."""
    host.run("systemctl stop postfix@- dovecot")
    *ssh, destination = host.ssh_command()
    for name in MOVED:
        done = subprocess.run(
            ["rsync", "-aHAX", "--delete", "--rsync-path=sudo rsync",
             "-e", " ".join(shlex.quote(part) for part in ssh),
             f"{state_dir}/{name}/", f"{destination}:{STATE_DIR}/{name}/"],
            capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"rsync of {name}/: {done.stderr[-2000:]}"
