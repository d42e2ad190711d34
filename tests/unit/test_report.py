"""Report figures against a known fixture (tests/fixtures/report/province.yml), and the files
made from them: Markdown, CSV (Excel-friendly) and a self-contained HTML page."""

from __future__ import annotations

import datetime
import json
import re

import pytest
import yaml
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
    assert locked == [(f"ddat@{DOMAIN}", "violation", "2026-11-28", 2),  # its last change
                      (f"pmduc@{DOMAIN}", "compromised", "2026-11-10", 20)]  # the journal's lock


def test_initial_passwords_unchanged_after_n_days(report):
    stale = [(r["address"], r["issued"], r["issued_days"]) for r in report["province"]["stale"]]
    # nhphuc waits 5 days (< 7); pmduc must change but is locked
    assert stale == [(f"anvien@{DOMAIN}", "2026-11-20", 10), (f"tienlu@{DOMAIN}", "2026-11-01", 29)]


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
    text = report_render.markdown(report)
    assert text.startswith("# Báo cáo hệ thống thư điện tử công vụ: toàn tỉnh, @hungyen.gov.vn")
    assert "Kỳ báo cáo: 01/11/2026 – 30/11/2026" in text
    assert "| **Tổng** | 8 | 2 | 1 | 11 |" in text
    assert "| Ủy ban nhân dân huyện Tiên Lữ | 2 | 6 |" in text
    assert "| `pmduc@hungyen.gov.vn` | Phạm Minh Đức | `tienlu` | bị chiếm quyền" in text
    assert "## Chưa đổi mật khẩu ban đầu sau 7 ngày (Điều 12.1)" in text
    agency = report_render.markdown(report, by_id(report, "anvien"))
    assert "Ủy ban nhân dân xã An Viên (`anvien@hungyen.gov.vn`)" in agency
    assert "huyện, thị xã" not in agency  # the district chart is the province's


def test_csv_files_open_in_excel(report):
    files = report_render.render_report(report)
    agencies = files["coquan.csv"].decode("utf-8")
    assert agencies.startswith('\ufeff"Mã cơ quan",') and "\r\n" in agencies
    assert agencies.rstrip().splitlines()[-1] == '"","Toàn tỉnh","","","8","2","1","11","7","2"'
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
    assert province.count("| Cập nhật thông tin danh bạ | `a") == 50
    agency = report_render.markdown(report, by_id(report, "tienlu"))
    assert agency.count("| Cập nhật thông tin danh bạ | `a") == 84
    files = report_render.render_report(report)
    assert len(files["thaydoi.csv"].decode().strip().splitlines()) == 85
