"""Usage records and the report (issue 17, part 5; Điều 10.1.e, 12.2.a) against the real
Dovecot: an IMAP login is written by Dovecot's last_login plugin to
usage/last-login/<address> and shows in the report (`make report`, playbooks/report.yml) as
that mailbox's last use; a delegate opening an agency mailbox's shared folder counts as
reading it; an agency mailbox nobody opened is listed as not read; a personal mailbox never
used is listed as unused (N from the report's options); the records hold no message."""

from __future__ import annotations

import csv
import datetime
import io
import pathlib
import time

import pytest
from e2e_support import DOMAIN, mailbox, run_playbook

pytestmark = pytest.mark.server

OPENED = "usagedoc"  # an agency mailbox its delegate opens
QUIET = "usagequiet"  # an agency mailbox nobody opens
DELEGATE = "usageuyq"  # a person, the delegate of OPENED
NEVER = "usagenew"  # a person who never logs in
SUBJECT = "Usage e2e: mot noi dung khong duoc ghi"


def rows(path: pathlib.Path) -> dict[str, dict]:
    """hopthu.csv's rows by address."""
    return {row["Địa chỉ"]: row for row in
            csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))}


def test_a_login_is_the_mailboxs_last_use_and_an_unopened_agency_mailbox_is_listed(
        province, tmp_path):
    server = province.server
    province.declare(
        mailbox(OPENED, OPENED, kind="agency", name="Văn phòng thử nghiệm",
                delegates=(DELEGATE,)),
        mailbox(QUIET, QUIET, kind="agency", name="Cơ quan không ai mở"),
        mailbox(DELEGATE, OPENED), mailbox(NEVER, OPENED))
    province.run()
    # The agency's Maildir comes from a delivery (LMTP writes no last login), so the only
    # use of OPENED is its delegate's.
    server.send(OPENED, SUBJECT)
    server.delivered(OPENED, SUBJECT)
    time.sleep(1.2)  # the local inventory's ACL cache (mailserver_acl_cache_secs) is 1 s
    records = server.state_dir / "usage" / "last-login"
    for local in (OPENED, QUIET, DELEGATE):  # a reused server (HYMAIL_E2E_STATE_DIR) kept them
        (records / f"{local}@{DOMAIN}").unlink(missing_ok=True)
    record = records / f"{DELEGATE}@{DOMAIN}"
    imap = server.imap(DELEGATE, province.password(DELEGATE))
    try:
        assert imap.select("INBOX", readonly=True)[0] == "OK"
        assert imap.select(f'"shared/{OPENED}@{DOMAIN}"', readonly=True)[0] == "OK"
    finally:
        imap.logout()
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    stamp = int(record.read_text("ascii").strip())  # the Unix time of the login

    report_dir = tmp_path / "report"
    result = run_playbook("report.yml", str(server.state_dir), "-e", f"report_dir={report_dir}",
                          "-e", "report_unused_days=0")
    assert result.returncode == 0, f"{result.stdout[-5000:]}\n{result.stderr[-3000:]}"
    table = rows(report_dir / "hopthu.csv")
    delegate = table[f"{DELEGATE}@{DOMAIN}"]
    moment = datetime.datetime.fromtimestamp(stamp, datetime.UTC).isoformat()
    assert delegate["Đăng nhập gần nhất"] == moment
    assert delegate["Dùng gần nhất"] == moment and delegate["Chưa dùng"] == ""
    opened = table[f"{OPENED}@{DOMAIN}"]
    assert opened["Đăng nhập gần nhất"] == ""  # its owner never logged in
    # opened by its delegate after the delegate logged in (this run's opening, not an older)
    assert opened["Người được ủy quyền mở gần nhất"] >= moment
    assert opened["Dùng gần nhất"] == opened["Người được ủy quyền mở gần nhất"]
    assert opened["Chưa được đọc"] == ""
    assert table[f"{QUIET}@{DOMAIN}"]["Chưa được đọc"] == "có"
    assert table[f"{QUIET}@{DOMAIN}"]["Dùng gần nhất"] == ""
    assert table[f"{NEVER}@{DOMAIN}"]["Chưa dùng"] == "có"

    # What people read: the province's page (printed by `make report`) and the agency's.
    province_page = (report_dir / "tinh.md").read_text("utf-8")
    unread = province_page.split("chưa được đọc trong 24 giờ qua", 1)[1].split("\n## ", 1)[0]
    assert f"`{QUIET}@{DOMAIN}`" in unread and f"`{OPENED}@{DOMAIN}`" not in unread
    assert f"`{QUIET}@{DOMAIN}`" in result.stdout
    quiet_page = (report_dir / "coquan" / f"{QUIET}.md").read_text("utf-8")
    assert f"`{QUIET}@{DOMAIN}` | Cơ quan không ai mở |" in quiet_page
    assert "chưa dùng lần nào" in quiet_page

    # The records hold who and when, never a message.
    opens = (server.state_dir / "usage" / "mailbox-open.log").read_text("utf-8")
    lines = [line for line in opens.splitlines() if f"shared/{OPENED}@{DOMAIN}" in line]
    assert lines and all("Command finished: SELECT" in line or "Command finished: EXAMINE"
                         in line for line in opens.splitlines())
    for path in (server.state_dir / "usage").rglob("*"):
        if path.is_file():
            assert SUBJECT not in path.read_text("utf-8", "replace"), path
