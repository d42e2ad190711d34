"""Validation of agency files: one case per validation code, over a good fixture tree."""

from __future__ import annotations

import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)
from case_support import GOOD, lay_out
from glossary_check import findings
from helpers import ROOT, SCHEMA, case_table


def validate(directory: str) -> dict:
    return run_validation({"mailboxes_dir": directory, "schema_file": str(SCHEMA),
                           "label": ""})


@pytest.mark.parametrize("case", case_table("validation_cases.yml"))
def test_validation_case(tmp_path, case):
    problems = validate(lay_out(tmp_path, case))["problems"]
    found = [" ".join(problem.split()[:2]) for problem in problems]
    # In the glossary's words: no khóa for a mục, no English, no Python value, no ISO date.
    assert [line for problem in problems for line in findings(problem, "make validate")] == []
    if case.get("at_least"):
        assert set(case["expect"]) <= set(found), problems
    else:
        assert sorted(found) == sorted(case["expect"]), found


def test_every_code_in_the_catalog_has_a_case():
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.messages import CATALOG

    tested = {code.split()[-1] for table in ("validation_cases.yml", "clerk_mistakes.yml")
              for row in case_table(table) for code in row.values[0]["expect"]}
    assert set(CATALOG) - tested == set(), "codes without a case"
    assert tested - set(CATALOG) == set(), "cases of codes not in the catalog"


def test_message_says_article_and_fix_in_vietnamese(tmp_path):
    case = {"files": {"vangiang.yml": (
        "# yaml-language-server: $schema=../schemas/agency.schema.json\nagency:\n"
        "  name: Ủy ban nhân dân huyện Văn Giang\n  kind: district\n  owners: [a]\n"
        "  request: {number: '1', date: '2024-01-01'}\npeople:\n  - name: Nguyễn Hải Phúc\n"
        "    title: Chuyên viên\n    request: {number: '1', date: '2024-01-01'}\n")}}
    problems = validate(lay_out(tmp_path, case))["problems"]
    mine = next(p for p in problems if p.startswith("vangiang.yml:8:"))
    assert mine.startswith("vangiang.yml:8: HY024 Nguyễn Hải Phúc (người thứ 1 trong people): "
                           "Nguyễn Hoàng Phúc (sotttt.yml, dòng 10) đã có địa chỉ 'nhphuc', "
                           "trùng với địa chỉ suy ra cho hộp thư này (khoản 3 Điều 5). "
                           "Cách sửa: "), mine
    assert "nguyenhphuc" not in mine.split("gợi ý:")[1]  # taken: never suggested


def test_every_problem_is_reported_at_once(tmp_path):
    case = {"files": {"vangiang.yml": None, "anvien.yml": "agency: [\n", "x.yaml": ""}}
    problems = validate(lay_out(tmp_path, case))["problems"]
    assert {p.split(":")[0] for p in problems} == {"anvien.yml", "x.yaml", "ttvangiang.yml"}


def test_summary_counts_problems_and_files(tmp_path):
    result = validate(lay_out(tmp_path, {"files": {"a.yaml": "", "b.yaml": ""}}))
    assert result["summary"].startswith("2 lỗi trong 2 tệp:")


def test_summary_ends_with_the_guide_s_heading_of_every_code_printed(tmp_path):
    result = validate(lay_out(tmp_path, {"files": {"a.yaml": "", "b.yaml": "", "c.yml": ""}}))
    codes = sorted({problem.split()[1] for problem in result["problems"]})
    tail = result["summary"].split("\n")[-len(codes) - 1:]
    assert tail[0] == "Cách sửa từng mã lỗi, trong hướng dẫn cho văn thư:", tail
    assert tail[1:] == [f"- {code}: docs/huong-dan-van-thu.md#{code.lower()}" for code in codes]
    assert codes == ["HY008", "HY009", "HY011"]


def test_a_valid_summary_writes_numbers_as_vietnamese_read_them():
    result = validate(str(ROOT / "mailboxes"))
    assert result["summary"].startswith("Hợp lệ: 189 cơ quan, "), result["summary"]
    assert re.fullmatch(r"Hợp lệ: 189 cơ quan, \d{1,3}(\.\d{3})* hộp thư\.", result["summary"])


def test_the_repository_province_validates():
    result = validate(str(ROOT / "mailboxes"))
    assert result["problems"] == []
    assert result["agencies"] == 189  # 10 districts, 161 communes, 18 provincial bodies


def test_desired_state_is_written_only_when_valid(tmp_path):
    desired = tmp_path / "desired.json"
    run_validation({"mailboxes_dir": str(GOOD), "schema_file": str(SCHEMA),
                    "desired_file": str(desired)})
    assert '"address": "ptckh.tienlu"' in desired.read_text("utf-8")



APPROVAL = ("# yaml-language-server: $schema=../schemas/approval.schema.json\n"
            "approved_by: pheduyet-sotttt\nreason: sáp nhập xã theo nghị quyết\n"
            "max_destructive: 12\nrequest:\n  number: {number}\n  date: '2024-01-01'\n")


@pytest.mark.parametrize(("number", "schema_refuses"), [
    ("'12/UBND;=1+1;'", True), ("'@all https://x'", True), ("' =1+1'", True),
    ('"\\uff1d2+2"', True), ("'" + "1" * 61 + "'", True), ("''", True),
])
def test_an_approval_record_s_letter_number_is_checked_too(number, schema_refuses):
    """HY044 for approvals/*.yml: the schema's pattern, and the coded finding the policy
    reports (letter_number_findings), at the number's line."""
    from ansible_collections.hungyen.mail.plugins.module_utils.declared import validate as v
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.schema_errors import (
        schema_problems,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
        schema_validator,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.yamlsafe import load_text

    data, problems = load_text(APPROVAL.replace("{number}", number).encode(), screen_values=True)
    assert not problems
    check = schema_validator(str(SCHEMA.parent / "approval.schema.json"))
    assert bool(list(schema_problems(check, data))) is schema_refuses
    assert not list(schema_problems(check, data, skip=v.letter_number_error))
    [(line, _number, why)] = v.letter_number_findings(data)
    assert line == 6 and why


@pytest.mark.parametrize("number", ["15/UBND-VP", "số 3/QĐ-UBND", "08/2017/QĐ-UBND",
                                    "125/STTTT-CNTT", "Số 1234/UBND-NV ngày 02.6", "45/KH_UBND"])
def test_letter_numbers_as_the_regulation_writes_them_pass_both_checks(number):
    from ansible_collections.hungyen.mail.plugins.module_utils.declared import validate as v
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
        schema_validator,
    )

    check = schema_validator(str(SCHEMA.parent / "approval.schema.json"))
    data = {"approved_by": "a", "reason": "sáp nhập xã", "max_destructive": 1,
            "request": {"number": number, "date": "2024-01-01"}}
    assert check.is_valid(data) and v.letter_number_problem(number) is None


@pytest.mark.parametrize(("schema", "path"), [
    ("agency.schema.json", ("$defs", "request", "properties", "number")),
    ("approval.schema.json", ("properties", "request", "properties", "number")),
])
def test_the_schemas_carry_the_letter_number_rule_the_validator_applies(schema, path):
    """One rule: the editors' check (the schema's pattern) is the validator's (HY044)."""
    import json

    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validate import (
        LETTER_NUMBER_RE,
    )

    node = json.loads((SCHEMA.parent / schema).read_text("utf-8"))
    for key in path:
        node = node[key]
    assert LETTER_NUMBER_RE.pattern.endswith(r"\Z")
    assert node["pattern"] == "^" + LETTER_NUMBER_RE.pattern[:-2] + "$"


FIELDS_BASE = """\
# yaml-language-server: $schema=../schemas/agency.schema.json
agency:
  name: Ủy ban nhân dân huyện Văn Giang
  kind: district
  code: "330"
  owners: [vanthu-vangiang]
  request: {number: "7/UBND", date: "2024-03-02"}
divisions:
  - name: Văn phòng
    abbreviation: vp
    request: {number: "7/UBND", date: "2024-03-02"}
people:
  - name: Nguyễn Thị Lan
    title: Chuyên viên
    division: vp
    phone: "0221 3865 555"
    request: {number: "15/UBND-VP", date: "2024-03-05"}
"""


@pytest.mark.parametrize(("old", "new", "line", "code", "says"), [
    ('phone: "0221 3865 555"', 'phone: "0221.3871.234 (máy lẻ 12)"', 16, "HY010",
     ["Nguyễn Thị Lan (người thứ 1 trong people), mục phone: số điện thoại",
      "không ghi số máy lẻ"]),
    ('phone: "0221 3865 555"', "phone: 2213865555", 16, "HY010",
     ['ghi phone: "2213865555"']),
    ('code: "330"', 'code: "3a"', 5, "HY010",
     ["mục code của cơ quan: mã đơn vị hành chính '3a'", "từ 2 đến 5 chữ số"]),
    ('code: "330"', "code: 330", 5, "HY010", ['ghi code: "330"']),
    ("owners: [vanthu-vangiang]", 'owners: ["van thu"]', 6, "HY010",
     ["giá trị thứ 1 trong mục owners của cơ quan", "không có dấu cách"]),
    ("owners: [vanthu-vangiang]", "owners: []", 6, "HY010",
     ["danh sách owners đang trống", "ghi ít nhất một tài khoản GitLab"]),
    ("owners: [vanthu-vangiang]", "owners: vanthu-vangiang", 6, "HY010",
     ["mục owners phải là danh sách", "'owners: [vanthu-vangiang]'"]),
    ("owners: [vanthu-vangiang]", "owners: [a, a]", 6, "HY010",
     ["có giá trị ghi hai lần"]),
    ("abbreviation: vp", "abbreviation: VP", 10, "HY010",
     ["phòng thứ 1 trong divisions (Văn phòng), mục abbreviation: tên viết tắt 'VP'",
      "chữ thường a–z"]),
    ("    division: vp", "    division: Văn phòng", 15, "HY010",
     ["mục division: tên viết tắt của phòng, ban 'Văn phòng'"]),
    ("title: Chuyên viên", "title: ' '", 14, "HY010", ["chức vụ đang để trống"]),
    ("title: Chuyên viên", "title: " + "x" * 201, 14, "HY010",
     ["chức vụ dài 201 ký tự, quá 200 ký tự"]),
    ('request: {number: "15/UBND-VP", date: "2024-03-05"}', "request: 15/UBND-VP", 17, "HY010",
     ["mục request phải là một nhóm mục con", "number (số văn bản) và date"]),
    ('{number: "15/UBND-VP",', "{number: 15,", 17, "HY010",
     ["mục number trong request: số văn bản 15 phải đặt trong dấu ngoặc kép"]),
    ("    title: Chuyên viên\n", "    title: Chuyên viên\n    status: locked\n"
     "    lock_reason: hack\n", 16, "HY015",
     ["'hack'", "compromised (bị chiếm dụng)", "spam_malware (tham gia phát tán thư rác"]),
    ("  kind: district\n", "", 2, "HY011",
     ["cơ quan (mục agency): thiếu mục bắt buộc kind", "district ("]),
    ("  name: Ủy ban nhân dân huyện Văn Giang\n", "", 2, "HY011",
     ["thiếu mục bắt buộc name", "'name: <tên cơ quan đầy đủ, có dấu>'"]),
    ("    abbreviation: vp\n", "", 9, "HY011",
     ["phòng thứ 1 trong divisions (Văn phòng): thiếu mục bắt buộc abbreviation"]),
    (', date: "2024-03-05"}', "}", 17, "HY011",
     ["mục request: thiếu mục bắt buộc date", "năm-tháng-ngày"]),
    ('{number: "15/UBND-VP", date: "2024-03-05"}', "{}", 17, "HY011",
     ["mục request: thiếu mục bắt buộc number và date", "'number: <số", "'date: <ngày"]),
    ("people:\n", "people:\n  - name: Lê Văn Bình\n    title: Chuyên viên\n    chucvu: x\n"
     "    request: {number: '1', date: '2024-01-01'}\n", 15, "HY012",
     ["Lê Văn Bình (người thứ 1 trong people): mục 'chucvu' không dùng được ở đây"]),
])
def test_each_rule_of_each_field_has_its_own_text_and_fix(tmp_path, old, new, line, code, says):
    """One message per broken rule, at its line, naming the record in words, with the
    field's own fix (never a pointer to the schema)."""
    assert old in FIELDS_BASE
    text = FIELDS_BASE.replace(old, new, 1)
    problems = validate(lay_out(tmp_path, {"files": {"vangiang.yml": text}}))["problems"]
    assert [" ".join(p.split()[:2]) for p in problems] == [f"vangiang.yml:{line}: {code}"], \
        problems
    for phrase in says:
        assert phrase in problems[0], (phrase, problems[0])
    assert "lược đồ" not in problems[0] and "README" not in problems[0]


@pytest.mark.parametrize(("body", "line", "code", "says"), [
    ("max_destructive: 0\n", 4, "HY010", ["nằm ngoài khoảng cho phép", "từ 1 đến 100.000"]),
    ("max_destructive: mười\n", 4, "HY010", ["'mười' phải là một số nguyên"]),
    ("max_destructive: 3\nrequest: {number: '1', date: '1/3/2024'}\n", 5, "HY014",
     ["mục date trong request: ngày '1/3/2024'", "2024-03-01 (ngày 01/03/2024)"]),
    ("max_destructive: 3\nrequest: {number: '1', date: '2024-01-01'}\n"
     "basis: {number: '2', date: '2024-01-01', issuer: UBND}\n", 6, "HY052", ["chỉ giữ một"]),
    ("", 2, "HY011", ["thiếu mục bắt buộc max_destructive", "'max_destructive: <số"]),
])
def test_an_approval_record_s_schema_errors_are_said_the_same_way(body, line, code, says):
    """approvals/*.yml (read by the policy) get the agency files' texts and codes."""
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.schema_errors import (
        schema_problems,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
        schema_validator,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.yamlsafe import load_text

    text = ("# yaml-language-server: $schema=../schemas/approval.schema.json\n"
            "approved_by: pheduyet\nreason: sáp nhập xã\n" + body)
    data, problems = load_text(text.encode(), screen_values=True)
    assert not problems
    check = schema_validator(str(SCHEMA.parent / "approval.schema.json"))
    [(found_line, message)] = schema_problems(check, data)
    assert (found_line, message.split()[0]) == (line, code), message
    for phrase in says:
        assert phrase in message, (phrase, message)


def test_the_parser_s_english_is_kept_apart_for_verbose_output(tmp_path):
    """A clerk reads the Vietnamese problem; libyaml's own message is only in
    ``parser_messages``, which the module returns under -v."""
    text = "# yaml-language-server: $schema=../schemas/agency.schema.json\nagency:\n\tname: X\n"
    result = validate(lay_out(tmp_path, {"files": {"vangiang.yml": text}}))
    [problem] = result["problems"]
    assert problem.startswith("vangiang.yml:3: HY060 ") and "found" not in problem
    [original] = result["parser_messages"]
    assert original.startswith("vangiang.yml:3: ") and re.search(r"[a-z]+ [a-z]+", original)
    assert validate(lay_out(tmp_path / "good", {}))["parser_messages"] == []
