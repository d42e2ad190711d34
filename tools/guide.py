"""The clerk's guide's table of codes (docs/huong-dan-van-thu.md), generated from the catalogs.

Every ``CATALOG`` of ``plugins/module_utils/**/messages.py`` and ``*_messages.py`` gives one
heading per code (its anchor is the lower-case code: ``#### HY010`` → ``#hy010``), the code's
title (``common/code_titles.py``), what is wrong, its article and the fix. A clerk's code
(validation ``HY`` + digits, policy ``HP``) also shows an example: the fixture
``tests/fixtures/codes/<CODE>.yml`` and the message it yields, run here in-process
(validation over ``tests/fixtures/good``; the policy's ``decide`` over the same tree).

    python tools/guide.py            # rewrite the generated part of the guide
    python tools/guide.py --check    # exit 1 when the guide differs from what it would be

The part between the markers ``BEGIN`` and ``END`` below is rewritten; the prose around it
is written by hand. tests/unit/test_guide.py fails when the committed guide differs.
"""

from __future__ import annotations

import importlib
import pathlib
import re
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".collections"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
import case_support  # noqa: E402  (tests/case_support.py: the runners of the case tables' rows)
import pages  # noqa: E402  (tools/pages.py: write the page or --check it)

PACKAGE = "ansible_collections.hungyen.mail.plugins.module_utils"
GUIDE = ROOT / "docs" / "huong-dan-van-thu.md"
FIXTURES = ROOT / "tests" / "fixtures" / "codes"
GOOD = ROOT / "tests" / "fixtures" / "good"
SCHEMA = ROOT / "schemas" / "agency.schema.json"
BEGIN = "<!-- bắt đầu bảng mã: tạo bằng lệnh make guide, không sửa thủ công -->"
END = "<!-- hết bảng mã -->"
CODE = re.compile(r"\b(H[A-Z]{1,3}\d{3})\b")

# The families of codes, in the order of the table: (prefix pattern, heading, who reads it).
FAMILIES = (
    (re.compile(r"^HY\d"), "Mã kiểm tra tệp khai báo (`HY`)",
     "In ra khi chạy kiểm tra tệp (make validate, job validate của pipeline). Văn thư sửa "
     "tệp của cơ quan mình theo hướng dẫn ở từng mã."),
    (re.compile(r"^HP"), "Mã xét duyệt yêu cầu hợp nhất (`HP`)",
     "In ra ở job policy khi yêu cầu hợp nhất (merge request) sửa tệp không thuộc quyền, "
     "thiếu phê duyệt hoặc vượt ngưỡng."),
    (re.compile(r"^HYG"), "Mã của pipeline trên GitLab (`HYG`)",
     "Dành cho người quản trị pipeline; văn thư không cần xử lý."),
    (re.compile(r"^HYR"), "Mã áp dụng thay đổi lên máy chủ (`HYR`)",
     "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYH"), "Mã biện pháp khẩn cấp (`HYH`)", "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYD"), "Mã sai lệch giữa máy chủ và kho (`HYD`)",
     "Các mục của báo cáo sai lệch; dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYN"), "Mã gửi thông báo (`HYN`)", "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYB"), "Mã sao lưu và khôi phục dữ liệu (`HYB`)",
     "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYP"), "Mã báo cáo định kỳ (`HYP`)", "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYC"), "Mã đồng hồ của hệ thống (`HYC`)",
     "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYS"), "Mã chứng chỉ của máy chủ thư (`HYS`)",
     "Dành cho người vận hành máy chủ thư."),
    (re.compile(r"^HYM"), "Mã đổi mật khẩu và đăng nhập (`HYM`)",
     "Cán bộ, công chức gặp các mã này ở trang đổi mật khẩu, khi đăng nhập hoặc khi phần mềm "
     "thư tự cấu hình; người vận hành máy chủ thư xử lý khi mã báo dịch vụ gặp lỗi."),
)
OTHER = "Mã khác"


def is_clerk_code(code: str) -> bool:
    """A code a clerk meets: validation (HY + digits) or the policy (HP)."""
    return bool(re.match(r"^(HY\d|HP)", code))


# ------------------------------------------------------------------------------ catalogs

def catalog_modules() -> list[str]:
    """Every module of the collection that may hold a catalog, as dotted names."""
    base = ROOT / "plugins" / "module_utils"
    paths = sorted(set(base.rglob("messages.py")) | set(base.rglob("*_messages.py")))
    return [PACKAGE + "." + ".".join(path.relative_to(base).with_suffix("").parts)
            for path in paths]


def catalogs() -> dict[str, tuple[str, str, str]]:
    """Every catalogued code → (what, basis, fix), from every module's ``CATALOG``."""
    entries: dict[str, tuple[str, str, str]] = {}
    for name in catalog_modules():
        catalog = getattr(importlib.import_module(name), "CATALOG", None)
        if isinstance(catalog, dict):
            entries.update(catalog)
    return entries


def titles() -> dict[str, str]:
    return importlib.import_module(PACKAGE + ".common.code_titles").TITLES


def family(code: str) -> str:
    for pattern, heading, _who in FAMILIES:
        if pattern.match(code):
            return heading
    return OTHER


def code_key(code: str) -> tuple:
    found = re.match(r"^([A-Z]+)(\d+)$", code)
    return (found.group(1), int(found.group(2))) if found else (code, 0)


# ------------------------------------------------------------------------------ fixtures

def fixture(code: str) -> dict | None:
    path = FIXTURES / f"{code}.yml"
    return yaml.safe_load(path.read_text("utf-8")) if path.exists() else None


def validation_problems(case: dict) -> list[str]:
    """The validation's messages for ``case``'s files laid over tests/fixtures/good."""
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
        run_validation,
    )
    with tempfile.TemporaryDirectory(prefix="hymail-guide-") as temp:
        tree = case_support.lay_out(pathlib.Path(temp), case)
        result = run_validation({"mailboxes_dir": tree, "schema_file": str(SCHEMA),
                                 "label": "mailboxes"}, workers=1)
    return list(result["problems"])


def policy_problems(case: dict, operator: str | None = None) -> list[str]:
    """The policy's messages for ``case``, in the format of tests/unit/policy_cases.yml
    (tests/case_support.py). ``codeowners: stale`` checks the head's CODEOWNERS instead.
    ``operator``: the operator's short name the messages give (default: the generic name)."""
    from ansible_collections.hungyen.mail.plugins.module_utils.change_request import policy

    if case.get("codeowners"):
        violation = policy.codeowners_violation(case_support.sides(case)[1])
        return [violation.message] if violation else []
    return [violation.message
            for violation in case_support.decision(case, operator).violations]


def example_problems(code: str, case: dict, operator: str | None = None) -> list[str]:
    """What the example ``case`` of ``code`` yields (a policy code's: as ``operator``)."""
    return (policy_problems(case, operator) if code.startswith("HP")
            else validation_problems(case))


def yields_only(code: str, problems: list[str]) -> bool:
    """Whether ``problems`` are one or more messages, all of ``code`` (a clash is reported at
    both of its places)."""
    codes = codes_of(problems)
    return bool(problems) and set(codes) == {code} and len(codes) == len(problems)


def codes_of(problems: list[str]) -> list[str]:
    """The code of each message (the first code it names)."""
    return [found.group(1) for found in (CODE.search(problem) for problem in problems)
            if found]


# ------------------------------------------------------------------------------ the table

def _placeholders(text: str) -> str:
    """A catalog text with its fields shown as ``…``."""
    return re.sub(r"\{[^{}]*\}", "…", text)


def _sentence(text: str) -> str:
    """``text`` ended by one full stop (none after ``…``)."""
    return text if text.endswith(("…", ".")) else text + "."


def _fence(text: str, kind: str = "") -> list[str]:
    shown = "".join(c if c.isprintable() or c in "\n\t" else f"\\u{ord(c):04x}" for c in text)
    shown = shown.replace("\t", "\\t")
    return [f"```{kind}", shown.rstrip("\n"), "```"]


def _file_example(case: dict) -> list[str]:
    lines: list[str] = []
    for name, text in (case.get("files") or {}).items():
        if text is None:
            lines.append(f"Tệp `mailboxes/{name}` đã bị xóa.")
        else:
            lines += [f"Tệp `mailboxes/{name}`:", ""] + _fence(text, "yaml") + [""]
    for name, text in (case.get("bytes") or {}).items():
        shown = case_support.raw_bytes(text).decode("utf-8", "backslashreplace")
        lines += [f"Tệp `mailboxes/{name}` (không phải UTF-8; \\xNN là byte lỗi):", ""]
        lines += _fence(shown, "yaml") + [""]
    return lines


def _policy_example(case: dict) -> list[str]:
    lines = [f"Người tạo yêu cầu hợp nhất: `{case['author']}`." if case.get("author") else
             "Người tạo yêu cầu hợp nhất: không rõ."]
    lines += _policy_files(case)
    if case.get("approvers"):
        lines += ["", "Đã phê duyệt trên GitLab: " +
                  ", ".join(f"`{who}`" for who in case["approvers"]) + "."]
    if case.get("pushers"):
        lines += ["", "Đã đẩy commit vào nhánh: " +
                  ", ".join(f"`{who}`" for who in case["pushers"]) + "."]
    if case.get("tree"):
        lines += ["", "Các đường dẫn thay đổi (git diff --raw):", ""]
        lines += _fence("\n".join(case["tree"]))
    if case.get("contains_base") is False:
        lines += ["", "Nhánh của yêu cầu hợp nhất chưa chứa commit mới nhất của nhánh đích."]
    if case.get("codeowners"):
        lines += ["", "Tệp `CODEOWNERS` không được tạo lại sau khi sửa `owners`."]
    return lines + [""]


def _policy_files(case: dict) -> list[str]:
    lines: list[str] = []
    for name, text in (case.get("base") or {}).items():
        if text is not None:
            lines += ["", f"Trước yêu cầu hợp nhất, tệp `{case_support.file_key(name)}` là:", ""]
            lines += _fence(text, "yaml")
    for name, text in (case.get("base_approvals") or {}).items():
        lines += ["", f"Trước yêu cầu hợp nhất, đã có tệp `approvals/{name}`:", ""]
        lines += _fence(text, "yaml")
    for step in case.get("edits") or ():
        name = case_support.file_key(step["file"])
        if "append" in step:
            lines += ["", f"Thêm vào cuối `{name}`:", ""] + _fence(step["append"], "yaml")
        else:
            lines += ["", f"Trong `{name}`, thay", ""] + _fence(step["replace"], "yaml")
            lines += ["", "bằng", ""] + _fence(step["with"], "yaml")
    for name, text in (case.get("head") or {}).items():
        key = case_support.file_key(name)
        existing = ((GOOD / key.removeprefix("mailboxes/")).exists()
                    or name in (case.get("base") or {}))
        if text is None:
            lines += ["", f"Xóa tệp `{key}`."]
        else:
            words = "Tệp {} sau khi sửa" if existing else "Thêm tệp {}"
            lines += ["", words.format(f"`{key}`") + ":", ""] + _fence(text, "yaml")
    for name, text in (case.get("approvals") or {}).items():
        lines += ["", f"Thêm tệp `approvals/{name}`:", ""] + _fence(text, "yaml")
    return lines


def code_section(code: str, entry: tuple[str, str, str], title: str) -> list[str]:
    what, basis, fix = entry
    lines = [f"#### {code}", "", f"**{title}**", "",
             f"- Nội dung: {_sentence(_placeholders(what))}",
             f"- Căn cứ: {_sentence(basis)}" if basis else
             "- Căn cứ: quy tắc về cách ghi tệp và quy trình, không thuộc điều khoản nào.",
             f"- Cách sửa: {_sentence(_placeholders(fix))}", ""]
    case = fixture(code) if is_clerk_code(code) else None
    if case is not None:
        lines += ["Ví dụ:", ""]
        lines += _policy_example(case) if code.startswith("HP") else _file_example(case)
        lines += ["Kết quả:", ""] + _fence("\n".join(example_problems(code, case)), "text")
        lines.append("")
    return lines


def generated() -> str:
    """The generated part of the guide (between the markers, markers excluded)."""
    entries, names = catalogs(), titles()
    groups: dict[str, list[str]] = {}
    for code in sorted(entries, key=code_key):
        groups.setdefault(family(code), []).append(code)
    order = [heading for _pattern, heading, _who in FAMILIES] + [OTHER]
    who = {heading: text for _pattern, heading, text in FAMILIES}
    lines = ["", "## Bảng mã thông báo", "",
             "Mỗi thông báo lỗi bắt đầu bằng một mã. Tìm mã trong bảng dưới đây (mỗi mã có "
             "một mục riêng, liên kết `#<mã viết thường>`, ví dụ `#hy010`).", ""]
    for heading in order:
        codes = groups.get(heading)
        if not codes:
            continue
        lines += [f"### {heading}", ""]
        if heading in who:
            lines += [who[heading], ""]
        lines += ["| Mã | Tên |", "|---|---|"]
        lines += [f"| [{code}](#{code.lower()}) | {names.get(code, '')} |" for code in codes]
        lines.append("")
        for code in codes:
            lines += code_section(code, entries[code], names.get(code, ""))
    return "\n".join(lines).rstrip("\n") + "\n\n"


def render_guide(text: str) -> str:
    """``text`` (the guide) with its generated part made anew."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + generated() + text[end:]


def main(argv: list[str] | None = None) -> int:
    return pages.main(argv, __doc__, GUIDE, "guide", render_guide)


if __name__ == "__main__":
    sys.exit(main())
