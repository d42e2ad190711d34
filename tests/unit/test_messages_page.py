"""The page of every message as users see it (docs/thong-diep-mau.md, make messages): what
make messages writes, with a fixed clock, fixed ids and no password, for any operator."""

from __future__ import annotations

import importlib.util
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common import glossary
from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import ACTIONS
from helpers import ROOT

_SPEC = importlib.util.spec_from_file_location("messages_page_tool",
                                               ROOT / "tools" / "messages_page.py")
page_tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(page_tool)

PAGE = ROOT / "docs" / "thong-diep-mau.md"
SECOND_OPERATOR = {"mailbox": "sokhcn", "name": "Sở Khoa học và Công nghệ tỉnh Hưng Yên",
                   "short_name": "Sở KH&CN", "technical_unit": "Trung tâm Ứng dụng tiến bộ "
                   "khoa học và công nghệ"}


@pytest.fixture(name="page", scope="module")
def fixture_page() -> str:
    return page_tool.render_all()


def section(page: str, number: int) -> str:
    """Section ``number`` of the page (its ``## <number>.`` heading to the next one; the
    headings of the Markdown shown inside fences start with ``## `` too, never with a number)."""
    rest = page.split(f"\n## {number}. ")[1]
    return re.split(r"\n## \d+\. ", rest)[0]


def test_the_page_is_what_make_messages_writes(page):
    assert PAGE.read_text("utf-8") == page, "docs/thong-diep-mau.md is stale: run make messages"


def test_rendering_twice_gives_the_same_page(page):
    assert page_tool.render_all() == page


def test_every_catalogued_code_is_shown(page):
    shown = set(re.findall(r"^#### (H[A-Z]*\d{3})\b", page, re.M))
    assert shown == set(page_tool.guide.catalogs())


def test_a_changed_message_changes_the_page(page, monkeypatch):
    changed = dict(page_tool.guide.catalogs())
    what, basis, fix = changed["HYC001"]
    changed["HYC001"] = (what + " (đã sửa)", basis, fix)
    monkeypatch.setattr(page_tool.guide, "catalogs", lambda: changed)
    assert page_tool.render_all() != page


def test_the_server_s_reply_is_shown(page):
    assert section(page, 6).count("REJECT 5.1.6") == 1


def test_the_plan_shows_every_action_an_emergency_measure_and_the_warning(page):
    plan = section(page, 2)
    for action in ACTIONS:
        assert f"`{action}`" in plan, action
    assert glossary.label("emergency").upper() in plan.upper()
    assert "> **" in plan  # the warning and emergency blocks


@pytest.mark.parametrize("title", [case[0] for case in page_tool.NOTICE_CASES])
def test_one_notice_per_case(page, title):
    assert f"\n### {title}\n" in section(page, 3)


def test_no_password_and_no_random_id_leaks(page):
    notices = section(page, 3)
    assert notices.count(page_tool.PASSWORD) >= 5  # create, reset, unlock, reinstate, unit
    assert page_tool.NOTICE_TOKEN in notices
    for line in notices.splitlines():
        if re.match(r"^\s*Mật khẩu:", line) and "xem mục" not in line and "giao" not in line:
            assert line.strip() == f"Mật khẩu: {page_tool.PASSWORD}", line


def test_the_clock_is_fixed_and_shown_in_vietnam_time(page):
    assert "05:14 ngày 29/11/2026" in page
    prose = [line for line in section(page, 3).splitlines()
             if not line.startswith("issued: ")]  # the bootstrap file's field, read by scripts
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", "\n".join(prose))


def test_the_inventory_names_the_operator_and_the_regulation(page):
    operator, regulation = page_tool.inventory_vars()
    assert operator["name"] in page.splitlines()[4]
    assert glossary.Regulation.from_vars(regulation).reference() in page
    assert f"From: {operator['name']} <{operator['mailbox']}@" in page


def test_render_all_takes_a_second_operator():
    other = page_tool.render_all(SECOND_OPERATOR, None)
    assert SECOND_OPERATOR["name"] in other.splitlines()[4]
    assert f"From: {SECOND_OPERATOR['name']} <sokhcn@" in other
    assert f"Kính gửi: {SECOND_OPERATOR['technical_unit']}" in other
    again = page_tool.render_all(glossary.Operator.from_vars(SECOND_OPERATOR),
                                 glossary.Regulation.from_vars(page_tool.inventory_vars()[1]))
    assert again == other


@pytest.mark.parametrize(("html", "text"), [
    ("<p>Một <b>hai</b></p><p>ba</p>", "Một hai\nba"),
    ("<style>p {x: 1}</style><h1>Danh bạ</h1>", "Danh bạ"),
    ("<td>A &amp; B</td><td>C</td>", "A & B\nC"),
])
def test_visible_text_of_a_page(html, text):
    assert page_tool.visible_text(html) == text
