"""The clerk's guide (docs/huong-dan-van-thu.md): every catalogued code has a title, a heading
with a stable anchor, and, for a clerk's code, a fixture that yields exactly that code; the
generated part is what ``make guide`` writes."""

from __future__ import annotations

import importlib.util
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common.code_titles import TITLES
from helpers import ROOT

_SPEC = importlib.util.spec_from_file_location("guide_tool", ROOT / "tools" / "guide.py")
guide = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(guide)

CATALOG = guide.catalogs()
CLERK_CODES = sorted(code for code in CATALOG if guide.is_clerk_code(code))

# Clerk codes that cannot be shown alone, each with the reason.
WITHOUT_FIXTURE = {
    "HY041": "said after the first 100 problems of a file, never alone",
}


def test_catalogs_are_found_in_every_stage():
    families = {re.match(r"^[A-Z]+", code).group(0) for code in CATALOG}
    assert {"HY", "HP", "HYR", "HYH", "HYD", "HYB", "HYN", "HYP", "HYG", "HYC"} <= families


def test_every_catalogued_code_has_a_title():
    missing = sorted(set(CATALOG) - set(TITLES))
    assert not missing, f"add a title to common/code_titles.py: {missing}"


def test_every_title_belongs_to_a_catalogued_code():
    assert not sorted(set(TITLES) - set(CATALOG))


@pytest.mark.parametrize("title", sorted(TITLES.values()))
def test_titles_are_short_vietnamese_headings(title):
    assert title and len(title) <= 60 and title[0].isupper() and not title.endswith(".")


@pytest.mark.parametrize("code", CLERK_CODES)
def test_a_clerk_code_has_a_fixture_that_yields_exactly_that_code(code):
    case = guide.fixture(code)
    if code in WITHOUT_FIXTURE:
        assert case is None, f"{code} has a fixture now: remove it from WITHOUT_FIXTURE"
        return
    assert case is not None, f"add tests/fixtures/codes/{code}.yml"
    problems = guide.example_problems(code, case)
    assert guide.yields_only(code, problems), problems


def test_every_fixture_belongs_to_a_clerk_code():
    names = sorted(path.stem for path in guide.FIXTURES.glob("*.yml"))
    assert names and set(names) <= set(CLERK_CODES)


@pytest.mark.parametrize(("problems", "code", "only"), [
    (["mailboxes/a.yml:3: HY002 mục 'name' ghi hai lần"], "HY002", True),
    (["a.yml:3: HY023 x", "b.yml:9: HY023 y"], "HY023", True),
    (["a.yml:3: HY010 x", "a.yml:4: HY034 y"], "HY034", False),
    (["a.yml:3: HY010 x"], "HY034", False),
    ([], "HY034", False),
    (["HP010 vanthu-anvien không có quyền sửa mailboxes/vangiang.yml"], "HP010", True),
    (["một dòng không có mã"], "HY001", False),
])
def test_exactly_one_code_means_every_message_has_it(problems, code, only):
    assert guide.yields_only(code, problems) is only


def test_each_code_has_a_heading_whose_anchor_is_the_lower_case_code():
    text = (ROOT / "docs" / "huong-dan-van-thu.md").read_text("utf-8")
    headings = re.findall(r"^#### (\S+)$", text, re.M)
    assert sorted(headings) == sorted(CATALOG)
    for code in CATALOG:
        assert f"[{code}](#{code.lower()})" in text


def test_the_guide_is_what_make_guide_writes():
    path = ROOT / "docs" / "huong-dan-van-thu.md"
    text = path.read_text("utf-8")
    assert guide.render_guide(text) == text, "docs/huong-dan-van-thu.md is stale: run make guide"


def test_a_changed_message_makes_the_guide_stale(monkeypatch):
    text = (ROOT / "docs" / "huong-dan-van-thu.md").read_text("utf-8")
    changed = dict(CATALOG)
    what, basis, fix = changed["HY033"]
    changed["HY033"] = (what + " (đã sửa)", basis, fix)
    monkeypatch.setattr(guide, "catalogs", lambda: changed)
    assert guide.render_guide(text) != text


def test_the_hand_written_part_is_kept():
    text = (ROOT / "docs" / "huong-dan-van-thu.md").read_text("utf-8")
    before = text.split(guide.BEGIN)[0]
    assert "Unicode dựng sẵn" in before and "thuyên chuyển công tác trong tỉnh" in before
    assert guide.render_guide(text).split(guide.BEGIN)[0] == before


def test_every_link_inside_the_guide_reaches_a_code_heading():
    text = (ROOT / "docs" / "huong-dan-van-thu.md").read_text("utf-8")
    anchors = {code.lower() for code in re.findall(r"^#### (\S+)$", text, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links and links <= anchors, sorted(links - anchors)


@pytest.mark.parametrize(("code", "family"), [
    ("HY010", "Mã kiểm tra tệp khai báo (`HY`)"),
    ("HP040", "Mã xét duyệt yêu cầu hợp nhất (`HP`)"),
    ("HYR003", "Mã áp dụng thay đổi lên máy chủ (`HYR`)"),
    ("HYB013", "Mã sao lưu và khôi phục dữ liệu (`HYB`)"),
    ("HZZ001", guide.OTHER),
])
def test_each_code_falls_in_its_family(code, family):
    assert guide.family(code) == family


@pytest.mark.parametrize(("template", "shown"), [
    ("thiếu mục bắt buộc {detail}", "thiếu mục bắt buộc …"),
    ("action={action!r} không hợp lệ", "action=… không hợp lệ."),
    ("ghi {iso}.", "ghi …."),
    ("không có gì", "không có gì."),
])
def test_a_catalog_text_is_shown_with_its_fields_as_an_ellipsis(template, shown):
    assert guide._sentence(guide._placeholders(template)) == shown
