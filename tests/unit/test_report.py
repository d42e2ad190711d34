"""Report figures against a known fixture (tests/fixtures/report/province.yml), and the files
made from them: Markdown, CSV (Excel-friendly) and a self-contained HTML page."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.common.glossary import GENERIC_OPERATOR
from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import LABELS
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.publish import report_render
from ansible_collections.hungyen.mail.plugins.module_utils.publish.report import (
    Period,
    build_report,
    default_period,
)
from ansible_collections.hungyen.mail.plugins.modules import mailbox_report, report_write
from helpers import ROOT

DOMAIN = "hungyen.gov.vn"
FIXTURE = yaml.safe_load((ROOT / "tests/fixtures/report/province.yml").read_text("utf-8"))


def agency_mailbox(agency: dict) -> Mailbox:
    directory = {"agency_name": agency["name"], "agency_kind": agency["kind"]}
    if agency.get("parent"):
        directory["parent"] = agency["parent"]
    return Mailbox(agency["id"], "agency", agency["id"], agency["name"], directory=directory)


@pytest.fixture(name="report", scope="module")
def fixture_report() -> dict:
    accounts = {a["address"]: Account.from_dict(a) for a in FIXTURE["accounts"]}
    desired = [agency_mailbox(agency) for agency in FIXTURE["agencies"]]
    period = Period(FIXTURE["since"], FIXTURE["until"], FIXTURE["stale_days"], FIXTURE["now"])
    return build_report(accounts, FIXTURE["journal"], desired, period, DOMAIN)


def by_id(report: dict, agency: str) -> dict:
    return next(a for a in report["agencies"] if a["id"] == agency)


def test_province_mailboxes_by_status_and_kind(report):
    province = report["province"]
    assert province["statuses"] == {"active": 8, "locked": 2, "revoked": 1, "total": 11}
    assert province["by_kind"]["agency"] == {"active": 4, "locked": 0, "revoked": 0, "total": 4}
    assert province["by_kind"]["person"] == {"active": 4, "locked": 2, "revoked": 1, "total": 7}


def test_changes_in_the_period_in_vietnam_days(report):
    changes = report["province"]["changes"]
    # create sotttt (October) and the update of 1 December are outside the period; the move
    # at 18:00Z on 29 November is 30 November in Vietnam
    assert changes["total"] == 7
    assert changes["by_action"] == {"create": 3, "lock": 1, "move": 1, "reset_password": 1,
                                    "revoke": 1}


def test_locked_mailboxes_with_reason_and_age(report):
    locked = [(r["address"], r["lock_reason"], r["locked_since"], r["locked_days"])
              for r in report["province"]["locked"]]
    # Agencies by name in Vietnamese order: huyện Tiên Lữ before xã An Viên
    assert locked == [(f"pmduc@{DOMAIN}", "compromised", "2026-11-10", 20),  # the journal's lock
                      (f"ddat@{DOMAIN}", "violation", "2026-11-28", 2)]  # its last change


def test_initial_passwords_unchanged_after_n_days(report):
    stale = [(r["address"], r["issued"], r["issued_days"]) for r in report["province"]["stale"]]
    # nhphuc waits 5 days (< 7); pmduc must change but is locked
    assert stale == [(f"tienlu@{DOMAIN}", "2026-11-01", 29), (f"anvien@{DOMAIN}", "2026-11-20", 10)]


def test_per_agency_figures(report):
    tienlu, anvien = by_id(report, "tienlu"), by_id(report, "anvien")
    assert tienlu["statuses"] == {"active": 2, "locked": 1, "revoked": 1, "total": 4}
    assert tienlu["changes"]["total"] == 5  # its own four and the move out of it
    assert anvien["statuses"] == {"active": 2, "locked": 1, "revoked": 0, "total": 3}
    assert anvien["changes"]["by_action"] == {"create": 1, "move": 1}
    assert [len(a["stale"]) for a in (tienlu, anvien)] == [1, 1]
    assert by_id(report, "sotttt")["changes"]["total"] == 1
    assert by_id(report, "")["name"] == "(không rõ cơ quan)"
    assert anvien["district"] == "tienlu" and by_id(report, "sotttt")["district"] is None


def test_communes_roll_up_to_their_district(report):
    assert [(d["id"], d["agencies"], d["mailboxes"]) for d in report["districts"]] == [
        ("tienlu", 2, 6), ("vangiang", 1, 1)]  # revoked vtlan is not counted


def test_report_without_declaration_uses_the_servers_directory_data():
    accounts = {"tienlu": Account("tienlu", kind="agency", agency="tienlu", directory={
        "agency_name": "Ủy ban nhân dân huyện Tiên Lữ", "agency_kind": "district"})}
    period = Period("2026-11-01", "2026-11-30", 7, FIXTURE["now"])
    report = build_report(accounts, [], [], period, DOMAIN)
    assert report["districts"] == [{"id": "tienlu", "name": "Ủy ban nhân dân huyện Tiên Lữ",
                                    "agencies": 1, "mailboxes": 1}]


def test_markdown_of_province_and_agency(report):
    text = report_render.markdown(report, None, {"name": "Sở Khoa học và Công nghệ"})
    assert text.startswith("# Báo cáo tình hình quản lý, sử dụng hệ thống thư điện tử công vụ: "
                           "toàn tỉnh (@hungyen.gov.vn)\n")
    assert ("Kỳ báo cáo: từ 01/11/2026 đến 30/11/2026. Đơn vị lập báo cáo: Sở Khoa học và Công "
            "nghệ. Lập lúc 10:00 ngày 30/11/2026 (điểm e khoản 1 Điều 10, khoản 5 Điều 11).") \
        in text
    assert "| Loại hộp thư | Đang hoạt động | Đang tạm khóa | Đã thu hồi | Tổng |" in text
    assert "| Hộp thư phòng, ban | 0 | 0 | 0 | 0 |" in text
    assert "| **Tổng** | 8 | 2 | 1 | 11 |" in text
    assert "| Ủy ban nhân dân huyện Tiên Lữ | 2 | 6 |" in text
    assert ("| `pmduc@hungyen.gov.vn` | Phạm Minh Đức | Ủy ban nhân dân huyện Tiên Lữ (`tienlu`) "
            "| bị chiếm dụng (điểm b khoản 1 Điều 7) | 10/11/2026 | 20 |") in text
    assert "| Phiên bản (commit) |" in text and "| số 12/UBND-VP ngày 30/10/2026 |" in text
    assert "## Chưa đổi mật khẩu ban đầu sau 7 ngày (khoản 1 Điều 12)" in text
    assert "Sở Thông tin và Truyền thông (`sotttt`) | Sở, ban, ngành |" in text
    assert "`compromised`" not in text and "Hoạt động |" not in text
    assert GENERIC_OPERATOR in report_render.markdown(report)  # no inventory: the generic name
    agency = report_render.markdown(report, by_id(report, "anvien"))
    assert "Ủy ban nhân dân xã An Viên (`anvien@hungyen.gov.vn`)" in agency
    assert "huyện, thị xã" not in agency  # the district chart is the province's


def test_csv_files_open_in_excel(report):
    files = report_render.render_report(report)
    agencies = files["coquan.csv"].decode("utf-8")
    assert agencies.startswith('\ufeff"Mã cơ quan",') and "\r\n" in agencies
    assert agencies.rstrip().splitlines()[-1] == ('"","Toàn tỉnh","","","8","2","1","11","7","2",'
                                                      '"0","0"')
    assert ('"anvien","Ủy ban nhân dân xã An Viên",' in agencies
            and ',"Ủy ban nhân dân huyện Tiên Lữ (tienlu)",' in agencies)  # its district's name
    assert len(files["hopthu.csv"].decode().strip().splitlines()) == 12  # header + 11
    assert len(files["thaydoi.csv"].decode().strip().splitlines()) == 8  # header + 7
    assert "coquan/tienlu.md" in files and "coquan/tienlu.csv" in files


def test_html_page_has_an_inline_svg_chart_and_no_external_asset(report):
    page = report_render.render_report(report)["index.html"].decode("utf-8")
    assert page.count("<svg") == 1 and page.count('class="bar"') == 2
    assert ">Huyện Tiên Lữ<" in page and "<script" not in page
    assert not re.search(r"(src|href)=", page)
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]


def test_module_defaults_to_the_last_thirty_days(tmp_path):
    now = datetime.datetime(2026, 11, 30, 20, 0, tzinfo=datetime.UTC)  # 1 December in Vietnam
    assert default_period(now) == Period("2026-11-02", "2026-12-01", 7, now.isoformat())
    result = mailbox_report.run({"state_dir": str(tmp_path), "domain": DOMAIN}, now=now)
    assert result["report"]["period"] == {"since": "2026-11-02", "until": "2026-12-01"}
    assert result["summary"]["total"] == 0 and result["changed"] is False
    with pytest.raises(mailbox_report.ReportError, match="HYP001"):
        mailbox_report.run({"state_dir": str(tmp_path), "domain": DOMAIN, "first_day": "1/11"},
                           now=now)


def test_report_write_is_idempotent(report, tmp_path):
    report = json.loads(json.dumps(report))  # as Ansible hands it over
    params = {"report": report, "output_dir": str(tmp_path / "report")}
    first, second = report_write.run(params), report_write.run(params)
    assert first["changed"] and not second["changed"]
    assert (tmp_path / "report" / "tinh.md").read_text("utf-8") == first["markdown"]


def test_province_pages_list_the_latest_changes_and_the_csv_all():
    journal = [{"at": f"2026-11-{day:02d}T01:00:00+00:00", "action": "update",
                "address": f"a{day}", "agency": "tienlu"} for day in range(1, 29)] * 3
    period = Period("2026-11-01", "2026-11-30", 7, FIXTURE["now"])
    report = build_report({}, journal, [], period, DOMAIN)
    province = report_render.markdown(report)
    assert "50 thay đổi gần nhất trong 84; đầy đủ trong thaydoi.csv." in province
    row = f"| {LABELS['update']} | `a"
    assert province.count(row) == 50
    agency = report_render.markdown(report, by_id(report, "tienlu"))
    assert agency.count(row) == 84
    files = report_render.render_report(report)
    assert len(files["thaydoi.csv"].decode().strip().splitlines()) == 85


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(("name", "iso", "text"), [
    ("thaydoi.csv", "Thời điểm", "Ngày (ngày/tháng/năm)"),
    ("thaydoi.csv", "Ngày văn bản", "Ngày văn bản (ngày/tháng/năm)"),
    ("hopthu.csv", "Tạm khóa từ ngày", "Tạm khóa từ ngày (ngày/tháng/năm)"),
    ("hopthu.csv", "Cấp mật khẩu ngày", "Cấp mật khẩu ngày (ngày/tháng/năm)"),
])
def test_every_iso_date_column_has_its_day_as_vietnamese_read_it_beside_it(report, name, iso,
                                                                          text):
    rows = csv_rows(report_render.render_report(report)[name])
    header = list(rows[0])
    assert header.index(text) == header.index(iso) + 1
    dated = [row for row in rows if row[iso]]
    assert dated and all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", row[text]) for row in dated)
    assert all(row[text] == "" for row in rows if not row[iso])


@pytest.mark.parametrize(("column", "address", "value"), [
    # 18:00 UTC on the 29th is 01:00 on the 30th in Vietnam: the day people read is the 30th
    ("Ngày (ngày/tháng/năm)", "ltmai@hungyen.gov.vn", "30/11/2026"),
    ("Giờ (giờ Việt Nam)", "ltmai@hungyen.gov.vn", "01:00"),
    ("Thời điểm", "ltmai@hungyen.gov.vn", "2026-11-29T18:00:00+00:00"),  # kept as stored
    ("Thao tác", "ltmai@hungyen.gov.vn", LABELS["move"]),
    ("Cơ quan", "ltmai@hungyen.gov.vn", "Ủy ban nhân dân xã An Viên (anvien)"),
    ("Từ cơ quan", "ltmai@hungyen.gov.vn", "Ủy ban nhân dân huyện Tiên Lữ (tienlu)"),
    ("Phiên bản (commit)", "tienlu@hungyen.gov.vn", "abc123def4567890"),
])
def test_changes_csv_cells(report, column, address, value):
    rows = csv_rows(report_render.render_report(report)["thaydoi.csv"])
    assert next(row for row in rows if row["Địa chỉ"] == address)[column] == value


@pytest.mark.parametrize(("address", "column", "value"), [
    ("pmduc@hungyen.gov.vn", "Lý do tạm khóa", "bị chiếm dụng (điểm b khoản 1 Điều 7)"),
    ("ddat@hungyen.gov.vn", "Lý do tạm khóa", "vi phạm quy định tại Điều 4 (điểm a khoản 1 "
                                             "Điều 7)"),
    ("pmduc@hungyen.gov.vn", "Trạng thái", "Đang tạm khóa"),
    ("vtlan@hungyen.gov.vn", "Trạng thái", "Đã thu hồi"),
    ("tvan@hungyen.gov.vn", "Trạng thái", "Đang hoạt động"),
    ("tienlu@hungyen.gov.vn", "Loại", "Hộp thư cơ quan, đơn vị"),
    ("tvan@hungyen.gov.vn", "Cơ quan", "Ủy ban nhân dân huyện Tiên Lữ"),
    ("tvan@hungyen.gov.vn", "Mã cơ quan", "tienlu"),
])
def test_mailboxes_csv_cells(report, address, column, value):
    rows = csv_rows(report_render.render_report(report)["hopthu.csv"])
    assert next(row for row in rows if row["Địa chỉ"] == address)[column] == value


def test_mailboxes_are_listed_by_agency_name_then_given_name_in_vietnamese_order(report):
    rows = csv_rows(report_render.render_report(report)["hopthu.csv"])
    tienlu = [row["Tên"] for row in rows if row["Mã cơ quan"] == "tienlu"]
    # The agency's own mailbox first, then its people by given name: An, Đức, Lan
    assert tienlu == ["Ủy ban nhân dân huyện Tiên Lữ", "Trần Văn An", "Phạm Minh Đức",
                      "Võ Thị Lan"]


@pytest.mark.parametrize(("count", "shown"), [(9, "9"), (1234, "1.234"), (10000, "10.000")])
def test_figures_people_read_use_a_dot_for_thousands(count, shown):
    scope = {"by_kind": {}, "statuses": {"active": count, "locked": 0, "revoked": 0,
                                         "total": count}}
    assert f"| **Tổng** | {shown} | 0 | 0 | {shown} |" in report_render._md_statuses(scope)
