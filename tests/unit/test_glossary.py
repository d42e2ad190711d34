"""The glossary (common/glossary.py), its page (docs/thuat-ngu.md) and its check
(tests/glossary_check.py).

Read by the check: every catalogue, template, schema description and Vietnamese page; the
validation messages of every clerk mistake, validation case and hostile case; every policy
decision of policy_cases.yml; a plan with every action and its GitLab note; every notice of
test_notify_render's cases, decoded from MIME; every file of the report. Then a self-test
that plants one avoided form in each kind of output, the folding rules case by case, and the
glossary's own data. tests/e2e/test_vietnamese_outputs.py reads a real run's outputs."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import unicodedata

import glossary_check
import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common import glossary, lifecycle
from ansible_collections.hungyen.mail.plugins.module_utils.common.glossary import (
    cite,
    day,
    fold_key,
    key_alias,
    label,
    number,
    percent,
)
from glossary_check import findings, fold
from helpers import ROOT, SCHEMA, case_table

PACKAGE = "ansible_collections.hungyen.mail.plugins.module_utils"
MODULE_UTILS = ROOT / "plugins" / "module_utils"
# The pages people read in Vietnamese (README.md is English, for developers: not read).
GUIDES = ("docs/huong-dan-van-thu.md", "docs/thong-diep-mau.md", "docs/thuat-ngu.md",
          "approvals/README.md", "playbooks/templates/notify/README.md")
TEXT_KEYS = ("title", "description", "markdownDescription", "errorMessage")


# ---------------------------------------------------------------------------------------
# What people read, as the scan reads it.

class Field:
    """A catalogue field's stand-in: formats as ``x`` (``1`` with a number's format)."""

    def __format__(self, spec: str) -> str:
        return format(1, spec) if spec else "x"

    def __repr__(self) -> str:
        return "'x'"

    def __getattr__(self, name: str) -> Field:
        return self

    def __getitem__(self, key: object) -> Field:
        return self


class Fields(dict):
    def __missing__(self, key: str) -> Field:
        return Field()


def catalog_texts(where: str, catalog: dict) -> dict[str, str]:
    """Each entry of ``catalog`` as people read it, its fields filled with stand-ins:
    ``CODE what (basis). Cách sửa: fix.``, the basis's parentheses only when it has one."""
    texts = {}
    for code, entry in catalog.items():
        parts = [part.format_map(Fields()) if isinstance(part, str) else str(part)
                 for part in (entry if isinstance(entry, tuple) else (entry,))]
        what, basis, fix = (parts + ["", "", ""])[:3]
        shown = f"{code} {what}" + (f" ({basis})" if basis else "") + f". Cách sửa: {fix}."
        texts[f"{where} {code}"] = shown
    return texts


def catalogs() -> dict[str, dict]:
    """Every ``CATALOG`` of a ``messages.py`` or ``*_messages.py`` module, by file."""
    found = {}
    for path in sorted(MODULE_UTILS.rglob("*messages.py")):
        dotted = ".".join(path.relative_to(MODULE_UTILS).with_suffix("").parts)
        module = importlib.import_module(f"{PACKAGE}.{dotted}")
        if hasattr(module, "CATALOG"):
            found[str(path.relative_to(ROOT))] = module.CATALOG
    return found


def schema_texts(path) -> dict[str, str]:
    """Every title and description of a JSON schema, by JSON pointer."""
    texts = {}

    def walk(node, pointer):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in TEXT_KEYS and isinstance(value, str):
                    texts[f"{path.name}:{pointer}/{key}"] = value
                walk(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{pointer}/{index}")

    walk(json.loads(path.read_text("utf-8")), "")
    return texts


def template_texts(path) -> dict[str, str]:
    """A Jinja template's text (the check does not read the Jinja itself)."""
    try:
        where = str(path.relative_to(ROOT))
    except ValueError:
        where = path.name
    return {where: path.read_text("utf-8")}


def sources() -> list[tuple[str, dict[str, str]]]:
    """(what, {where: text}) for every catalogue, template, schema and guide page."""
    found = [(where, catalog_texts(where, catalog)) for where, catalog in catalogs().items()]
    found += [(str(path.relative_to(ROOT)), template_texts(path))
              for path in sorted((ROOT / "playbooks" / "templates").rglob("*.j2"))]
    found += [(str(path.relative_to(ROOT)), schema_texts(path))
              for path in sorted((ROOT / "schemas").glob("*.json"))]
    found += [(guide, {guide: (ROOT / guide).read_text("utf-8")})
              for guide in GUIDES if (ROOT / guide).exists()]
    return found


SOURCES = sources()


def test_the_scan_reads_every_kind_of_text():
    names = [name for name, _texts in SOURCES]
    assert {"plugins/module_utils/declared/messages.py",
            "plugins/module_utils/change_request/policy_messages.py",
            "plugins/module_utils/notices/messages.py", "schemas/agency.schema.json",
            "playbooks/templates/notify/body.txt.j2", "docs/thuat-ngu.md"} <= set(names)
    assert all(texts for _name, texts in SOURCES)


@pytest.mark.parametrize(("name", "texts"), SOURCES, ids=[name for name, _t in SOURCES])
def test_what_people_read_is_in_the_glossarys_words(name, texts):
    found = [line for where, text in texts.items() for line in findings(text, where)]
    assert not found, "\n".join(found)


# ---------------------------------------------------------------------------------------
# The self-test: one avoided form planted in each kind of output is found; the same text
# in the glossary's words is not.

def _planted_catalog(text: str) -> dict[str, str]:
    return catalog_texts("x/messages.py", {"HY999": (text, cite("7.1"), "gửi văn bản đề nghị")})


def _planted_template(tmp_path, text: str) -> dict[str, str]:
    path = tmp_path / "body.txt.j2"
    path.write_text("Kính gửi: {{ agency_name }}\n{% for c in changes %}- " + text
                    + " {{ c.address }}\n{% endfor %}\nTrân trọng.\n", "utf-8")
    return template_texts(path)


def _planted_schema(tmp_path, text: str) -> dict[str, str]:
    path = tmp_path / "agency.schema.json"
    path.write_text(json.dumps({"properties": {"status": {"description": text}}},
                               ensure_ascii=False), "utf-8")
    return schema_texts(path)


PLANTED = {
    # kind: (where, the text with one avoided form, the same in the glossary's words, rule)
    "catalogue": ("HY999", "hộp thư bị khóa từ ngày {since}",
                  "hộp thư đang tạm khóa từ ngày {since}", "avoid (lock: bị khóa)"),
    "template": ("body.txt.j2", "Mở khóa hộp thư", "Khôi phục hộp thư", "avoid (unlock"),
    "schema": ("agency.schema.json", "Trạng thái: active hoặc LOCK",
               "Trạng thái: active (đang hoạt động) hoặc locked (đang tạm khóa)", "capitals"),
    "plan": ("plan.md", "| Chuyển cơ quan (Điều 6.2.b) | `move` | 1 |",
             "| Thuyên chuyển công tác trong tỉnh (điểm b khoản 2 Điều 6) | `move` | 1 |",
             "avoid (move"),
    "notice": ("notice anvien", "Người được giao sử dụng hộp thư: nvan, lúc 2026-11-28T22:14:05",
               "Người được ủy quyền sử dụng hộp thư: nvan, lúc 05:14 ngày 29/11/2026",
               "avoid (delegate_person"),
    "csv": ("report hopthu.csv", "nvan,2026-11-28,bị chiếm quyền sử dụng",
            "nvan,2026-11-28,bị chiếm dụng (điểm b khoản 1 Điều 7)", "avoid (compromised"),
}


def _texts(kind: str, where: str, text: str, tmp_path) -> dict[str, str]:
    if kind == "catalogue":
        return _planted_catalog(text)
    if kind == "template":
        return _planted_template(tmp_path, text)
    if kind == "schema":
        return _planted_schema(tmp_path, text)
    return {where: text}


@pytest.mark.parametrize("kind", PLANTED)
def test_an_avoided_form_planted_in_each_kind_of_output_is_found(kind, tmp_path):
    where, planted, clean, rule = PLANTED[kind]
    found = [line for name, text in _texts(kind, where, planted, tmp_path).items()
             for line in findings(text, name)]
    assert any(rule in line for line in found), found
    assert [line for name, text in _texts(kind, where, clean, tmp_path).items()
            for line in findings(text, name)] == []


# ---------------------------------------------------------------------------------------
# The rules, case by case: (text, where, the rules and phrases found).

RULES = [
    # Folding of tone placement and case: one spelling is the other.
    ("Hộp thư được mở khoá.", "notice a", [("avoid (unlock: mở khóa)", "mở khoá")]),
    ("Đề nghị huỷ hộp thư nvan.", "plan.md", [("avoid (revoke: hủy hộp thư)", "huỷ hộp thư")]),
    ("KHOÁ HỘP THƯ NVAN", "notice a", [("avoid (lock: khóa hộp thư)", "KHOÁ HỘP THƯ")]),
    ("Người được uỷ quyền: nvan; hòa, hoà, thủy, thuỷ.", "notice a", []),
    ("lý do tạm khoá: bị chiếm dụng; đang tạm khoá; từ khoá", "plan.md", []),
    # A wrapped line is read joined.
    ("Hộp thư sẽ được tạo\nmới theo văn bản đề nghị.", "plan.md",
     [("avoid (create: tạo mới)", "tạo mới")]),
    ("người được\n> giao sử dụng", "plan.md",
     [("avoid (delegate_person: người được giao)", "người được > giao"),
      ("avoid (delegate: giao sử dụng)", "giao sử dụng")]),
    # Whole words only.
    ("chuyển cơ quanh", "plan.md", []),
    ("khởi tạo mớix", "plan.md", []),
    # khóa: only inside a lock phrase or another legitimate one.
    ("mục 'title' bị khai báo hai lần", "x", []),
    ("khóa 'title' bị khai báo hai lần", "x", [("khóa outside a lock phrase", "khóa")]),
    ("Lý do khóa: bị chiếm dụng", "hopthu.csv", [("avoid (lock_reason: lý do khóa)",
                                                  "Lý do khóa")]),
    ("bản ghi khóa DKIM, khóa riêng, khóa tệp; tạm khóa hộp thư", "x", []),
    ("khôi phục dữ liệu từ bản sao lưu", "x", []),
    # English in capitals, Python's words.
    ("> - **LOCK** `khoa@hungyen.gov.vn`", "plan.md", [("capitals", "LOCK")]),
    ("PLAY [Kiểm tra tệp khai báo] ****", "validate", [("capitals", "PLAY")]),
    ("TASK [x]\nPLAY RECAP", "validate", [("capitals", "TASK"), ("capitals", "PLAY"),
                                          ("capitals", "RECAP")]),
    ("MẬT KHẨU BAN ĐẦU; UBND tỉnh; số 15/UBND-VP; HY010; UTF-8; KH&CN", "notice a", []),
    ("status: 'True' không hợp lệ; False; None", "x",
     [("Python value", "True"), ("Python value", "False"), ("Python value", "None")]),
    ("`True` là giá trị trong mã", "x", []),
    # ISO dates and times in prose, not in a CSV's ISO column nor quoted.
    ("ngày 2026-11-28", "plan.md", [("ISO date", "2026-11-28")]),
    ("lúc 2026-11-28T22:14:05+00:00.", "plan.md",
     [("ISO date", "2026-11-28T22:14:05+00:00")]),
    ("nvan,2026-11-28", "report thaydoi.csv", []),
    ("viết theo dạng năm-tháng-ngày: 2024-03-01 (ngày 01/03/2024)", "validate", []),
    ("viết theo dạng năm-tháng-ngày: 2024-03-01 (ngày 03/01/2024)", "validate",
     [("ISO date", "2024-03-01")]),
    ("ký tự ẩn U+FEFF (dấu BOM)", "validate", []),
    ("ví dụ: 2026-11-30 là ngày 30/11/2026", "validate", []),
    ("ví dụ: 2026-11-30 là ngày 11/30/2026", "validate", [("ISO date", "2026-11-30")]),
    ("viết '2024-03-01' hoặc `2024-03-01`; tệp backup-2026-11-28.tar", "x", []),
    # Python reprs.
    ("không thuộc ['active', 'locked']", "x", [("Python repr", "['active', 'locked']")]),
    ("lỗi <Foo object at 0x7f3a>", "x", [("Python repr", "<Foo object at 0x7f3a>")]),
    ("KeyError: 'name'", "x", [("Python repr", "KeyError")]),
    ("ví dụ `owners: ['vanthu-anvien']`", "docs/a.md", []),
]


@pytest.mark.parametrize(("text", "where", "expected"), RULES, ids=[r[0][:40] for r in RULES])
def test_a_rule_finds_what_it_should_and_nothing_else(text, where, expected):
    found = [re.match(r"^.*?:\d+: (.*?) «(.*?)»", line).groups()
             for line in findings(text, where)]
    assert found == expected


@pytest.mark.parametrize(("one", "other"), [
    ("uỷ quyền", "ủy quyền"), ("khoá", "khóa"), ("hoà", "hòa"), ("thuỷ", "thủy"),
    ("Thuý", "thúy"), ("oẹ", "ọe"), ("Hoạ", "họa"),
    (unicodedata.normalize("NFD", "Khóa"), "khóa")])
def test_folding_makes_two_spellings_one(one, other):
    assert fold(one) == fold(other)
    assert len(fold(one)) == len(unicodedata.normalize("NFC", one))


def test_an_allowlist_entry_holds_only_for_its_files(monkeypatch):
    entry = {"file": "docs/*.md", "phrase": "mở khóa", "reason": "test"}
    monkeypatch.setattr(glossary_check, "allowlist", lambda: (entry,))
    assert findings("Hộp thư được mở khóa.", "docs/a.md") == []
    assert findings("Hộp thư được mở khóa.", "plan.md") != []


def test_every_allowlist_entry_says_where_what_and_why():
    for entry in glossary_check.allowlist():
        assert set(entry) == {"file", "phrase", "reason"}, entry
        assert all(isinstance(entry[key], str) and entry[key].strip() for key in entry), entry


# ---------------------------------------------------------------------------------------
# The glossary's own data.

# The core of issue 20's table: what people read, and forms never to write.
ISSUE_TABLE = [
    ("create", "cấp mới", ["tạo mới"]),
    ("unlock", "khôi phục", ["mở khóa", "gỡ khóa"]),
    ("lock", "tạm khóa", []),
    ("locked", "đang tạm khóa", []),
    ("revoke", "thu hồi", ["xóa hộp thư", "hủy hộp thư"]),
    ("revoked", "đã thu hồi", []),
    ("reinstate", "cấp lại hộp thư đã thu hồi", []),
    ("move", "thuyên chuyển công tác trong tỉnh", ["chuyển cơ quan"]),
    ("delegate", "ủy quyền sử dụng", ["giao sử dụng"]),
    ("delegate_person", "người được ủy quyền", ["người được giao"]),
    ("rename", "đổi tên hộp thư", []),
    ("reset_password", "cấp lại mật khẩu", []),
    ("compromised", "bị chiếm dụng", ["bị chiếm quyền sử dụng"]),
    ("spam_malware", "tham gia phát tán thư rác, mã độc", []),
    ("violation", "vi phạm quy định tại Điều 4", []),
    ("active", "đang hoạt động", ["trạng thái active"]),
    ("emergency", "biện pháp khẩn cấp", ["tạm giữ"]),
    ("emergency_lock", "tạm khóa khẩn cấp", ["lock khẩn cấp"]),
    ("emergency_revoke", "thu hồi khẩn cấp", []),
    ("yaml_key", "mục", ["nhóm khóa"]),
    ("merge_request", "yêu cầu hợp nhất (merge request)", []),
    ("head", "Thủ trưởng cơ quan, đơn vị", []),
]


@pytest.mark.parametrize(("concept", "shown", "never"), ISSUE_TABLE,
                         ids=[row[0] for row in ISSUE_TABLE])
def test_the_issues_table_is_the_glossarys(concept, shown, never):
    assert label(concept) == shown
    assert set(never) <= set(glossary.BY_CONCEPT[concept].avoid)


@pytest.mark.parametrize("term", glossary.TERMS, ids=lambda t: t.concept)
def test_a_term_is_clean_nfc_old_style_with_its_ascii_form_and_a_reason(term):
    for text in (term.label, term.reason, *term.avoid):
        assert unicodedata.is_normalized("NFC", text)
    for new in glossary_check.TONE_PAIRS:
        assert not re.search(f"(?<!q){new}(?!\\w)", term.label.lower()), term.label
    bare = "".join(c for c in unicodedata.normalize("NFD", term.label.replace("đ", "d")
                                                    .replace("Đ", "D"))
                   if not unicodedata.combining(c))
    assert term.ascii.isascii() and bare.lower().startswith(term.ascii.lower())
    assert term.reason
    cite(*term.refs)  # every reference is one the regulation can have
    assert findings(term.label, "glossary") == []
    assert findings(term.reason, "glossary") == []


def test_one_concept_one_term_and_an_avoided_form_belongs_to_one_term():
    assert len(glossary.BY_CONCEPT) == len(glossary.TERMS)
    forms = [fold(form) for term in glossary.TERMS for form in term.avoid]
    assert len(forms) == len(set(forms))
    labels = {fold(term.label) for term in glossary.TERMS}
    assert not labels & set(forms)


@pytest.mark.parametrize(("phrase", "why"), glossary.HOMONYMS)
def test_a_homonym_holds_an_avoided_word_and_says_why(phrase, why):
    forms = [fold(form) for term in glossary.TERMS for form in term.avoid]
    assert re.search(r"khóa|khôi phục|xóa", fold(phrase)) or any(
        form in fold(phrase) for form in forms)
    assert findings(why, "glossary") == []


@pytest.mark.parametrize(("refs", "shown"), [
    (("6.2.a",), "điểm a khoản 2 Điều 6"), (("7.1",), "khoản 1 Điều 7"), (("4",), "Điều 4"),
    (("10.1.đ",), "điểm đ khoản 1 Điều 10"), (("7.1.b",), "điểm b khoản 1 Điều 7"),
    (("9.2", "12.1"), "khoản 2 Điều 9, khoản 1 Điều 12"), ((), "")])
def test_a_citation_is_written_in_full(refs, shown):
    assert cite(*refs) == shown


@pytest.mark.parametrize("bad", ["6.2.f", "Điều 6", "6..2", "", "6.2.a.b", "a.2"])
def test_a_malformed_reference_is_refused(bad):
    with pytest.raises(ValueError):
        cite(bad)


@pytest.mark.parametrize(("shown", "expected"), [
    (day("2024-03-01"), "01/03/2024"), (day("2017-06-02"), "02/06/2017"),
    (day("1/3/2024"), "1/3/2024"), (number(10000), "10.000"), (number(1234567), "1.234.567"),
    (number(0), "0"), (percent(84.6), "84,6%"), (percent(100.0), "100%"),
    (percent(1234.5), "1.234,5%"), (percent(7.25, 2), "7,25%"),
    (glossary.with_citation("Tạm khóa", "7.1"), "Tạm khóa (khoản 1 Điều 7)"),
    (glossary.with_citation("Có trên máy chủ"), "Có trên máy chủ"),
    (glossary.glossed("status", "active"), "active (đang hoạt động)"),
    (glossary.glossed("status", "yes"), "yes")])
def test_dates_numbers_and_glosses_read_as_vietnamese_write_them(shown, expected):
    assert shown == expected


def _schema() -> dict:
    return json.loads(SCHEMA.read_text("utf-8"))


def _property_names(node) -> set[str]:
    names = set()
    if isinstance(node, dict):
        names |= set(node.get("properties", {}))
        for value in node.values():
            names |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value)
    return names


def test_glossed_values_are_the_schemas_and_the_district_level_ends_when_levels_says():
    definitions = _schema()["$defs"]
    assert set(glossary.VALUE_GLOSS["status"]) == set(definitions["status"]["enum"])
    assert set(glossary.VALUE_GLOSS["lock_reason"]) == set(definitions["lock_reason"]["enum"])
    kind = _schema()["properties"]["agency"]["properties"]["kind"]["enum"]
    assert set(glossary.VALUE_GLOSS["kind"]) == set(kind)
    district = {level.code: level for level in glossary.LEVELS}["district"]
    assert day(district.until) in glossary.VALUE_GLOSS["kind"]["district"]


def test_every_key_alias_names_a_schema_key():
    names = _property_names(_schema())
    assert set(glossary.KEY_ALIASES.values()) <= names
    assert all(fold_key(alias) == alias for alias in glossary.KEY_ALIASES)


@pytest.mark.parametrize(("written", "key"), [
    ("chức vụ", "title"), ("chucvu", "title"), ("Họ và tên", "name"), ("hoten", "name"),
    ("SĐT", "phone"), ("trang_thai", "status"), ("Trạng thái", "status"),
    ("lý do tạm khóa", "lock_reason"), ("owners", None), ("xyz", None)])
def test_a_vietnamese_key_name_is_recognised(written, key):
    assert key_alias(written) == key


def test_reserved_role_words_are_their_meanings_folded():
    assert all(word == fold_key(meaning) for word, meaning in glossary.RESERVED_ROLE_WORDS)


def test_the_operator_and_the_regulation_come_from_the_inventory():
    empty = glossary.Operator.from_vars(None)
    assert (empty.name, empty.short_name, empty.technical_unit) == (
        glossary.GENERIC_OPERATOR,) * 3
    regulation = glossary.Regulation.from_vars({
        "title": "Quy chế X", "decision_number": "01/2020/QĐ-UBND", "date": "2020-01-02",
        "issuer": "Ủy ban nhân dân tỉnh Y"})
    assert regulation.reference() == ("Quy chế X ban hành kèm theo Quyết định số "
                                      "01/2020/QĐ-UBND ngày 02/01/2020 của Ủy ban nhân dân "
                                      "tỉnh Y")


# ---------------------------------------------------------------------------------------
# The page.

def _page_module():
    spec = importlib.util.spec_from_file_location("glossary_page",
                                                  ROOT / "tools" / "glossary_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_glossary_page_is_the_glossary():
    page = (ROOT / "docs" / "thuat-ngu.md").read_text("utf-8")
    assert page == _page_module().render(), "docs/thuat-ngu.md is stale: run make glossary"


def test_the_page_shows_every_term_and_every_avoided_form():
    page = _page_module().render()
    for term in glossary.TERMS:
        assert f"| `{term.concept}` | {term.label} |" in page
        assert all(f"`{form}`" in page for form in term.avoid)


# ---------------------------------------------------------------------------------------
# Validation as clerks read it: every message of the clerk-mistake corpus and of the
# validation cases, rendered by the validator itself.

def _validation_cases() -> list:
    import test_clerk_mistakes
    import test_validate

    def mistake(case):
        return lambda tmp_path: test_clerk_mistakes.validate_case(tmp_path, case)

    def validation(case):
        return lambda tmp_path: test_validate.validate(test_validate.lay_out(tmp_path, case))[
            "problems"]

    rows = [pytest.param(mistake(row.values[0]), id=f"clerk {row.values[0]['id']}")
            for row in test_clerk_mistakes.CASES]
    rows += [pytest.param(validation(row.values[0]), id=f"case {row.values[0]['id']}")
             for row in case_table("validation_cases.yml")]
    return rows


@pytest.mark.parametrize("run", _validation_cases())
def test_every_validation_message_is_in_the_glossarys_words(run, tmp_path):
    problems = run(tmp_path)
    found = [line for problem in problems for line in findings(str(problem), "validate")]
    assert not found, "\n".join(found)


def _hostile_cases() -> list:
    import test_hostile

    def run(case):
        def validated(tmp_path):
            tree, desired = test_hostile.lay_out(tmp_path, case), tmp_path / "desired.json"
            return test_hostile.validate(tree, desired)["problems"]
        return validated

    # The generated cases (a billion laughs, a million items…) are test_hostile's, bounded in
    # a child process; their messages are the same codes as the small cases'.
    return [pytest.param(run(case), id=f"hostile {case['id']}")
            for case in test_hostile.CASES if not case.get("generate")]


@pytest.mark.parametrize("run", _hostile_cases())
def test_every_hostile_message_is_in_the_glossarys_words(run, tmp_path):
    found = [line for problem in run(tmp_path) for line in findings(str(problem), "validate")]
    assert not found, "\n".join(found)


def _policy_cases() -> list:
    return [pytest.param(row.values[0], id=f"policy {row.values[0]['id']}")
            for row in case_table("policy_cases.yml")]


@pytest.mark.parametrize("case", _policy_cases())
def test_every_policy_decision_is_in_the_glossarys_words(case):
    import test_policy

    summary = test_policy.run(case).summary()
    assert not findings(summary, "policy"), "\n".join(findings(summary, "policy"))


# ---------------------------------------------------------------------------------------
# The plan as the planner and the renderer write it: every action, clean; a label planted
# with an avoided form is found in the rendered page.

def _plan_markdown() -> str:
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import (
        Mailbox,
        Request,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import (
        account_from_mailbox,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import (
        plan_changes,
    )
    from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import (
        render_markdown,
    )

    letter = Request("12/ĐN-STTTT", "2026-11-02")

    def box(address: str, **fields) -> Mailbox:
        base = {"kind": "person", "agency": "sotttt", "name": f"Người {address}",
                "request": letter}
        return Mailbox(address=address, **(base | fields))

    def live(mailbox: Mailbox):
        return account_from_mailbox(mailbox).evolve(
            status=mailbox.status, lock_reason=mailbox.lock_reason, must_change=False)

    desired = [box("moi"), box("khoa", status="locked", lock_reason="compromised"),
               box("thuhoi", status="revoked"),
               box("tennew", kind="division", agency="sonv", previous=("tenold",)),
               box("chuyen", agency="sonv"), box("sotttt", kind="agency", delegates=("moi",)),
               box("mo"), box("caplai")]
    actual = [live(box("khoa")), live(box("thuhoi")),
              live(box("tenold", kind="division", agency="sonv")), live(box("chuyen")),
              live(box("sotttt", kind="agency")), live(box("lala")),
              live(box("mo", status="locked", lock_reason="violation")),
              live(box("caplai", status="revoked"))]
    changes = plan_changes(desired, {account.address: account for account in actual})
    return render_markdown(changes, "hungyen.gov.vn")


def test_a_rendered_plan_and_its_gitlab_note_are_in_the_glossarys_words():
    from ansible_collections.hungyen.mail.plugins.module_utils.change_request import (
        gitlab_note,
    )

    text = _plan_markdown()
    for action in ("create", "lock", "revoke", "rename", "move", "delegate", "drift", "unlock",
                   "reinstate"):
        assert f"`{action}`" in text, action
    assert findings(text, "plan.md") == []
    note = gitlab_note.note_body(text, {"sha": "a1b2c3d4e5f6a7b8", "at": "2026-11-28T22:14:05Z",
                                        "job_url": "https://gitlab.example/hy/mail/-/jobs/7"})
    assert findings(note, "gitlab note") == []


def test_a_label_planted_with_an_avoided_form_is_found_in_the_rendered_plan(monkeypatch):
    monkeypatch.setitem(lifecycle.LABELS, "create", "Tạo mới (Điều 6.2.a)")
    found = findings(_plan_markdown(), "plan.md")
    assert any("avoid (create: tạo mới)" in line for line in found), found


# ---------------------------------------------------------------------------------------
# Notices as a mail client shows them (test_notify_render's cases: every action, a lock, an
# emergency measure, the operator's copy), subject and body decoded from MIME.

def _notice_cases() -> list[str]:
    import test_notify_render

    return sorted(test_notify_render.CASES)


@pytest.mark.parametrize("name", _notice_cases())
def test_every_notice_is_in_the_glossarys_words(name):
    import test_notify_render

    found = []
    for address, notice in test_notify_render.case_notices(name).items():
        message, body = test_notify_render.rendered(notice)
        found += findings(f"{message['Subject']}\n{body}", f"notice {address}")
    assert not found, "\n".join(found)


def test_a_label_planted_with_an_avoided_form_is_found_in_the_rendered_notice(monkeypatch):
    import test_notify_render

    monkeypatch.setitem(lifecycle.LABELS, "create", "Tạo mới (Điều 6.2.a)")
    found = []
    for address, notice in test_notify_render.case_notices("create").items():
        message, body = test_notify_render.rendered(notice)
        found += findings(f"{message['Subject']}\n{body}", f"notice {address}")
    assert any("avoid (create: tạo mới)" in line for line in found), found


# ---------------------------------------------------------------------------------------
# The report as written (test_report's province): Markdown, CSV and HTML.

def _report_files() -> dict[str, str]:
    import test_report
    from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
    from ansible_collections.hungyen.mail.plugins.module_utils.publish import report_render
    from ansible_collections.hungyen.mail.plugins.module_utils.publish.report import (
        Period,
        build_report,
    )

    data = test_report.FIXTURE
    accounts = {a["address"]: Account.from_dict(a) for a in data["accounts"]}
    desired = [test_report.agency_mailbox(agency) for agency in data["agencies"]]
    period = Period(data["since"], data["until"], data["stale_days"], data["now"])
    report = build_report(accounts, data["journal"], desired, period, test_report.DOMAIN)
    files = report_render.render_report(report)
    return {f"report {name}": (content.decode("utf-8-sig") if isinstance(content, bytes)
                               else content) for name, content in files.items()}


def test_every_report_file_is_in_the_glossarys_words():
    files = _report_files()
    assert any(name.endswith(".csv") for name in files) and any(
        name.endswith(".md") for name in files)
    found = [line for name, text in files.items() for line in findings(text, name)]
    assert not found, "\n".join(found)
