"""Reading an agency file: YAML errors in Vietnamese, one code per kind, at the line to edit.

Each row is a file as a clerk might write it, the code it must give, and the line and the
1-based column the message names (for an unclosed quote or bracket and a missing ':',
the line where the mistake is, not the later line libyaml stops on). Every message is one
line of Vietnamese, without libyaml's English or a Python value; the English stays in
``LoadProblem.original``.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.messages import CATALOG
from ansible_collections.hungyen.mail.plugins.module_utils.declared.yamlsafe import (
    MAX_FILE_BYTES,
    YDict,
    YList,
    describe,
    load_text,
    size_detail,
    source_of,
)

H = "agency:\n  name: Văn Giang\n"

# (id, text, code, line, column)
CASES = [
    ("tab_indent", "agency:\n\tname: x\n", "HY060", 2, 1),
    ("tab_indent_after_a_value", H + "\tkind: district\n", "HY060", 3, 1),
    ("tab_indent_in_a_list", "people:\n  - name: x\n\t  title: y\n", "HY060", 3, 1),
    ("tab_indent_crlf", "agency:\r\n\tname: x\r\n", "HY060", 2, 1),
    ("missing_colon", "agency:\n  name Văn Giang\n  kind: district\n", "HY061", 2, 7),
    ("missing_colon_on_the_last_line", "agency:\n  kind: district\n  name Văn Giang\n",
     "HY061", 3, 7),
    ("missing_colon_of_a_section", "agency\n  name: x\n", "HY061", 1, 7),
    ("missing_colon_before_a_comment", "agency\n# cơ quan\n  name: x\n", "HY061", 1, 7),
    ("missing_colon_in_a_list_item", "people:\n  - name Bùi Văn Nam\n    title: x\n",
     "HY061", 2, 9),
    ("missing_colon_in_a_list_item_key", "people:\n  - name: Nam\n    title Chuyên viên\n"
     "    phone: '1'\n", "HY061", 3, 10),
    ("missing_space_after_colon", "agency:\n  name:Văn Giang\n  kind: x\n", "HY061", 2, 7),
    ("colon_in_a_value", "agency:\n  name: Phòng: Nội vụ\n", "HY062", 2, 14),
    ("deeper_indent_in_a_mapping", H + "   kind: district\n", "HY063", 3, 4),
    ("shallower_indent_in_a_mapping", H + " kind: district\n", "HY063", 3, 2),
    # The first key of a group is the odd one when the keys after agree with each other.
    ("first_key_deeper_than_the_rest", "agency:\n   name: x\n  kind: y\n  code: z\n",
     "HY063", 2, 4),
    ("first_key_shallower_than_the_rest", "agency:\n name: x\n  kind: y\n  code: z\n",
     "HY063", 2, 2),
    ("one_key_deeper_among_agreeing_keys", "agency:\n  name: x\n   kind: y\n  code: z\n",
     "HY063", 3, 4),
    ("first_item_dash_deeper_than_the_next", "people:\n   - name: x\n    title: y\n"
     "  - name: z\n    title: w\n", "HY064", 2, 4),
    ("first_item_dash_shallower_than_the_next", "people:\n - name: x\n    title: y\n"
     "  - name: z\n", "HY064", 2, 2),
    ("key_indented_past_its_list_item", "people:\n  - name: x\n   title: y\n", "HY064", 3, 4),
    ("key_at_its_list_dash", "people:\n  - name: x\n  title: y\n", "HY064", 3, 3),
    ("list_item_misaligned", "people:\n  - name: x\n    title: y\n   - name: z\n",
     "HY064", 4, 4),
    ("unclosed_double_quote", 'agency:\n  name: "Văn Giang\n  kind: district\n',
     "HY065", 2, 9),
    ("unclosed_double_quote_closed_by_the_next_value",
     'agency:\n  name: "Văn Giang\n  title: "Chuyên viên"\n', "HY065", 2, 9),
    ("unclosed_single_quote", "agency:\n  name: 'Văn Giang\n  kind: district\n",
     "HY066", 2, 9),
    ("unclosed_single_quote_closed_by_the_next_value",
     "agency:\n  name: 'Văn Giang\n  title: 'Chuyên viên'\n  kind: x\n", "HY066", 2, 9),
    ("unclosed_bracket", "agency:\n  owners: [a, b\n  kind: district\n", "HY067", 2, 11),
    ("unclosed_bracket_at_the_end", "agency:\n  owners: [a, b\n", "HY067", 2, 11),
    ("unclosed_brace", "agency:\n  request: {number: '1', date: '2024-01-01'\n  kind: x\n",
     "HY068", 2, 12),
    ("backslash_in_double_quotes", 'agency:\n  request: {number: "12\\UBND"}\n',
     "HY069", 2, 24),
    ("backslash_x_in_double_quotes", 'agency:\n  name: "a\\xZZ"\n', "HY069", 2, 11),
    ("value_starting_with_at", "agency:\n  owners: @vanthu\n", "HY070", 2, 11),
    ("list_item_starting_with_at", "agency:\n  owners: [@vanthu]\n", "HY070", 2, 12),
    ("value_starting_with_backtick", "agency:\n  name: `x`\n", "HY070", 2, 9),
    ("value_starting_with_percent", "agency:\n  name: %x\n", "HY070", 2, 9),
    ("undefined_alias", "agency:\n  name: *x\n", "HY071", 2, 9),
    ("value_starting_with_a_star_and_a_letter", "agency:\n  title: *Chuyên viên\n",
     "HY071", 2, 10),
    ("value_starting_with_an_ampersand", "agency:\n  title: & x\n", "HY070", 2, 10),
    ("value_starting_with_a_dash", "agency:\n  division: - tckh\n", "HY070", 2, 13),
    ("second_document", H + "---\nagency:\n  name: y\n", "HY072", 3, 1),
    ("dash_without_space_first_item", "people:\n  -name: x\n", "HY073", 2, 3),
    ("dash_without_space_next_item", "people:\n  - name: x\n  -name: y\n", "HY073", 3, 3),
    ("dash_without_space_with_keys_below", "people:\n  -name: x\n    title: y\n",
     "HY073", 2, 3),
    ("binary_tag", "agency:\n  name: !!binary aGVsbG8=\n", "HY074", 2, 9),
    ("python_tag_on_a_collection", "agency: !!python/object/apply:os.system [ls]\n",
     "HY074", 1, 9),
    ("local_tag", "agency:\n  name: !quan-trong\n", "HY074", 2, 9),
    ("merge_key", "agency:\n  <<: {kind: district}\n  name: x\n", "HY075", 2, 3),
    ("null_key", "agency:\n  ~: x\n", "HY076", 2, 3),
    ("empty_key", "agency:\n  : x\n", "HY076", 2, 3),
    ("quoted_empty_key", "agency:\n  '': x\n", "HY076", 2, 3),
    ("number_key", "agency:\n  1: x\n", "HY076", 2, 3),
    ("yes_key", "agency:\n  yes: x\n", "HY076", 2, 3),
    ("list_key", "agency:\n  [a, b]: x\n", "HY076", 2, 3),
    ("tagged_key", "agency:\n  !x name: x\n", "HY074", 2, 3),
    ("text_after_a_closing_quote", "agency:\n  title: 'Phó' Chủ tịch\n", "HY077", 2, 16),
    ("value_starting_with_a_pipe", "agency:\n  name: |x\n", "HY070", 2, 9),
    ("value_starting_with_a_greater_than", "agency:\n  name: > x\n", "HY070", 2, 9),
    ("value_starting_with_a_comma", "agency:\n  name: , x\n", "HY070", 2, 9),
    ("value_starting_with_a_closing_bracket", "agency:\n  name: ]x\n", "HY070", 2, 9),
    ("stray_closing_bracket_in_a_list", "agency:\n  owners: [a, ]b]\n", "HY001", 2, 16),
    ("line_starting_with_a_comma", H + "  , y\n", "HY001", 3, 3),
]

# libyaml's English and Python's values never reach a clerk.
LEAKS = re.compile(r"\b(found|expected|while|scanning|parsing|mapping|token|could|cannot|"
                   r"character|indentation|document|alias|stream|True|False|None)\b|"
                   r"tag:yaml")


@pytest.mark.parametrize(("text", "code", "line", "column"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_each_kind_of_yaml_mistake_has_its_code_line_and_column(text, code, line, column):
    data, problems = load_text(text.encode("utf-8"), screen_values=True)
    assert data is None or problems
    assert [(p.code, p.line, p.column) for p in problems] == [(code, line, column)]
    message = problems[0].message()
    assert_vietnamese(message)
    assert f"cột {column}," in message or code == "HY072"


def assert_vietnamese(message: str) -> None:
    """One printable line, no article (the file's form), one fix, no English leak."""
    assert message.isprintable(), message
    what, _, fix = message.partition(". Cách sửa: ")
    assert fix.endswith(".") and "Cách sửa" not in fix, message
    assert "()" not in message and "[" not in what.split(" ", 1)[0], message
    assert not LEAKS.search(message), message


def test_the_kinds_cover_every_new_code_of_the_reading_section():
    """Every syntax code the catalog holds has a row above (and no row names a stray one)."""
    codes = {case[2] for case in CASES}
    reading = {code for code in CATALOG if "HY060" <= code <= "HY079"} | {"HY001"}
    assert reading == codes


def test_the_english_original_is_kept_apart_for_verbose_output():
    _, [problem] = load_text(b"agency:\n\tname: x\n")
    assert "token" in problem.original and "line 2, column 1" in problem.original
    assert problem.original not in problem.message()


def test_a_file_form_code_has_no_article():
    for code in ("HY001", "HY002", "HY003", "HY004", "HY005", "HY006", "HY007", "HY039",
                 "HY041", *(f"HY0{n}" for n in range(60, 78))):
        assert CATALOG[code][1] == "", code


# ---------------------------------------------------------------- the rest of reading


@pytest.mark.parametrize(("text", "expected"), [
    ("agency:\n  name: x\n  kind: y\n  name: z\n",
     "HY002 mục 'name' được ghi hai lần (lần đầu ở dòng 2)."),
    ("agency:\n  title: x\n  'title': y\n",
     "HY002 mục 'title' được ghi hai lần (lần đầu ở dòng 2)."),
    # The same key in NFC and NFD is the same key.
    ("agency:\n  ngày: 1\n  nga\u0300y: 2\n",
     "HY002 mục 'ngày' được ghi hai lần (lần đầu ở dòng 2)."),
])
def test_a_key_written_twice_names_the_key_and_its_first_line(text, expected):
    _, [problem] = load_text(text.encode("utf-8"))
    assert problem.message().startswith(expected)
    assert problem.line == text.count("\n")


@pytest.mark.parametrize(("raw", "code", "line"), [
    ("\ufeff" + H, None, None),  # Notepad's UTF-8 with BOM: accepted
    (H + "\ufeff  kind: x\n", "HY005", 3),  # elsewhere: hidden, refused
    ("\ufeff\ufeff" + H, "HY005", 1),
])
def test_a_bom_is_accepted_only_at_the_very_start(raw, code, line):
    data, problems = load_text(raw.encode("utf-8"))
    if code is None:
        assert problems == [] and data == {"agency": {"name": "Văn Giang"}}
    else:
        assert [(p.code, p.line) for p in problems] == [(code, line)]
        assert "BOM" in problems[0].message()


@pytest.mark.parametrize(("char", "code", "words"), [
    ("\u200b", "HY005", "U+200B (dấu cách độ rộng 0)"),
    ("\ufeff", "HY005", "U+FEFF (dấu BOM"),
    ("\u202e", "HY005", "U+202E (ký tự ẩn đổi chiều viết)"),
    ("\x07", "HY005", "U+0007 (ký tự điều khiển)"),
    ("\u3000", "HY005", "U+3000 (dấu cách đặc biệt"),
    ("\n", "HY039", "ký tự xuống dòng (U+000A)"),
    ("\t", "HY039", "ký tự tab (U+0009)"),
    ("\u0430", "HY006", "'\u0430' (U+0430, chữ Kirin)"),
    ("\u03bf", "HY006", "'\u03bf' (U+03BF, chữ Hy Lạp)"),
    ("\uff2e", "HY006", "'\uff2e' (U+FF2E, chữ toàn độ rộng)"),
])
def test_a_refused_character_is_named_in_vietnamese_words(char, code, words):
    assert describe(char, code).startswith(words)
    assert not re.search(r"[A-Z]{3,} [A-Z]{3,}", describe(char, code))  # no Unicode name


@pytest.mark.parametrize(("raw", "code", "line", "text"), [
    (b"agency:\n  name: V\xe3n\n", "HY007",
     2, "tệp không được lưu bằng bảng mã UTF-8 (ký tự lỗi ở byte thứ 18)"),
    (b"\xff\xfea\x00", "HY007", 1, "(ký tự lỗi ở byte thứ 1)"),
    (b"agency: " + b"[" * 40 + b"x" + b"]" * 40 + b"\n", "HY004", 1,
     "tệp quá lớn hoặc lồng quá sâu (lồng sâu hơn 32 cấp)"),
    (b"x" * (MAX_FILE_BYTES + 1), "HY004", 1,
     "tệp quá lớn hoặc lồng quá sâu (8 MiB, tối đa 8 MiB)"),
])
def test_size_depth_and_encoding_in_vietnamese(raw, code, line, text):
    _, problems = load_text(raw)
    assert (problems[0].code, problems[0].line) == (code, line)
    assert text in problems[0].message()


@pytest.mark.parametrize(("size", "detail"), [
    (9 * 1024 * 1024, "9 MiB, tối đa 8 MiB"),
    (int(8.5 * 1024 * 1024), "8,5 MiB, tối đa 8 MiB"),
    (1200 * 1024 * 1024, "1.200 MiB, tối đa 8 MiB"),
])
def test_a_file_size_is_written_as_vietnamese_read_it(size, detail):
    assert size_detail(size) == detail


# ---------------------------------------------------------------- what the clerk wrote


SOURCES = ("agency:\n  status: yes\n  publish: Off\n  parent: ~\n  code: 0912\n"
           "  count: 1_000\n  ratio: 1e3\n  name: Văn Giang\n"
           "  owners: [on, vanthu, 3, ~]\n  request: {number: 15, date: '2024-01-01'}\n"
           "people:\n  - name: x\n  - no\n")


@pytest.mark.parametrize(("path", "value", "source"), [
    (("agency", "status"), True, "yes"),
    (("agency", "publish"), False, "Off"),
    (("agency", "parent"), None, "~"),
    (("agency", "count"), 1000, "1_000"),
    (("agency", "code"), "0912", None),  # stays text: quoted as it is
    (("agency", "ratio"), "1e3", None),
    (("agency", "name"), "Văn Giang", None),
    (("agency", "owners", 0), True, "on"),
    (("agency", "owners", 1), "vanthu", None),
    (("agency", "owners", 2), 3, "3"),
    (("agency", "owners", 3), None, "~"),
    (("agency", "request", "number"), 15, "15"),
    (("people", 1), False, "no"),
    (("people", 0, "name"), "x", None),
    (("agency", "owners"), ["on", "vanthu", 3, None], None),  # a collection
    (("agency", "missing"), None, None),
    (("agency", "owners", 9), None, None),
    (("people", "x"), None, None),
    ((), None, None),
])
def test_source_of_gives_the_text_as_written_of_a_value_that_is_not_text(path, value,
                                                                         source):
    data, problems = load_text(SOURCES.encode("utf-8"))
    assert problems == []
    assert source_of(data, path) == source
    node = data
    for step in path:
        node = node[step] if isinstance(node, dict) and step in node or (
            isinstance(node, list) and isinstance(step, int) and step < len(node)) else None
        if node is None:
            break
    if source is not None:
        assert node == value and not isinstance(node, str)


def test_a_collection_of_text_keeps_no_sources_and_a_hand_made_one_is_read_too():
    data, _ = load_text(H.encode("utf-8"))
    assert data.value_sources == {} and data["agency"].value_sources == {}
    made = YDict(agency=YList(["x"]))  # validate.py builds some without sources
    assert source_of(made, ("agency",)) is None and source_of(made, ("agency", 0)) is None


@pytest.mark.parametrize("text", [
    "agency:\n  name: Nguye\u0302\u0303n Va\u0306n An\n",  # NFD: e + circumflex + tilde
    "agency:\n  name: \"Nguy\\u1ec5n V\\u0103n An\"\n",
    "agency:\n  name: Nguyễn Văn An\n",
])
def test_every_text_value_and_key_is_nfc_on_load(text):
    data, problems = load_text(text.encode("utf-8"), screen_values=True)
    assert problems == []
    assert data["agency"]["name"] == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", data["agency"]["name"])


def test_an_nfd_key_is_the_nfc_key():
    data, _ = load_text("agency:\n  nga\u0300y: 1\n".encode("utf-8"))
    assert list(data["agency"]) == ["ngày"]


def test_an_nfd_name_reaches_the_desired_state_in_nfc(tmp_path):
    """The review's E1: a name typed in NFD (Unicode tổ hợp, macOS) passed validation and
    went on decomposed into desired.json; it is NFC from the load on."""
    import shutil

    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
        run_validation,
    )
    from helpers import ROOT, SCHEMA

    tree = tmp_path / "mailboxes"
    shutil.copytree(ROOT / "tests" / "fixtures" / "good", tree)
    path = tree / "tienlu.yml"
    text = path.read_text("utf-8")
    assert "Trần Văn An" in text
    path.write_text(text.replace("Trần Văn An", unicodedata.normalize("NFD", "Trần Văn An")),
                    "utf-8")
    desired = tmp_path / "desired.json"
    result = run_validation({"mailboxes_dir": str(tree), "schema_file": str(SCHEMA),
                             "label": "", "desired_file": str(desired),
                             "domain": "hungyen.gov.vn"})
    assert result["problems"] == []
    written = desired.read_text("utf-8")
    assert "Trần Văn An" in written and unicodedata.is_normalized("NFC", written)
