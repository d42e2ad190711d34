"""The Điều 5 naming rules, as a case table, through the Ansible filters themselves."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.filter import naming as naming_filters
from ansible_collections.hungyen.mail.plugins.module_utils.declared import naming
from helpers import case_table

FILTERS = naming_filters.FilterModule().filters()


@pytest.mark.parametrize("case", case_table("naming_cases.yml"))
def test_naming_rule(case):
    """A filter (the documented rules) or, for the reserved words, a function of naming."""
    rule = FILTERS.get(case["rule"]) or getattr(naming, case["rule"])
    args = [case["arg"]] if "arg" in case else []
    assert rule(case["input"], *args) == case["expect"]


def test_every_rule_is_a_filter_by_its_documented_name():
    assert set(FILTERS) == {"person_local_part", "place_local_part", "division_local_part",
                            "agency_abbreviation"}


@pytest.mark.parametrize("value", [None, 42, ["Nguyễn Hoàng Phúc"]])
def test_filter_refuses_what_is_not_text_and_names_itself(value):
    with pytest.raises(AnsibleFilterError, match="person_local_part"):
        FILTERS["person_local_part"](value)


@pytest.mark.parametrize(("address", "problem"), [
    ("nhphuc", False), ("ptckh.tienlu", False), ("a1.b2", False), ("x" * 64, False),
    ("x" * 65, True), ("NhPhuc", True), ("nh..phuc", True), (".nhphuc", True),
    ("nhphuc.", True), ("nh-phuc", True), ("nh phuc", True), ("", True), ("phúc", True),
])
def test_local_part_format(address, problem):
    assert (naming.local_part_problem(address) is not None) is problem


@pytest.mark.parametrize(("text", "digits"), [
    ("123", True), ("1 2 3", True), ("5", True), ("¹²³", True), ("ƻ", True), ("①", True),
    ("---", False), (".", False), ("", False), ("nhphuc1", False), ("Phòng Nghiệp vụ 1", False),
    ("Trần Văn Ⅻ", False),
])
def test_digits_alone_are_no_name(text, digits):
    assert naming.digits_only(text) is digits


def test_reserved_addresses_are_known():
    for address in ("postmaster", "abuse", "hostmaster", "webmaster", "root", "hotro",
                    "quantri", "ho.tro1"):
        assert naming.is_reserved(address)
    assert not naming.is_reserved("nhphuc")


def test_reserved_words_are_one_set_of_strings():
    """Listed once, and read by the policy's look-alike rule (HP042) as plain strings."""
    assert isinstance(naming.RESERVED, frozenset)
    assert all(isinstance(word, str) for word in naming.RESERVED)
    assert {"quantri", "quantrivien", "hotro", "baomat", "khongtraloi", "lienhe", "thongbao",
            "vanthu", "lanhdao"} <= naming.RESERVED


def test_person_suggestions_keep_the_given_name_and_no_dot():
    ideas = naming.person_suggestions("Nguyễn Hoàng Phúc", "sotttt")
    assert ideas[:3] == ["nguyenhphuc", "nhoangphuc", "nhphuc1"]
    assert all("phuc" in idea and "." not in idea for idea in ideas)
    taken = {"nguyenhphuc", "nhoangphuc", "nhphuc1", "nhphuc2"}
    assert naming.person_suggestions("Nguyễn Hoàng Phúc", "sotttt", taken) == [
        "nhphuc3", "nhphuc4", "nhphuc5"]


def test_suggestions_are_never_reserved():
    assert naming.person_suggestions("Hồ Trợ", "sotttt") == ["htro1", "htro2", "htro3"]
    ideas = naming.place_suggestions("Xã Hỗ Trợ", "tienlu")
    assert ideas and not any(naming.is_reserved(idea) for idea in ideas)


def test_place_suggestions_for_a_town_named_like_its_district():
    ideas = naming.place_suggestions("Thị trấn Văn Giang", "vangiang")
    assert ideas[:2] == ["ttvangiang", "thitranvangiang"]
    assert "vangiang" not in ideas
    assert not any("." in idea for idea in naming.place_suggestions("Xã An Viên", "tienlu"))


@pytest.mark.parametrize(("address", "own", "owner"), [
    ("pnv.tienlu", "vangiang", "tienlu"), ("hotro.sotttt", "tienlu", "sotttt"),
    ("ldao.ubnd.tienlu", "vangiang", "ubnd.tienlu"), ("ldao.ubnd.sotttt", "tienlu", "sotttt"),
    ("x.ubnd.tienlu", "sotttt", "ubnd.tienlu"),
    ("pnv.tienlu", "tienlu", None), ("hotro.sotttt", "sotttt", None),
    ("pnv.ubnd.tienlu", "ubnd.tienlu", None), ("pnv.ttvangiang", "ttvangiang", None),
    ("tienlu", "vangiang", None), ("nhphuc", "vangiang", None),
    ("tienlu.x", "vangiang", None),
])
def test_an_address_ending_in_an_agency_is_that_agency_s(address, own, owner):
    agencies = {"tienlu", "sotttt", "vangiang", "ttvangiang", "ubnd.tienlu"}
    assert naming.agency_label_owner(address, agencies, own) == owner
