"""The published directory (Điều 11.3): model, CSV, vCard 4.0, JSON, pages and idempotent writes."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import pathlib
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)
from ansible_collections.hungyen.mail.plugins.module_utils.publish import directory as d

# Not ``from conftest import``: with tests/e2e/conftest.py beside it, that name is ambiguous.
ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "agency.schema.json"
FIXTURES = ROOT / "tests" / "fixtures" / "good"
TEMPLATES = str(ROOT / "playbooks" / "templates" / "directory")
DOMAIN = "hungyen.gov.vn"


@pytest.fixture(scope="module")
def desired_file(tmp_path_factory):
    """The desired state of tests/fixtures/good/, as mailbox_validate writes it."""
    path = tmp_path_factory.mktemp("desired") / "desired.json"
    result = run_validation({"mailboxes_dir": str(FIXTURES), "schema_file": str(SCHEMA),
                             "desired_file": str(path), "domain": DOMAIN})
    assert not result["problems"], result["summary"]
    return path


@pytest.fixture(scope="module")
def directory(desired_file):
    domain, mailboxes = d.read_desired(desired_file.read_text("utf-8"))
    return d.build_directory(mailboxes, domain)


def emails(listings) -> list[str]:
    return [listing.email.split("@")[0] for listing in listings]


def person(name: str, **fields) -> Mailbox:
    """A published, active person of a made-up agency."""
    directory = {"agency_name": "Sở Thử nghiệm", "title": "Chuyên viên", "division": None,
                 "phone": None, "publish": True} | fields.pop("directory", {})
    return Mailbox(address=fields.pop("address", "nva"), kind="person", agency="sothu",
                   name=name, directory=directory, **fields)


# ---------------------------------------------------------------- model


def test_locked_revoked_and_unpublished_people_are_not_listed(directory):
    listed = emails(directory.listings)
    assert "pmduc" not in listed  # locked
    assert "vtlan" not in listed  # revoked
    assert "nguyenhphuc" not in listed  # active, not marked publish


def test_agency_and_division_mailboxes_are_listed(directory):
    listed = set(emails(directory.listings))
    assert {"sotttt", "tienlu", "vangiang", "ttvangiang", "anvien"} <= listed
    assert {"ptckh.tienlu", "pnv.tienlu"} <= listed


def test_every_listing_matches_the_desired_state_rules(desired_file, directory):
    mailboxes = [Mailbox.from_dict(item)
                 for item in json.loads(desired_file.read_text("utf-8"))["mailboxes"]]
    expected = {m.address for m in mailboxes if m.status == "active"
                and (m.kind != "person" or m.directory.get("publish"))}
    assert set(emails(directory.listings)) == expected


def test_locked_or_revoked_agency_and_division_mailboxes_are_not_listed():
    mailboxes = [person("Nguyễn Văn An"),
                 Mailbox("sothu", "agency", "sothu", "Sở Thử nghiệm", status="locked",
                         lock_reason="violation", directory={"agency_name": "Sở Thử nghiệm"}),
                 Mailbox("pvp.sothu", "division", "sothu", "Văn phòng", status="revoked",
                         directory={"agency_name": "Sở Thử nghiệm"})]
    [agency] = d.build_directory(mailboxes, DOMAIN).agencies
    assert agency.mailbox is None and agency.divisions == ()
    assert emails(agency.listings) == ["nva"]


def test_agencies_are_in_vietnamese_order(directory):
    assert [agency.id for agency in directory.agencies] == [
        "sotttt", "tienlu", "vangiang", "ttvangiang", "anvien"]


def test_agency_lists_its_mailbox_then_divisions_then_people_by_given_name(directory):
    tienlu = next(agency for agency in directory.agencies if agency.id == "tienlu")
    assert emails(tienlu.listings) == ["tienlu", "pnv.tienlu", "ptckh.tienlu", "tvan", "lthoa"]
    lthoa = tienlu.people[1]
    assert (lthoa.title, lthoa.division, lthoa.unit) == (
        "Trưởng phòng", "Phòng Tài chính - Kế hoạch", "Phòng Tài chính - Kế hoạch")
    assert tienlu.people[0].unit == "Ủy ban nhân dân huyện Tiên Lữ"


@pytest.mark.parametrize("words", [
    ["a", "à", "ả", "ã", "á", "ạ", "ă", "â", "b"],  # tones after letters: ngang..nặng
    ["Anh", "Ánh", "Ăn", "Ba"],
    ["Dũng", "Duy", "Đạt", "Em"],  # đ is a letter after d
    ["Ô", "Ơ", "Phúc"],
    ["Tú", "Tư", "Ưng", "Vân", "Yến"],
])
def test_vietnamese_order(words):
    assert sorted(reversed(words), key=d.vietnamese_key) == words


def test_people_sort_by_given_name_then_family_name():
    names = ["Trần Văn Bình", "Lê Thị Hoa", "Nguyễn Văn An", "Đỗ Thị An"]
    assert sorted(names, key=d.person_key) == [
        "Đỗ Thị An", "Nguyễn Văn An", "Trần Văn Bình", "Lê Thị Hoa"]


def test_agency_id_that_is_not_a_local_part_is_refused():
    with pytest.raises(ValueError, match="not a mailbox local part"):
        d.build_directory([Mailbox("x", "agency", "../etc", "X", directory={})], DOMAIN)


# ---------------------------------------------------------------- CSV and JSON


def test_csv_has_a_bom_a_vietnamese_header_and_one_row_per_listing(directory):
    raw = d.render_csv(directory.listings)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Tên", "Loại", "Chức vụ", "Phòng, ban", "Cơ quan", "Điện thoại",
                       "Thư điện tử"]  # Tên: agencies and divisions are rows too
    assert len(rows) == 1 + len(directory.listings)
    assert ["Trần Văn An", "Hộp thư cá nhân", "Chánh Văn phòng", "",
            "Ủy ban nhân dân huyện Tiên Lữ", "0221 3871 234", "tvan@hungyen.gov.vn"] in rows
    assert ["Phòng Tài chính - Kế hoạch", "Hộp thư phòng, ban", "", "Phòng Tài chính - Kế hoạch",
            "Ủy ban nhân dân huyện Tiên Lữ", "", "ptckh.tienlu@hungyen.gov.vn"] in rows


def test_csv_cells_excel_would_evaluate_are_quoted():
    listing = d.build_directory([person("=HYPERLINK(1)", directory={"phone": "+84 221 38"})],
                                DOMAIN).listings[0]
    row = list(csv.reader(io.StringIO(d.render_csv((listing,)).decode("utf-8-sig"))))[1]
    assert row[0] == "'=HYPERLINK(1)" and row[5] == "'+84 221 38"


def test_json_lists_agencies_with_divisions_and_people(directory):
    data = json.loads(d.render_json(directory))
    assert data["domain"] == DOMAIN
    tienlu = next(agency for agency in data["agencies"] if agency["id"] == "tienlu")
    assert tienlu["email"] == "tienlu@hungyen.gov.vn"
    assert [division["email"] for division in tienlu["divisions"]] == [
        "pnv.tienlu@hungyen.gov.vn", "ptckh.tienlu@hungyen.gov.vn"]
    assert tienlu["people"][0] == {"name": "Trần Văn An", "title": "Chánh Văn phòng",
                                   "division": None, "phone": "0221 3871 234",
                                   "email": "tvan@hungyen.gov.vn"}
    everyone = [p["email"] for agency in data["agencies"] for p in agency["people"]]
    assert "pmduc@hungyen.gov.vn" not in everyone and "vtlan@hungyen.gov.vn" not in everyone


# ---------------------------------------------------------------- vCard 4.0


def parse_vcards(raw: bytes) -> list[list[tuple[str, dict, str]]]:
    """A small RFC 6350 reader: unfold, split name;params:value, group into cards."""
    text = raw.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    physical = text.split("\r\n")
    assert physical[-1] == "" and all(len(line.encode()) <= 75 for line in physical)
    cards, card = [], None
    for line in re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]:
        head, value = line.split(":", 1)
        name, *params = head.split(";")
        entry = (name.upper(), dict(p.split("=", 1) for p in params), value)
        if entry[0] == "BEGIN":
            card = []
        elif entry[0] == "END":
            cards.append(card)
        else:
            card.append(entry)
    return cards


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def components(value: str) -> list[str]:
    return [unescape(part) for part in re.split(r"(?<!\\);", value)]


def prop(card, name):
    return next((entry for entry in card if entry[0] == name), None)


def test_every_card_has_version_4_fn_and_email(directory):
    cards = parse_vcards(d.render_vcards(directory.listings))
    assert len(cards) == len(directory.listings)
    for card in cards:
        assert prop(card, "VERSION")[2] == "4.0"
        assert prop(card, "FN")[2] and "@hungyen.gov.vn" in prop(card, "EMAIL")[2]
    assert sorted(prop(card, "EMAIL")[2] for card in cards) == sorted(
        listing.email for listing in directory.listings)


def test_person_card_carries_name_parts_org_title_and_phone(directory):
    cards = parse_vcards(d.render_vcards(directory.listings))
    tvan = next(c for c in cards if prop(c, "EMAIL")[2] == "tvan@hungyen.gov.vn")
    assert components(prop(tvan, "N")[2]) == ["Trần", "An", "Văn", "", ""]
    assert components(prop(tvan, "ORG")[2]) == ["Ủy ban nhân dân huyện Tiên Lữ"]
    assert unescape(prop(tvan, "TITLE")[2]) == "Chánh Văn phòng"
    assert prop(tvan, "TEL")[1]["VALUE"] == "uri" and prop(tvan, "TEL")[2] == (
        "tel:+84-221-3871-234")
    lthoa = next(c for c in cards if prop(c, "EMAIL")[2] == "lthoa@hungyen.gov.vn")
    assert components(prop(lthoa, "ORG")[2]) == [
        "Ủy ban nhân dân huyện Tiên Lữ", "Phòng Tài chính - Kế hoạch"]


def test_folding_and_escaping_round_trip():
    name = "Nguyễn Thị Ánh; Tuyết, Hồng \\ Đặng " + "Phương " * 12
    title = "Phó Trưởng phòng, phụ trách; kiêm nhiệm\nTổ công nghệ thông tin"
    mailbox = person(name, directory={"title": title, "division": "Phòng A; B, C"})
    listing = d.build_directory([mailbox], DOMAIN).listings[0]
    raw = d.render_vcards((listing,))
    assert b"\r\n " in raw and max(len(line) for line in raw.split(b"\r\n")) <= 75  # folded
    [card] = parse_vcards(raw)
    assert unescape(prop(card, "FN")[2]) == name
    assert unescape(prop(card, "TITLE")[2]) == title
    assert components(prop(card, "ORG")[2]) == ["Sở Thử nghiệm", "Phòng A; B, C"]


@pytest.mark.parametrize("line", ["x" * 200, "Đ" * 100, "a" + "ễ" * 60, "FN:" + "Phúc " * 30])
def test_folding_never_splits_a_character_and_unfolds_to_the_line(line):
    folded = d.vcard_fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


@pytest.mark.parametrize(("phone", "uri"), [
    ("0221 3871 234", "tel:+84-221-3871-234"),
    ("+84 221 3871234", "tel:+84-221-3871234"),
    ("(0221) 3.871.234", "tel:+84-221-3-871-234"),
    ("113", None),
])
def test_tel_uri(phone, uri):
    assert d.tel_uri(phone) == uri


# ---------------------------------------------------------------- pages


def test_site_has_province_page_agency_pages_and_exports(directory):
    files = d.render_site(directory, TEMPLATES)
    assert {"index.html", "danhba.csv", "danhba.vcf", "danhba.json"} <= set(files)
    for agency in directory.agencies:
        assert {f"coquan/{agency.id}.{ext}" for ext in ("html", "csv", "vcf", "json")} <= set(files)


def test_pages_are_vietnamese_accessible_and_self_contained(directory):
    files = d.render_site(directory, TEMPLATES)
    for path in ("index.html", "coquan/tienlu.html"):
        page = files[path].decode("utf-8")
        assert '<html lang="vi">' in page and 'class="skip-link" href="#noi-dung"' in page
        assert "<caption" in page and '<th scope="col">' in page and '<th scope="row">' in page
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external asset"
        assert "<link rel=\"stylesheet\"" not in page and "<script src" not in page
    index = files["index.html"].decode("utf-8")
    assert '<label for="tim-kiem">' in index and '<label for="co-quan">' in index
    assert 'role="status" aria-live="polite"' in index
    assert '<option value="tienlu">Ủy ban nhân dân huyện Tiên Lữ</option>' in index
    assert "Nguyễn Hoàng Phúc" in index and "Nguyễn Hữu Phúc" not in index


HUNG_YEN = d.Publisher.from_vars(
    {"mailbox": "sotttt", "name": "Sở Thông tin và Truyền thông tỉnh Hưng Yên"},
    {"title": "Quy chế quản lý và sử dụng hệ thống thư điện tử công vụ tỉnh Hưng Yên",
     "decision_number": "08/2017/QĐ-UBND", "date": "2017-06-02",
     "issuer": "Ủy ban nhân dân tỉnh Hưng Yên"})
SECOND = d.Publisher.from_vars(
    {"mailbox": "sokhcn@hungyen.gov.vn", "name": "Sở Khoa học và Công nghệ"},
    {"title": "Quy chế thư điện tử", "decision_number": "99/2030/QĐ-UBND",
     "issuer": "Ủy ban nhân dân tỉnh Thử Nghiệm"})


@pytest.mark.parametrize(("publisher", "present", "absent"), [
    (HUNG_YEN, ("<h1>Danh bạ thư điện tử công vụ tỉnh Hưng Yên</h1>",
                "<span>Ủy ban nhân dân tỉnh Hưng Yên</span>",
                "do Sở Thông tin và Truyền thông tỉnh Hưng Yên quản lý theo Điều 10, Điều 11 của "
                "Quy chế quản lý và sử dụng hệ thống thư điện tử công vụ tỉnh Hưng Yên ban hành "
                "kèm theo Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của Ủy ban nhân dân "
                "tỉnh Hưng Yên.",
                'href="mailto:sotttt@hungyen.gov.vn"'), ("Quyết định 08",)),
    (SECOND, ("<h1>Danh bạ thư điện tử công vụ tỉnh Thử Nghiệm</h1>",
              "do Sở Khoa học và Công nghệ quản lý",
              "Quyết định số 99/2030/QĐ-UBND", 'href="mailto:sokhcn@hungyen.gov.vn"'),
     ("do Sở Thông tin", "08/2017", "tới Sở Thông tin", "tỉnh Hưng Yên")),
    (d.Publisher.from_vars(), ("<h1>Danh bạ thư điện tử công vụ @hungyen.gov.vn</h1>",
                               "do đơn vị quản lý hệ thống thư điện tử công vụ quản lý",
                               "gửi văn bản tới đơn vị quản lý hệ thống thư điện tử công vụ."),
     ("do Sở Thông tin", "08/2017", "thư điện tử công vụ, hộp thư", "tỉnh Hưng Yên")),
])
def test_pages_name_the_operator_and_the_regulation_from_the_inventory(directory, publisher,
                                                                       present, absent):
    files = d.render_site(directory, TEMPLATES, publisher)
    for path in ("index.html", "coquan/tienlu.html"):
        page = files[path].decode("utf-8")
        assert "Chuyển đến nội dung chính" in page and "Bỏ qua" not in page
        for text in present[1:]:
            assert text in page
        for text in absent:
            assert text not in page
    assert present[0] in files["index.html"].decode("utf-8")


def test_pages_count_with_a_dot_for_thousands():
    people = [person(f"Người {n}", address=f"n{n}") for n in range(1234)]
    files = d.render_pages(d.build_directory(people, DOMAIN), TEMPLATES)
    assert "Có 1.234 hộp thư trong danh bạ." in files["index.html"].decode("utf-8")
    assert "(1.234 người)" in files["coquan/sothu.html"].decode("utf-8")


def test_inline_style_and_script_match_the_content_security_policy(directory):
    page = d.render_site(directory, TEMPLATES)["index.html"].decode("utf-8")
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    policy = policy.replace("&#39;", "'")
    assert "default-src 'none'" in policy
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy


def test_everything_is_escaped():
    mailbox = person("<script>alert(1)</script>", directory={"title": 'a"b&c'})
    files = d.render_site(d.build_directory([mailbox], DOMAIN), TEMPLATES)
    for path in ("index.html", "coquan/sothu.html"):
        page = files[path].decode("utf-8")
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "a&#34;b&amp;c" in page


# ---------------------------------------------------------------- writing


def test_second_build_changes_nothing(directory, tmp_path):
    files = d.render_site(directory, TEMPLATES)
    first = d.sync_files(str(tmp_path), files)
    assert first["changed"] and first["changed_files"] == sorted(files)
    again = d.sync_files(str(tmp_path), d.render_site(directory, TEMPLATES))
    assert not again["changed"] and again["changed_files"] == again["removed_files"] == []
    assert (tmp_path / "index.html").read_bytes() == files["index.html"]
    assert not list(tmp_path.rglob("*.tmp"))


def test_check_mode_reports_without_writing(directory, tmp_path):
    result = d.sync_files(str(tmp_path), d.render_site(directory, TEMPLATES), check_mode=True)
    assert result["changed"] and not any(tmp_path.iterdir())


def test_pages_of_agencies_no_longer_listed_are_removed(directory, tmp_path):
    (tmp_path / "coquan").mkdir()
    (tmp_path / "coquan" / "cu.html").write_text("old", "utf-8")
    (tmp_path / "coquan" / "notes.txt").write_text("not ours", "utf-8")
    result = d.sync_files(str(tmp_path), d.render_site(directory, TEMPLATES))
    assert result["removed_files"] == ["coquan/cu.html"]
    assert not (tmp_path / "coquan" / "cu.html").exists()
    assert (tmp_path / "coquan" / "notes.txt").exists()


def test_module_build_is_idempotent(desired_file, tmp_path):
    from ansible_collections.hungyen.mail.plugins.modules import directory_build

    params = {"desired_file": str(desired_file), "output_dir": str(tmp_path / "site"),
              "templates_dir": TEMPLATES}
    first = directory_build.build(params, check_mode=False)
    assert first["changed"] and first["agencies"] == 5 and first["listings"] == 11
    second = directory_build.build(params, check_mode=False)
    assert not second["changed"] and second["files"] == first["files"]
