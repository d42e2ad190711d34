"""The Điều 5 naming rules, as a case table, through the Ansible filters themselves."""

from __future__ import annotations

import glob
import os
import unicodedata

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.filter import naming as naming_filters
from ansible_collections.hungyen.mail.plugins.module_utils.common import glossary
from ansible_collections.hungyen.mail.plugins.module_utils.declared import naming
from helpers import case_table

FILTERS = naming_filters.FilterModule().filters()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


def test_reserved_role_words_are_the_glossary_s():
    """One place for the Vietnamese role words: naming adds only RFC 2142's and the system's."""
    role_words = {word for word, _said in glossary.RESERVED_ROLE_WORDS}
    assert naming.SYSTEM_NAMES | role_words == naming.RESERVED
    assert not role_words & naming.SYSTEM_NAMES
    assert all(naming.is_reserved(word) for word in role_words)


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


# ---------------------------------------------------------------- legacy encodings (HY050)

def tcvn3(text: str) -> str:
    """``text`` typed with a TCVN3 (.Vn) font and read as Windows-1252: the test's encoder,
    from TCVN 5712's table (a capital with a tone is its small letter's byte)."""
    byte_of = {letter: byte for byte, letter in naming.TCVN3.items()}
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        byte = byte_of.get(char) or byte_of.get(char.lower())
        out += bytes([byte]) if byte else char.encode("ascii")
    return out.decode("cp1252")


def vni(text: str) -> str:
    """``text`` typed with a VNI font and read as Windows-1252 (base letter + mark byte)."""
    single = {letter: byte for byte, letter in naming.VNI_LETTERS.items()}
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in single or not char.isalpha() or char.isascii():
            out.append(bytes([single[char]]).decode("cp1252") if char in single else char)
            continue
        base, *marks = unicodedata.normalize("NFD", char)
        if base + "".join(marks[:1]) in ("o\u031b", "u\u031b", "O\u031b", "U\u031b"):
            base, marks = unicodedata.normalize("NFC", base + marks[0]), marks[1:]
            out.append(bytes([single[base]]).decode("cp1252"))
        else:
            out.append(base)
        if marks:
            byte = next(b for b, (bases, added) in naming.VNI_MARKS.items()
                        if set(added) == set(marks) and (base.lower() in bases
                                                        or char.lower() in "ơư"))
            out.append(bytes([byte - (0x20 if base.isupper() else 0)]).decode("cp1252"))
    return "".join(out)


@pytest.mark.parametrize(("written", "encoding"), [
    # As clerks paste them from old documents (the and the review's examples).
    ("NguyÔn V¨n An", "TCVN3"), ("Nguyeãn Vaên An", "VNI"),
    ("TrÇn ThÞ Hoa", "TCVN3"), ("Traàn Thò Hoa", "VNI"),
    ("§Æng ThÞ HuyÒn", "TCVN3"), ("Ñaëng Thò Huyeàn", "VNI"),
    ("Ph¹m Ngäc H\u00adng", "TCVN3"), ("Phaïm Ngoïc Höng", "VNI"),
    ("Chuyªn viªn", "TCVN3"), ("Chuyeân vieân", "VNI"),
    ("Phã Chñ tÞch", "TCVN3"), ("Phoù Chuû tòch", "VNI"),
    ("ñy ban nh©n d©n huyÖn Tiªn L÷", "TCVN3"), ("UÛy ban nhaân daân huyeän Tieân Löõ", "VNI"),
    ("Së Th«ng tin vµ TruyÒn th«ng", "TCVN3"), ("Sôû Thoâng tin vaø Truyeàn thoâng", "VNI"),
    ("NGUYEÃN VAÊN AN", "VNI"), ("Leâ Vaên Phuùc", "VNI"), ("Hoaøng Thò Thuûy", "VNI"),
    ("NguyÔn", "TCVN3"), ("Nguyeãn", "VNI"), ("Ñöùc", "VNI"), ("Ñ", None),
    # Đ (Ñ) and Ư (Ö) in VNI are ẹ and ệ in TCVN3: with nothing else, either may be meant.
    ("Ñoã", "TCVN3 hoặc VNI"), ("Öng", "TCVN3 hoặc VNI"),
])
def test_a_name_typed_in_a_legacy_encoding_is_recognised(written, encoding):
    found = naming.legacy_encoding(written)
    if encoding is None:  # a character alone, in no word: nothing to say
        assert found is None
    else:
        assert found is not None and found.encoding == encoding
        assert found.chars and all(part in written for part in found.chars)


@pytest.mark.parametrize("text", [
    "Nguyễn Văn An", "Đặng Thị Huyền", "Hoàng Thị Thủy", "Lê Thị Thuỷ", "Trương Quý Hòa",
    "Hoà", "Khoá", "Toản", "Quyết", "Giữ", "Nguyễn Hữu Ước", "Y-Moan H'Đơk", "H'Hen Niê",
    "Ủy ban nhân dân xã Phụng Công", "Phó Chủ tịch Ủy ban nhân dân", "Nguyễn Văn ¹²³",
    "NGUYỄN VĂN AN", "ĐỖ ĐỨC ĐẠT", "Phòng Tài chính - Kế hoạch", "José Martí", "",
    unicodedata.normalize("NFD", "Đặng Thị Huyền"), unicodedata.normalize("NFD", "Nguyễn Hữu Ước"),
])
def test_vietnamese_in_unicode_is_not_a_legacy_encoding(text):
    assert naming.legacy_encoding(text) is None


def every_name():
    """Every agency, division and person name declared in the province and the fixtures."""
    names = []
    for path in sorted(glob.glob(os.path.join(ROOT, "mailboxes", "*.yml"))
                       + glob.glob(os.path.join(ROOT, "tests", "fixtures", "good", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        names.append(data["agency"]["name"])
        names += [item["name"] for key in ("divisions", "people") for item in data.get(key) or ()]
        names += [item["title"] for item in data.get("people") or ()]
    return names


def test_every_declared_name_is_unicode_and_its_legacy_forms_are_caught():
    """Built from the tables, the detector knows every name the province declares once
    typed in TCVN3 or VNI, and passes every name as written (NFC and NFD)."""
    names = every_name()
    assert len(names) > 190
    for name in names:
        assert naming.legacy_encoding(name) is None, name
        assert naming.legacy_encoding(unicodedata.normalize("NFD", name)) is None, name
        if name.isascii():
            continue
        assert naming.legacy_encoding(tcvn3(name)) is not None, tcvn3(name)
        assert naming.legacy_encoding(vni(name)) is not None, vni(name)


def test_the_tables_hold_every_vietnamese_letter():
    small = {c for c in naming.VIETNAMESE_LETTERS if c.islower() and not c.isascii()}
    assert len(small) == 67  # 12 vowels × 6 tones + đ, less the 6 plain a e i o u y
    assert small <= set(naming.TCVN3.values())
    assert {c for c in small if vni(c) == c} == {"í", "ì"}  # VNI's own bytes for í, ì
    assert not naming.TCVN3_ONLY & naming.VIETNAMESE_LETTERS
    assert not naming.VNI_ONLY & naming.VIETNAMESE_LETTERS


# ---------------------------------------------------------------- capitals (HY051)

@pytest.mark.parametrize(("name", "expected"), [
    ("NGUYỄN VĂN AN", "Nguyễn Văn An"), ("nguyễn văn an", "Nguyễn Văn An"),
    ("ĐỖ  ĐỨC ĐẠT", "Đỗ Đức Đạt"), ("y-moan h'đơk", "Y-Moan H'Đơk"),
    (unicodedata.normalize("NFD", "LÊ THỊ THỦY"), "Lê Thị Thủy"),
    ("Nguyễn Văn An", None), ("Nguyễn văn An", None), ("Y-Moan H'Đơk", None), ("A", None),
    ("AN", "An"), ("", None), ("123", None),
])
def test_a_name_in_capitals_or_small_letters_is_recased(name, expected):
    assert naming.recased_name(name) == expected


# ---------------------------------------------------------------- NFC / NFD

@pytest.mark.parametrize("name", ["Nguyễn Hoàng Phúc", "Đặng Thị Huyền", "Trương Quý Hòa",
                                  "Ủy ban nhân dân xã Phụng Công"])
def test_nfd_input_derives_the_nfc_address(name):
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    for rule in (naming.person_local_part, naming.place_local_part, naming.agency_abbreviation,
                 naming.abbreviate, naming.person_name_token):
        assert rule(nfd) == rule(name)
    assert naming.person_suggestions(nfd) == naming.person_suggestions(name)
