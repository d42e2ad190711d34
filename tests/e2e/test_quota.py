"""Quotas against the session's real server (issue 17, part 6).

A mailbox declared with a quota of its own (1M, the backend's userdb quota rule; the
inventory's mailserver_quota_default is everybody else's) is filled over SMTP: past 90 %
its owner gets HYM080 once, from the operator mailbox (Dovecot's quota_warning script,
delivered by dovecot-lda); further mail is refused at RCPT with 552 5.2.2 HYM081 (Dovecot's
quota-status as Postfix's policy service), so the sending client is told at once and
nothing is accepted and bounced later. A mailbox without a quota of its own still takes the
same message. The count of mailboxes past 90 % (hymail_quota_warned_mailboxes, node
exporter's textfile) goes up by one, and the shipped rule HymailMailboxesNearlyFull fires in
a promtool rule test on what was scraped.
"""

from __future__ import annotations

import email
import email.header
import re
import shutil
import smtplib
import subprocess
import time
import urllib.request
import uuid

import pytest
import yaml
from e2e_support import DOMAIN, PORTS, ROOT, mailbox, wait_for

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


def warnings(server, local: str) -> list[email.message.Message]:
    return [m for m in messages(server, local) if subject_of(m).startswith("HYM080 ")]


RULES = ROOT / "monitoring" / "hymail.rules.yml"
ALERT = "HymailMailboxesNearlyFull"


def warned_count() -> int:
    """hymail_quota_warned_mailboxes as node exporter serves it (its textfile collector)."""
    url = f"http://127.0.0.1:{PORTS['node_exporter_port']}/metrics"
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = answer.read().decode()
    assert "node_textfile_scrape_error 0" in body
    found = re.search(r"^hymail_quota_warned_mailboxes (\d+)$", body, re.M)
    assert found, "no hymail_quota_warned_mailboxes in node exporter's answer"
    return int(found[1])


def alert_fixture(before: int, after: int) -> dict:
    """A promtool rule test of the shipped rule on the two scraped values: ``after`` from
    minute 3 on; the alert with ``after`` as its value at minute 15, none at minute 2."""
    rule = next(r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]
                if r["alert"] == ALERT)
    instance = f"127.0.0.1:{PORTS['node_exporter_port']}"
    notes = {key: text.replace("{{ $value }}", str(after))
             .replace("{{ $labels.instance }}", instance)
             for key, text in rule["annotations"].items()}
    series = f'hymail_quota_warned_mailboxes{{job="node",instance="{instance}"}}'
    return {"rule_files": [str(RULES)], "evaluation_interval": "1m",
            "tests": [{"interval": "1m",
                       "input_series": [{"series": series,
                                         "values": f"{before} {before} {before} {after}x15"}],
                       "alert_rule_test": [
                           {"eval_time": "2m", "alertname": ALERT,
                            "exp_alerts": [] if before == 0 else None},
                           {"eval_time": "15m", "alertname": ALERT, "exp_alerts": [
                               {"exp_labels": {"instance": instance, **rule["labels"]},
                                "exp_annotations": notes}]}]}]}


def test_a_full_mailbox_is_warned_once_then_refuses_mail_with_a_clear_552(server, province,
                                                                           tmp_path):
    before = warned_count()
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

    # quota-status is asked for the mailboxes past 90 % alone: Postfix's map names qtday.
    assert in_nearly_full(server, "qtday") and not in_nearly_full(server, "qtthuong")

    # Still refused, still one warning; another mailbox (the inventory's 2G) takes it.
    assert send("qtday", "Thu them")[0] == 552
    assert send("qtthuong", "Thu binh thuong") == (0, "")
    assert server.delivered("qtthuong", "Thu binh thuong")
    time.sleep(2)
    assert len(warnings(server, "qtday")) == 1
    log = (server.state_dir / "log" / "postfix.log").read_text(errors="replace")
    assert "HYM081" in log and f"<qtday@{DOMAIN}>" in log

    # The operator's alert: one more mailbox counted, and the rule fires on the scrapes.
    after = warned_count()
    assert after == before + 1, (before, after)
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (make test-deps)")
    fixture = alert_fixture(before, after)
    if before:  # the alert may already be on: only the later evaluation is compared
        fixture["tests"][0]["alert_rule_test"].pop(0)
    path = tmp_path / "quota.test.yml"
    path.write_text(yaml.safe_dump(fixture, allow_unicode=True), "utf-8")
    result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

    # The owner deletes mail: back under 90 %, the mailbox leaves the count (quota_warning2).
    config = server.state_dir / "etc" / "dovecot" / "dovecot.conf"
    subprocess.run(["doveadm", "-c", str(config), "expunge", "-u", f"qtday@{DOMAIN}",
                    "mailbox", "INBOX", "subject", "Thu so"], check=True, timeout=60)
    assert wait_for(lambda: warned_count() == before), (before, warned_count())
    assert not in_nearly_full(server, "qtday")


def in_nearly_full(server, local: str) -> bool:
    """Whether Postfix's map of nearly full mailboxes names the address (postmap -q)."""
    result = subprocess.run(["postmap", "-c", str(server.state_dir / "etc" / "postfix"), "-q",
                             f"{local}@{DOMAIN}", f"hash:{server.state_dir}/quota/nearly_full"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode in (0, 1) and not result.stderr, result.stderr
    return result.returncode == 0
