"""A newcomer's first run: clone into a private directory (0700, like /root and every
mktemp -d, with a space in the path), run the README's main job there, and use the mail.

The clone is the repository's HEAD with the checkout's uncommitted edits laid over it, so
that the test runs the code under test. Its server runs on ports of its own
(HYMAIL_CLONE_SMTP_PORT etc. move them) with the default state directory of
inventory/local, which ``make mailserver-destroy`` removes at the end.
"""

from __future__ import annotations

import imaplib
import os
import pathlib
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from e2e_support import DOMAIN, ROOT, Server, change_password

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


@pytest.fixture
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


def test_main_job_works_in_a_private_clone_and_destroy_leaves_nothing(clone):
    applied = make(clone, "apply")
    assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-2000:]
    link = clone / ".state"
    state = pathlib.Path(os.readlink(link))
    assert state.parent == pathlib.Path("/var/lib/hymail-local"), state
    assert state.name.startswith("hy-mail-"), state
    assert f"Thư mục dữ liệu của máy chủ thư: {state}" in applied.stdout

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
