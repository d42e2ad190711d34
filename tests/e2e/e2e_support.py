"""Helpers of the end-to-end tests: the test server, and a province reconciled in-process.

Each test declares only its own mailboxes: everybody else's accounts are drift to it, and
drift is never touched.
"""

from __future__ import annotations

import contextlib
import imaplib
import itertools
import json
import os
import pathlib
import shutil
import smtplib
import ssl
import subprocess
import sys
import time

from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.password import change
from ansible_collections.hungyen.mail.plugins.modules import mailbox_reconcile
from secrets_scan import Scanner, describe

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOMAIN = "hungyen.gov.vn"
# Away from a developer's server (2525...); HYMAIL_E2E_SMTP_PORT etc. move them again, so
# that two test runs on one machine do not clash.
PORTS = {key: int(os.environ.get(f"HYMAIL_E2E_{key.upper()}", default))
         for key, default in (("smtp_port", 12525), ("imap_port", 11143),
                              ("submission_port", 15870), ("submissions_port", 14650),
                              ("imaps_port", 19930), ("relay_port", 12526),
                              ("web_port", 18080), ("dovecot_metrics_port", 19166),
                              ("postfix_exporter_port", 19154),
                              ("node_exporter_port", 19100))}
CHEAP_HASH = {"hash_time_cost": 1, "hash_memory_kib": 8192, "hash_parallelism": 1}
CHEAP_SETTINGS = passwords.HashSettings(time_cost=1, memory_kib=8192, parallelism=1)
LETTER = Request("101/ĐN-E2E", "2026-11-29")


def ansible_env() -> dict:
    """The environment ansible-playbook needs: the venv first, the project's ansible.cfg."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


def port_variables(ports: dict) -> dict:
    """The inventory variables that put a server on ``ports`` (keys as in PORTS)."""
    names = {"smtp_port": "smtp_port", "imap_port": "imap_port",
             "submission_port": "mailserver_submission_port",
             "submissions_port": "mailserver_submissions_port",
             "imaps_port": "mailserver_imaps_port", "web_port": "mailserver_web_port",
             "dovecot_metrics_port": "mailserver_metrics_port_dovecot",
             "postfix_exporter_port": "mailserver_metrics_port_postfix",
             "node_exporter_port": "mailserver_metrics_port_node"}
    variables = {names[key]: str(value) for key, value in ports.items() if key in names}
    if "relay_port" in ports:
        variables["mailserver_relayhost"] = f"[127.0.0.1]:{ports['relay_port']}"
    return variables


def run_playbook(playbook: str, state_dir: str, *extra: str) -> subprocess.CompletedProcess:
    """ansible-playbook on the local inventory, pointed at the test server."""
    args = ["ansible-playbook", "-i", "inventory/local", f"playbooks/{playbook}",
            "-e", f"state_dir={state_dir}"]
    args += ["-e", json.dumps(port_variables(PORTS))]
    return subprocess.run(args + json_extra_vars(extra), cwd=ROOT, env=ansible_env(),
                          text=True, capture_output=True, timeout=1800, check=False)


def json_extra_vars(args: tuple[str, ...]) -> list[str]:
    """``-e key=value`` as ``-e {"key": "value"}``: Ansible splits key=value on spaces, and
    the checkout's path may hold one."""
    out = list(args)
    for index, arg in enumerate(out[1:], start=1):
        if out[index - 1] == "-e" and "=" in arg and not arg.startswith(("{", "@")):
            key, value = arg.split("=", 1)
            out[index] = json.dumps({key: value})
    return out


# submission_answer's client addresses (127.0.0.1 is the mail host itself, mynetworks).
_SUBMISSION_SOURCES = itertools.cycle(f"127.0.{third}.{fourth}" for third in (3, 4)
                                      for fourth in range(1, 255))


class Server:
    """The running test server: where its state is and how to reach it."""

    def __init__(self, state_dir: str):
        self.state_dir = pathlib.Path(state_dir)
        self.data = self.state_dir / "data"
        self.live = self.data / "live"  # the served generation
        self.outbox = self.state_dir / "outbox"
        # The session's own set-up of this server (conftest.py): the machine before and
        # after it, and its output; None for a server set up elsewhere.
        self.installation: dict | None = None

    def maildir(self, local: str) -> pathlib.Path:
        """Where the account's mail is (a renamed account keeps its first home)."""
        backend = backend_from_settings(str(self.state_dir), DOMAIN)
        return pathlib.Path(backend.home(local)) / "Maildir"

    def send(self, local: str, subject: str) -> None:
        """SMTP on loopback; raises SMTPRecipientsRefused when RCPT is refused."""
        headers = f"From: e2e@example.org\r\nTo: {local}@{DOMAIN}\r\nSubject: {subject}"
        message = headers + "\r\n\r\nx\r\n"
        with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=30) as smtp:
            smtp.ehlo("e2e.example.org")
            smtp.sendmail("e2e@example.org", [f"{local}@{DOMAIN}"], message.encode())

    def refusal(self, local: str) -> tuple[int, str]:
        """The RCPT answer for an address that must be refused."""
        with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=30) as smtp:
            smtp.ehlo("e2e.example.org")
            smtp.mail("e2e@example.org")
            code, text = smtp.rcpt(f"{local}@{DOMAIN}")
        return code, text.decode()

    def delivered(self, local: str, subject: str, timeout: float = 30) -> pathlib.Path:
        """The message file with ``subject`` in the Maildir of ``local`` (waits for delivery)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in self._messages(local):
                if f"Subject: {subject}" in path.read_text(errors="replace"):
                    return path
            time.sleep(0.3)
        raise AssertionError(f"no message {subject!r} in {self.maildir(local)}")

    def _messages(self, local: str) -> list[pathlib.Path]:
        return [p for sub in ("new", "cur") for p in (self.maildir(local) / sub).glob("*")
                if p.is_file()]

    def must_change(self, local: str) -> bool:
        """Whether the server refuses ``local``'s right password until it is changed."""
        path = self.live / "must-change.passwd"
        prefix = f"{local}@{DOMAIN}:"
        return path.exists() and any(line.startswith(prefix)
                                     for line in path.read_text("utf-8").splitlines())

    def assert_login(self, local: str, password: str) -> None:
        """A login that must work; a failure names the mailbox, never the password."""
        if not self.can_login(local, password):
            raise AssertionError(f"{local} cannot log in with its password")

    def assert_no_login(self, local: str, password: str) -> None:
        if self.can_login(local, password):
            raise AssertionError(f"{local} can still log in")

    def can_login(self, local: str, password: str) -> bool:
        """One IMAP login (a failed one costs seconds here: keep them few)."""
        return self.login_answer(local, password) == "OK"

    def login_answer(self, local: str, password: str) -> str:
        """The text of the answer to one IMAP LOGIN: ``OK``, or what follows ``NO``."""
        imap = imaplib.IMAP4("127.0.0.1", PORTS["imap_port"], timeout=60)
        try:
            imap.login(f"{local}@{DOMAIN}", password)
        except imaplib.IMAP4.error as error:
            text = error.args[0]
            return text.decode() if isinstance(text, bytes) else str(text)
        finally:
            _quietly_logout(imap)
        return "OK"

    def submission_answer(self, local: str, password: str,
                          source: str | None = None) -> tuple[int, str]:
        """The answer to AUTH on submission from ``source``, after STARTTLS verified against
        the server's own CA: ``(235, ...)``, or the refusal's code and text. By default each
        call comes from a loopback address of its own: Dovecot's auth penalty grows per
        client address for an hour (up to 15 s, longer than Postfix waits for its SASL
        answer: 454), and the other e2e tests' failed logins all come from 127.0.0.1."""
        source = source or next(_SUBMISSION_SOURCES)
        context = ssl.create_default_context(cafile=str(self.state_dir / "tls" / "ca.pem"))
        with smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60,
                          source_address=(source, 0)) as smtp:
            smtp.ehlo("client.example.org")
            smtp.starttls(context=context)
            smtp.ehlo("client.example.org")
            try:
                code, text = smtp.login(f"{local}@{DOMAIN}", password)
            except smtplib.SMTPAuthenticationError as error:
                code, text = error.smtp_code, error.smtp_error
        return code, text.decode(errors="replace")

    def assert_initial_password(self, local: str, password: str) -> None:
        """``password`` is ``local``'s right password, refused until it is changed (HYM060);
        a failure names the mailbox, never the password."""
        answer = self.login_answer(local, password)
        assert answer.startswith("[ALERT] HYM060 "), f"{local}: {answer[:60]}"

    def imap(self, local: str, password: str) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", PORTS["imap_port"], timeout=60)
        imap.login(f"{local}@{DOMAIN}", password)
        return imap

    def snapshot(self) -> dict:
        """What check mode must leave alone: every data and outbox file, with its stamp."""
        files = [p for d in (self.data, self.outbox) if d.exists() for p in d.rglob("*")]
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def _quietly_logout(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        imap.logout()


class Province:
    """One test's declared mailboxes, reconciled in-process with the module's run()."""

    def __init__(self, server: Server, workdir: pathlib.Path):
        self.server = server
        self.desired_file = workdir / "desired.json"
        self.mailboxes: dict[str, Mailbox] = {}
        self.results: list[dict] = []
        self.changed: dict[str, tuple[str, str]] = {}  # local -> (issued, changed to)

    def declare(self, *mailboxes: Mailbox) -> None:
        """Declare (or redeclare) mailboxes by address."""
        for mailbox in mailboxes:
            self.mailboxes[mailbox.address] = mailbox

    def forget(self, address: str) -> None:
        self.mailboxes.pop(address)

    def run(self, check: bool = False, diff: bool = False, **params) -> dict:
        """One reconcile; check mode must write nothing; no result may hold a secret."""
        payload = {"domain": DOMAIN, "mailboxes": [m.to_dict() for m in self.mailboxes.values()]}
        self.desired_file.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        before = self.server.snapshot()
        result = mailbox_reconcile.run(self._params() | params, check, diff)
        if check:
            assert self.server.snapshot() == before, "check mode wrote to the server"
        assert_no_secret(self.server, json.dumps(result, ensure_ascii=False))
        if result.get("applied"):
            _next_second()
        self.results.append(result)
        return result

    def four_steps(self) -> list[dict]:
        """check, apply, check, apply: changed, changed, unchanged, unchanged."""
        results = [self.run(check=True), self.run(), self.run(check=True), self.run()]
        assert [r["changed"] for r in results] == [True, True, False, False], \
            [r["summary"] for r in results]
        return results

    def password(self, local: str) -> str:
        """A password ``local`` logs in with: the latest one issued, or, while the server
        still refuses that one until it is changed (must-change.passwd), a new one it was
        changed to, in-process, as the password page changes it (remembered per issue)."""
        issued = self.issued_password(local)
        changed = self.changed.get(local)
        if changed is not None and changed[0] == issued:
            return changed[1]
        if not self.server.must_change(local):
            return issued
        new = change_password(self.server, local, issued)
        self.changed[local] = (issued, new)
        return new

    def issued_password(self, local: str) -> str:
        """The latest password the notices (or the bootstrap file) hold for ``local``."""
        return issued_password(self.server, local)

    def _params(self) -> dict:
        return {"desired_file": str(self.desired_file), "state_dir": str(self.server.state_dir),
                "domain": DOMAIN, **CHEAP_HASH}


def _next_second() -> None:
    """Dovecot looks at a changed passwd-file at most once a second: let that second pass."""
    time.sleep(1.05 - time.time() % 1)


def issued_password(server: Server, local: str) -> str:
    """The latest password the notices (or the bootstrap file) hold for ``local``."""
    found = {item["address"]: item["password"] for item in issued_credentials(server)}
    assert f"{local}@{DOMAIN}" in found, f"no credential notice for {local}"
    return found[f"{local}@{DOMAIN}"]


def change_password(server: Server, local: str, current: str) -> str:
    """Change ``local``'s password from ``current`` to a new one meeting Điều 8, as the
    password page does (a new generation, the must-change flag gone); the new password."""
    backend = backend_from_settings(str(server.state_dir), DOMAIN)
    for _attempt in range(20):  # a random one may hold a word of the name (HYM009): again
        new = passwords.generate()
        result = change.change_password(
            backend, f"{local}@{DOMAIN}", current, new, now=clock.now().isoformat(),
            min_length=8, hash_settings=CHEAP_SETTINGS, lock_timeout=60)
        if result.get("status") != 400:
            break
    assert result.get("status") == 200, f"{local}: the change was refused: {result}"
    assert not server.must_change(local), f"{local} must still change its password"
    return new


def issued_credentials(server: Server) -> list[dict]:
    """Every credential still in the outbox, oldest first, then the bootstrap files'."""
    dated = []
    for path in sorted(server.outbox.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            notice = json.loads(line)
            dated += [(notice["created"], item) for item in
                      notice.get("credentials", []) + notice.get("unit_credentials", [])]
    items = [item for _, item in sorted(dated, key=lambda pair: pair[0])]
    for path in sorted((server.state_dir / "bootstrap").glob("*.credentials")):
        fields = dict(line.split(": ", 1) for line in path.read_text("utf-8").splitlines()
                      if ": " in line and not line.startswith("#"))
        items.append({"address": fields["address"], "password": fields["password"]})
    return items


def assert_no_secret(server: Server, text: str) -> None:
    """No generated password and no hash may appear in ``text``; a failure names where,
    never the secret."""
    passwords = {item["address"]: item["password"] for item in issued_credentials(server)}
    found = Scanner(passwords=passwords).text("result", text)
    assert not found, describe(found)


def wait_for(condition, timeout: float = 30, interval: float = 0.3):
    """The first true value of ``condition()`` within ``timeout`` seconds, else its last value
    (asked once more at the deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


def mailbox(address: str, agency: str, kind: str = "person", **fields) -> Mailbox:
    """A declared mailbox for the tests, with a request letter."""
    fields.setdefault("name", f"Cán bộ {address}")
    return Mailbox(address=address, kind=kind, agency=agency, request=LETTER, **fields)


def wipe(state_dir: str) -> None:
    """Empty a reused test server: a new, empty generation; journal, mail and notices gone."""
    data = pathlib.Path(state_dir, "data")
    live = data / "live"
    backend = backend_from_settings(state_dir, DOMAIN)
    backend.ensure_layout()
    staging = pathlib.Path(backend.generations.stage())
    for path in live.iterdir():
        if path.is_file() and path.name != "pending.json":
            target = staging / path.name
            target.write_bytes(b"")
            shutil.copymode(path, target)
            os.chown(target, path.stat().st_uid, path.stat().st_gid)
    for name in ("vmailbox", "valias", "recipient_access", "sender_logins"):
        subprocess.run(["postmap", "-c", f"{state_dir}/etc/postfix", f"hash:{staging / name}"],
                       check=True)
    backend.generations.commit(str(staging))
    backend.generations.prune()
    for name in ("holds.json", "journal.jsonl"):
        (data / name).unlink(missing_ok=True)
    shutil.rmtree(pathlib.Path(state_dir, "private"), ignore_errors=True)  # password history
    for directory in (pathlib.Path(state_dir, "mail", DOMAIN), pathlib.Path(state_dir, "outbox"),
                      pathlib.Path(state_dir, "bootstrap")):
        for child in directory.glob("*"):
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def tcp_listening_ports(pid: int) -> set[int]:
    """Ports of the TCP sockets process ``pid`` holds in state LISTEN."""
    inodes = set()
    for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
