"""The report's use of mailboxes (issue 17, part 5; Điều 10.1.e, 12.2.a), with an injected
clock: agency mailboxes nobody read in the last day, personal mailboxes never used N days
after they were created; and the reader of the records Dovecot keeps on the host."""

from __future__ import annotations

import datetime
import gzip

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.publish import report_render
from ansible_collections.hungyen.mail.plugins.module_utils.publish.report import (
    Period,
    build_report,
)
from ansible_collections.hungyen.mail.plugins.module_utils.usage.data import Usage
from ansible_collections.hungyen.mail.plugins.module_utils.usage.reader import (
    parse_open_line,
    read_usage,
)

DOMAIN = "hungyen.gov.vn"
NOW = datetime.datetime(2026, 11, 30, 3, 0, tzinfo=datetime.UTC)  # 10:00 in Vietnam
UTC = datetime.UTC


def ago(**delta) -> str:
    return (NOW - datetime.timedelta(**delta)).isoformat()


def one_row(kind: str, usage: Usage | None, status: str = "active", created_days: int = 30,
            unused_days: int = 14) -> dict:
    account = Account("box", status=status, agency="tienlu", kind=kind, name="Hộp thư",
                      created=ago(days=created_days),
                      lock_reason="compromised" if status == "locked" else None)
    period = Period("2026-11-01", "2026-11-30", 7, NOW.isoformat(), unused_days)
    report = build_report({"box": account}, [], [], period, DOMAIN, usage)
    return report["mailboxes"][0]


ADDRESS = f"box@{DOMAIN}"
# (case, kind, usage, status, created days ago, expected unread, unused, last used)
CASES = [
    ("agency read by its owner 2 h ago", "agency", Usage({ADDRESS: ago(hours=2)}), "active", 30,
     False, False, ago(hours=2)),
    ("agency last read 25 h ago", "agency", Usage({ADDRESS: ago(hours=25)}), "active", 30,
     True, False, ago(hours=25)),
    ("agency read exactly a day ago", "agency", Usage({ADDRESS: ago(days=1)}), "active", 30,
     True, False, ago(days=1)),
    ("agency opened by a delegate 3 h ago, owner 5 days ago", "agency",
     Usage({ADDRESS: ago(days=5)}, {ADDRESS: ago(hours=3)}), "active", 30,
     False, False, ago(hours=3)),
    ("agency never opened", "agency", Usage(), "active", 30, True, False, None),
    ("agency locked, never opened: not asked to be read", "agency", Usage(), "locked", 30,
     False, False, None),
    ("person never used, created 14 days ago", "person", Usage(), "active", 14,
     False, True, None),
    ("person never used, created 13 days ago", "person", Usage(), "active", 13,
     False, False, None),
    ("person used a month ago", "person", Usage({ADDRESS: ago(days=30)}), "active", 60,
     False, False, ago(days=30)),
    ("person revoked, never used", "person", Usage(), "revoked", 60, False, False, None),
    ("division never used: neither list", "division", Usage(), "active", 60,
     False, False, None),
    ("no usage recorded at all: neither list", "agency", None, "active", 60,
     False, False, None),
    ("no usage recorded, person", "person", None, "active", 60, False, False, None),
]


@pytest.mark.parametrize(("kind", "usage", "status", "created", "unread", "unused", "last"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_unread_and_unused_rows(kind, usage, status, created, unread, unused, last):
    row = one_row(kind, usage, status, created)
    assert (row["unread"], row["unused"], row["last_used"]) == (unread, unused, last)


def test_unused_days_comes_from_the_reports_options():
    assert one_row("person", Usage(), created_days=5, unused_days=5)["unused"]
    assert not one_row("person", Usage(), created_days=5, unused_days=6)["unused"]


def build(usage: Usage | None) -> dict:
    accounts = {
        "tienlu": Account("tienlu", agency="tienlu", kind="agency",
                          name="Ủy ban nhân dân huyện Tiên Lữ", created=ago(days=90),
                          directory={"agency_name": "Ủy ban nhân dân huyện Tiên Lữ",
                                     "agency_kind": "district"}),
        "anvien": Account("anvien", agency="anvien", kind="agency",
                          name="Ủy ban nhân dân xã An Viên", created=ago(days=90),
                          directory={"agency_name": "Ủy ban nhân dân xã An Viên",
                                     "agency_kind": "commune", "parent": "tienlu"}),
        "tvan": Account("tvan", agency="tienlu", kind="person", name="Trần Văn An",
                        created=ago(days=20)),
    }
    period = Period("2026-11-01", "2026-11-30", 7, NOW.isoformat(), 14)
    return build_report(accounts, [], [], period, DOMAIN, usage)


def test_figures_per_agency_and_province():
    report = build(Usage({f"tienlu@{DOMAIN}": ago(hours=1)}))
    province = report["province"]
    assert [r["address"] for r in province["unread"]] == [f"anvien@{DOMAIN}"]
    assert [r["address"] for r in province["unused"]] == [f"tvan@{DOMAIN}"]
    tienlu = next(a for a in report["agencies"] if a["id"] == "tienlu")
    assert (len(tienlu["unread"]), len(tienlu["unused"])) == (0, 1)


def test_markdown_lists_unread_and_unused_mailboxes():
    report = build(Usage({f"tienlu@{DOMAIN}": ago(hours=1)}))
    text = report_render.markdown(report)
    assert ("## Hộp thư cơ quan, đơn vị chưa được đọc trong 24 giờ qua "
            "(điểm a khoản 2 Điều 12)") in text
    assert f"| `anvien@{DOMAIN}` | Ủy ban nhân dân xã An Viên |" in text
    assert "| chưa dùng lần nào |" in text
    assert "## Hộp thư cá nhân chưa dùng lần nào sau 14 ngày kể từ khi cấp mới" in text
    assert f"| `tvan@{DOMAIN}` | Trần Văn An |" in text and "| 10/11/2026 | 20 |" in text
    agency = report_render.markdown(report, next(a for a in report["agencies"]
                                                 if a["id"] == "anvien"))
    assert f"`anvien@{DOMAIN}`" in agency.split("chưa được đọc", 1)[1]


def test_csv_has_the_last_use_of_each_mailbox():
    report = build(Usage({f"tienlu@{DOMAIN}": "2026-11-29T18:30:00+00:00"}))
    rows = report_render.render_report(report)["hopthu.csv"].decode("utf-8-sig").splitlines()
    tienlu = next(line for line in rows if line.startswith(f'"tienlu@{DOMAIN}"'))
    # 18:30 UTC on the 29th is the 30th in Vietnam
    assert '"2026-11-29T18:30:00+00:00","30/11/2026"' in tienlu


def test_without_usage_records_the_report_says_so():
    text = report_render.markdown(build(None))
    assert report_render.NO_USAGE in text
    assert report_render.NO_USAGE in report_render.html_page(build(None))


# ---------------------------------------------------------------- the reader

LINE = ("{stamp} imap(tvan@hungyen.gov.vn)<4242><AbCd>: Debug: Command finished: "
        "{command} {args}")


@pytest.mark.parametrize(("stamp", "command", "args", "now", "expected"), [
    ("Nov 30 09:00:00", "SELECT", "shared/tienlu@hungyen.gov.vn/INBOX", NOW,
     ("tienlu@hungyen.gov.vn", "2026-11-30T02:00:00+00:00")),
    ("Nov 30 09:00:00", "EXAMINE", '"shared/TienLu@hungyen.gov.vn/Văn bản đến"', NOW,
     ("tienlu@hungyen.gov.vn", "2026-11-30T02:00:00+00:00")),
    # a year-less stamp of 31 December read on 1 January is last year's
    ("Dec 31 23:00:00", "SELECT", "shared/tienlu@hungyen.gov.vn/INBOX",
     datetime.datetime(2027, 1, 1, 1, 0, tzinfo=UTC),
     ("tienlu@hungyen.gov.vn", "2026-12-31T16:00:00+00:00")),
    ("Nov 30 09:00:00", "SELECT", "INBOX", NOW, None),  # the user's own folder
    ("Nov 30 09:00:00", "SELECT", "shared/tvan@hungyen.gov.vn/INBOX", NOW, None),
])
def test_open_log_lines(stamp, command, args, now, expected):
    vietnam = datetime.timezone(datetime.timedelta(hours=7))
    line = LINE.format(stamp=stamp, command=command, args=args)
    assert parse_open_line(line, now, vietnam) == expected


def test_other_lines_are_not_openings():
    assert parse_open_line("Nov 30 09:00:00 master: Info: Dovecot starting up", NOW) is None


def test_reader_reads_one_file_per_account_and_the_rotated_logs(tmp_path):
    assert read_usage(str(tmp_path), NOW) is None  # no usage/ yet: HYR020 in the module
    logins = tmp_path / "usage" / "last-login"
    logins.mkdir(parents=True)
    (logins / "tvan@hungyen.gov.vn").write_text("1796590460\n")
    (logins / "broken@hungyen.gov.vn").write_text("yesterday\n")
    (logins / ".temp.host.1.abc").write_text("1")  # fs:posix's file being written
    line = LINE.format(stamp="Nov 29 09:00:00", command="SELECT",
                       args="shared/tienlu@hungyen.gov.vn/INBOX")
    older = LINE.format(stamp="Nov 28 09:00:00", command="SELECT",
                        args="shared/anvien@hungyen.gov.vn/INBOX")
    (tmp_path / "usage" / "mailbox-open.log").write_text(line + "\n")
    with gzip.open(tmp_path / "usage" / "mailbox-open.log.2.gz", "wt") as handle:
        handle.write(older + "\n")
    usage = read_usage(str(tmp_path), NOW, UTC)
    assert usage.logins == {"tvan@hungyen.gov.vn": "2026-12-06T20:54:20+00:00"}
    assert usage.opened == {"tienlu@hungyen.gov.vn": "2026-11-29T09:00:00+00:00",
                            "anvien@hungyen.gov.vn": "2026-11-28T09:00:00+00:00"}
    assert usage.opened_since == "2026-11-28T09:00:00+00:00"
    assert len(usage.warnings) == 1 and usage.warnings[0].startswith("HYR021")
    assert "broken@hungyen.gov.vn" in usage.warnings[0]


def test_the_usage_lists_are_in_the_glossarys_words():
    from glossary_check import findings  # noqa: PLC0415  (tests/glossary_check.py)

    report = build(Usage({f"tienlu@{DOMAIN}": ago(hours=1)}, {f"tienlu@{DOMAIN}": ago(hours=2)}))
    files = report_render.render_report(report)
    texts = {name: (content.decode("utf-8-sig") if isinstance(content, bytes) else content)
             for name, content in files.items()}
    assert report_render.unread_title() in texts["tinh.md"]
    found = [line for name, text in texts.items() for line in findings(text, f"report {name}")]
    assert not found, "\n".join(found)


def test_the_module_reads_the_records_or_says_there_are_none(tmp_path):
    from ansible_collections.hungyen.mail.plugins.modules import (  # noqa: PLC0415
        mailbox_report,
    )

    result = mailbox_report.run({"state_dir": str(tmp_path), "domain": DOMAIN}, now=NOW)
    assert [note[:6] for note in result["warnings_usage"]] == ["HYR020"]
    assert result["report"]["usage"]["recorded"] is False
    (tmp_path / "usage" / "last-login").mkdir(parents=True)
    result = mailbox_report.run({"state_dir": str(tmp_path), "domain": DOMAIN,
                                 "unused_days": 3}, now=NOW)
    assert result["warnings_usage"] == [] and result["report"]["usage"]["recorded"] is True
    assert result["report"]["unused_days"] == 3
    assert (result["summary"]["unread"], result["summary"]["unused"]) == (0, 0)
