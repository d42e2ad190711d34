"""The logs of the session's real server (issue 17, part 4; README, "Logs").

Rotation: `mailserverctl rotate-logs --force` runs Debian's logrotate with the configuration
the role shipped (state_dir/etc/logrotate.conf). Every log is renamed and compressed at once,
and each server writes to its NEW file afterwards: a message sent after the rotation is found
by its Message-ID in the new postfix.log, in Dovecot's delivery line of the new dovecot.log
and in rspamd's new log, and counted by the Postfix exporter, which reads that log; a request
to nginx in its new access log; the old files hold what came before, compressed. A server
that kept writing to the renamed file would have put its line into a file that is gone
(compressed, removed): the test would not find it. Every program keeps running, with the
same pid.

Secrets: after logins (the initial password refused, a wrong one, the changed one over IMAP
and submission) and a password change through the web service, no password of the session
and nothing hash-shaped is in any file under log/ (the rotated ones uncompressed), in the
webmail's logs or in Dovecot's usage record.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import re
import smtplib
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
from e2e_support import DOMAIN, PORTS, issued_credentials, mailbox
from secrets_scan import Scanner, describe

pytestmark = pytest.mark.server

# The servers that keep their log open and reopen it (mailserverctl reopen-logs).
REOPENED = ("postfix.log", "dovecot.log", "rspamd.log", "nginx-access.log")


def running(ctl: pathlib.Path) -> dict[str, str]:
    """What `mailserverctl status` says runs: program -> pid."""
    status = subprocess.run([str(ctl), "status"], capture_output=True, text=True, timeout=60,
                            check=False)
    return dict(re.findall(r"^(.+): running \(pid (\d+)", status.stdout, re.MULTILINE))


def rotate(server) -> None:
    """The shipped rotation, now (--force: whatever logrotate's state file says). Every
    program keeps running, with the same pid: reopening a log restarts nothing."""
    ctl = server.state_dir / "bin" / "mailserverctl"
    before = running(ctl)
    assert {"postfix", "dovecot", "rspamd", "nginx"} <= set(before), before
    result = subprocess.run([str(ctl), "rotate-logs", "--force"], capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert running(ctl) == before, "a program stopped or restarted at the rotation"


def send_with_id(local: str, message_id: str) -> None:
    message = (f"From: e2e@example.org\r\nTo: {local}@{DOMAIN}\r\nSubject: logs\r\n"
               f"Message-ID: {message_id}\r\n\r\nx\r\n")
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=30) as smtp:
        smtp.ehlo("e2e.example.org")
        smtp.sendmail("e2e@example.org", [f"{local}@{DOMAIN}"], message.encode())


def wait_for(path: pathlib.Path, text: str, timeout: float = 60) -> None:
    """Until ``text`` is in the file ``path`` (as it is now: its current inode)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text("utf-8", errors="replace"):
            return
        time.sleep(0.3)
    raise AssertionError(f"{text!r} not in {path} after {timeout:.0f} s")


def web(path: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{PORTS['web_port']}{path}", data=data,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def exporter_count(name: str) -> float:
    """A counter of the Postfix exporter (0 before its first sample)."""
    url = f"http://127.0.0.1:{PORTS['postfix_exporter_port']}/metrics"
    with urllib.request.urlopen(url, timeout=30) as answer:
        for line in answer.read().decode("utf-8").splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    return 0.0


def test_after_a_rotation_each_server_writes_its_new_file(province):
    server = province.server
    log = server.state_dir / "log"
    province.declare(mailbox("logrotate", "logs"))
    province.run()
    # Something in every reopened log first: logrotate leaves an empty one alone.
    server.send("logrotate", "before the rotation")
    server.delivered("logrotate", "before the rotation")
    assert web("/doimatkhau")[0] == 200
    wait_for(log / "nginx-access.log", "/doimatkhau")
    for name in REOPENED:
        assert (log / name).stat().st_size > 0, f"{name} is empty"
    before = {name: (log / name).stat().st_ino for name in REOPENED}

    rotate(server)

    for name in REOPENED:
        old = log / f"{name}.1.gz"
        assert old.is_file(), f"{name} was not rotated and compressed: {sorted(log.iterdir())}"
        assert gzip.decompress(old.read_bytes()), f"{old.name} is empty"
        assert not (log / f"{name}.1").exists(), f"{name}.1 left uncompressed"
        new = (log / name).stat()
        assert new.st_ino != before[name], f"{name} is still the old file"
        assert new.st_mode & 0o077 == 0, f"{name}: mode {oct(new.st_mode)}"

    cleaned = exporter_count("postfix_cleanup_messages_processed_total")
    message_id = f"<logs.{uuid.uuid4().hex}@e2e.example.org>"
    send_with_id("logrotate", message_id)
    server.delivered("logrotate", "logs")
    wait_for(log / "postfix.log", f"message-id={message_id}")
    wait_for(log / "dovecot.log", f"msgid={message_id}: saved mail to INBOX")
    wait_for(log / "rspamd.log", f"id: {message_id}")
    # The Postfix exporter reads Postfix's log: it follows the new file (HymailDeliveriesDeferred).
    deadline = time.monotonic() + 60
    while exporter_count("postfix_cleanup_messages_processed_total") <= cleaned:
        assert time.monotonic() < deadline, "the Postfix exporter did not read the new log"
        time.sleep(1)
    # nginx logs the path without its query (an unknown one as the webmail's index.php).
    assert web(f"/mail/config-v1.1.xml?emailaddress=logrotate%40{DOMAIN}")[0] == 200
    wait_for(log / "nginx-access.log", "GET /mail/config-v1.1.xml ")
    for name in REOPENED[:3]:  # what came after the rotation is not in the old file
        old = gzip.decompress((log / f"{name}.1.gz").read_bytes()).decode("utf-8", "replace")
        assert message_id not in old, name


def test_no_password_and_no_hash_in_any_log(province):
    server = province.server
    province.declare(mailbox("logsecret", "logs"))
    province.run()
    initial = province.issued_password("logsecret")
    wrong = passwords.generate()
    new = passwords.generate()
    # The initial password (refused until it is changed), a wrong one, then the change
    # through the web service (nginx, the application, the helper) and logins with the new.
    assert server.login_answer("logsecret", initial).startswith("[ALERT] HYM060 ")
    assert server.login_answer("logsecret", wrong) != "OK"
    body = json.dumps({"address": f"logsecret@{DOMAIN}", "current": initial, "new": new})
    status, answer = web("/api/password", body.encode())
    assert status == 200, answer
    server.assert_login("logsecret", new)
    context = ssl.create_default_context(cafile=str(server.state_dir / "tls" / "ca.pem"))
    with smtplib.SMTP("127.0.0.1", PORTS["submission_port"], timeout=60) as smtp:
        smtp.starttls(context=context)
        assert smtp.login(f"logsecret@{DOMAIN}", new)[0] == 235
    rotate(server)  # the rotated files are scanned too
    server.assert_login("logsecret", new)

    secrets = {item["address"]: item["password"] for item in issued_credentials(server)}
    secrets |= {"logsecret (wrong)": wrong, "logsecret (changed)": new}
    hashes = {line.split(":", 2)[0]: line.split(":", 2)[1]
              for line in (server.live / "users.passwd").read_text("utf-8").splitlines()
              if line.count(":") >= 2}
    assert f"logsecret@{DOMAIN}" in hashes and "$argon2" in hashes[f"logsecret@{DOMAIN}"]
    scanner = Scanner(passwords=secrets, hashes=hashes)
    files = [path for root in (server.state_dir / "log", server.state_dir / "webmail" / "logs")
             if root.exists() for path in sorted(root.rglob("*")) if path.is_file()]
    files += sorted((server.state_dir / "usage").glob("mailbox-open.log*"))
    assert any(path.suffix == ".gz" for path in files), "nothing rotated: the scan would miss"
    assert (server.state_dir / "log" / "dovecot.log").stat().st_size > 0
    found = []
    for path in files:
        data = path.read_bytes()
        found += scanner.text(str(path), gzip.decompress(data) if path.suffix == ".gz" else data)
    assert not found, describe(found)
