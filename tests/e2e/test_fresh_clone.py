"""A newcomer's first run: clone into a private directory (0700, like /root and every
mktemp -d, with a space in the path), run the README's main job there on the repository's
real province, and use the mail; then destroy it.

One clone and one first ``make apply`` serve both tests of this module (a first apply of
the real province, on a server the apply installs, is the suite's costliest set-up):

- the main job: every mailbox created and every agency notified, a second ``make apply``
  changes nothing, and every password the run generated (in the delivered notices and the
  bootstrap file) is looked for in both runs' output, the server's state, the clone's
  build/ and files: it may only be in the notices' mailboxes and the bootstrap file, and
  its hash only in the account file (run first: the other test changes a password);
- the newcomer: the state link, a message read back with the first password once changed,
  and ``make mailserver-destroy`` leaving nothing behind.

The clone is the repository's HEAD with the checkout's uncommitted edits laid over it, so
that the test runs the code under test. Its server runs on ports of its own
(HYMAIL_CLONE_SMTP_PORT etc. move them) with the default state directory of
inventory/local, which ``make mailserver-destroy`` removes at the end.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import json
import os
import pathlib
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import (
    ACTIONS,
    LABELS,
)
from e2e_support import DOMAIN, ROOT, Server, change_password, issued_credentials
from secrets_scan import HASH, PASSWORD, REAL_HASH, Scanner, describe, repository_files
from test_notifications import credentials_in, delivered_notices

pytestmark = [pytest.mark.server, pytest.mark.playbook]

PORTS = {f"HYMAIL_{name}_PORT": os.environ.get(f"HYMAIL_CLONE_{name}_PORT", default)
         for name, default in (("SMTP", "14525"), ("IMAP", "14143"), ("SUBMISSION", "14587"),
                               ("SUBMISSIONS", "14465"), ("IMAPS", "14993"), ("RELAY", "14526"),
                               ("WEB", "14080"),
                               ("DOVECOT_METRICS", "14166"), ("POSTFIX_EXPORTER", "14154"),
                               ("NODE_EXPORTER", "14100"))}
OPERATOR = f"sotttt@{DOMAIN}"


def clone_checkout(target: pathlib.Path) -> None:
    """``git clone`` of this checkout, then its uncommitted edits and new files over it."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, copy = ROOT / name, target / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
        elif copy.is_file():  # deleted in the checkout, not yet committed
            copy.unlink()


def make(clone: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    """make in the clone, as a newcomer runs it (the test's venv stands in for .venv)."""
    env = dict(os.environ, HYMAIL_VENV=str(pathlib.Path(sys.executable).parents[1]), **PORTS)
    for name in ("ANSIBLE_CONFIG", "VIRTUAL_ENV", "HYMAIL_STATE_DIR"):
        env.pop(name, None)
    return subprocess.run(["make", *args], cwd=clone, env=env, text=True, capture_output=True,
                          timeout=1800, check=False)


def port_open(port: str) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", int(port))) == 0


@pytest.fixture(scope="module")
def clone():
    """A clone under a fresh 0700 directory, its server destroyed at the end in any case."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="hymail-clone-"))
    assert top.stat().st_mode & 0o777 == 0o700
    path = top / "hy mail"
    try:
        clone_checkout(path)
        yield path
    finally:
        state = (path / ".state").resolve()
        ctl = state / "bin" / "mailserverctl"
        if ctl.exists():
            subprocess.run([str(ctl), "stop"], capture_output=True, timeout=180, check=False)
            shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def first_apply(clone) -> subprocess.CompletedProcess:
    """The newcomer's first ``make apply`` in the clone (each test checks it succeeded)."""
    return make(clone, "apply")


def succeeded(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_real_province_is_provisioned_notified_and_a_second_apply_changes_nothing(
        clone, first_apply):
    succeeded(first_apply)
    server = Server(str((clone / ".state").resolve()))
    mailboxes = json.loads((clone / "build" / "desired.json").read_text("utf-8"))["mailboxes"]
    agencies = sorted({m["agency"] for m in mailboxes})
    assert len(agencies) == 189
    assert reconcile_summary(first_apply.stdout)["create"] == len(mailboxes)
    for agency in agencies:
        assert len(delivered_notices(server, agency)) == 1, agency
    assert "bootstrap/sotttt@hungyen.gov.vn.credentials" in first_apply.stdout

    second = make(clone, "apply")
    succeeded(second)
    assert reconcile_summary(second.stdout)["total"] == 0
    assert re.search(r"localhost\s+: ok=\d+\s+changed=0 ", second.stdout), second.stdout[-2000:]
    assert not list(server.outbox.glob("*.jsonl"))

    # Secrets: every password the run issued, and every hash, only where they belong.
    issued = issued_passwords(server)
    assert len(issued) == len(mailboxes), "a password the notices do not show"
    hashes = account_hashes(server)
    assert set(hashes) == set(issued)
    # The scanner sees each one where it is (the notices are base64 MIME parts).
    seen = Scanner(passwords=issued, shapes=None).paths(
        server.state_dir / "mail", server.state_dir / "bootstrap")
    assert {finding.what for finding in seen} == set(issued), "the scanner missed a notice"
    scanner = Scanner(passwords=issued, hashes=hashes, allowed={
        server.state_dir / "mail": {PASSWORD}, server.state_dir / "bootstrap": {PASSWORD},
        server.state_dir / "data" / "gen" / "*" / "users.passwd": {HASH},
        server.state_dir / "data" / "gen" / "*" / "must-change.passwd": {HASH},
        # the collection's code the web side runs (it names the hash scheme); the
        # repository's code is scanned for real hashes below
        server.state_dir / "lib": {HASH}})
    leaks = [finding for label, text in (
        ("first make apply stdout", first_apply.stdout),
        ("first make apply stderr", first_apply.stderr),
        ("second make apply stdout", second.stdout), ("second make apply stderr", second.stderr))
        for finding in scanner.text(label, text)]
    leaks += settled(lambda: scanner.paths(server.state_dir))  # the queue empties last
    # The clone the apply ran in: its build/ (desired state, snapshot) and its files.
    leaks += Scanner(passwords=issued, hashes=hashes, shapes=REAL_HASH).files(
        repository_files(clone))
    leaks += Scanner(passwords=issued, hashes=hashes, shapes=None).paths(clone / "build")
    assert not leaks, describe(leaks)


def test_main_job_works_in_a_private_clone_and_destroy_leaves_nothing(clone, first_apply):
    succeeded(first_apply)
    link = clone / ".state"
    state = pathlib.Path(os.readlink(link))
    assert state.parent == pathlib.Path("/var/lib/hymail-local"), state
    assert state.name.startswith("hy-mail-"), state
    assert f"Thư mục dữ liệu của máy chủ thư: {state}" in first_apply.stdout

    # A message to Sở TTTT's mailbox, read back with the first password the apply issued,
    # once changed (as at the password page: the initial one opens nothing, Điều 12.1).
    password = change_password(Server(str(state)), OPERATOR.split("@")[0],
                               bootstrap_password(link))
    subject = "Thu thu nghiem sau khi cai dat"
    with smtplib.SMTP("127.0.0.1", int(PORTS["HYMAIL_SMTP_PORT"]), timeout=30) as smtp:
        smtp.sendmail("newcomer@example.org", [OPERATOR],
                      f"From: newcomer@example.org\r\nTo: {OPERATOR}\r\n"
                      f"Subject: {subject}\r\n\r\nXin chao.\r\n".encode())
    assert subject in read_subjects(password, subject)

    destroyed = make(clone, "mailserver-destroy")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert not state.exists() and not link.is_symlink()
    assert not any(port_open(port) for port in PORTS.values())


def bootstrap_password(state: pathlib.Path) -> str:
    path = state / "bootstrap" / f"{OPERATOR}.credentials"
    fields = dict(line.split(": ", 1) for line in path.read_text("utf-8").splitlines()
                  if ": " in line and not line.startswith("#"))
    return fields["password"]


def read_subjects(password: str, subject: str, tries: int = 60) -> str:
    """The Subject headers of the messages with ``subject`` in the operator's INBOX (waits
    for the delivery, at most ``tries`` half-seconds)."""
    imap = imaplib.IMAP4("127.0.0.1", int(PORTS["HYMAIL_IMAP_PORT"]), timeout=60)
    try:
        imap.login(OPERATOR, password)
        for _ in range(tries):
            imap.select("INBOX")
            found = imap.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
            if found:
                return imap.fetch(found[0], "(BODY[HEADER.FIELDS (SUBJECT)])")[1][0][1].decode()
            imap.close()
            time.sleep(0.5)
        return ""
    finally:
        imap.logout()


def reconcile_summary(output: str) -> dict:
    """The counts the apply printed for its reconcile task, by action code (the line reads
    ``Kế hoạch: 4 thay đổi. Cấp mới (điểm a khoản 2 Điều 6): 3; …`` with 10.000-style
    figures), and the total."""
    block = output.split("TASK [Show what was applied]", 1)[1].split("TASK [", 1)[0]
    line = " ".join(block.split())  # the callback wraps a long message
    figure = r"(\d+(?:\.\d{3})*)"
    total = re.search(rf"Kế hoạch: {figure} thay đổi", line)
    counts = {"total": int(total[1].replace(".", "")) if total else 0}
    for action in ACTIONS:
        found = re.search(rf"{re.escape(LABELS[action])}: {figure}", line)
        counts[action] = int(found[1].replace(".", "")) if found else 0
    return counts


def issued_passwords(server) -> dict[str, str]:
    """Every password of the run, by address: in the notices delivered to any mailbox (the
    playbook sent them all) and in the bootstrap file (the operator mailbox's own)."""
    found = {}
    for path in sorted((server.state_dir / "mail" / DOMAIN).glob("*/Maildir/*/*")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Hymail-Notice"]:
            found.update(credentials_in(message))
    found.update((item["address"], item["password"]) for item in issued_credentials(server))
    return found


def account_hashes(server) -> dict[str, str]:
    """The hash of every account in the account file the servers read."""
    lines = (server.data / "live" / "users.passwd").read_text("utf-8").splitlines()
    return dict(line.split(":", 2)[:2] for line in lines if line.count(":") >= 2)


def settled(scan, timeout: float = 30) -> list:
    """The findings of ``scan`` once Postfix has removed delivered notices from its queue
    (their files leave spool/ just after the delivery): scans again for a while."""
    deadline = time.monotonic() + timeout
    while True:
        found = scan()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(1)
