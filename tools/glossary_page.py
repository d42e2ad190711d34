#!/usr/bin/env python3
"""Write docs/thuat-ngu.md, the glossary page people read, from common/glossary.py.

``make glossary`` runs it (``--check``: exit 1 when the page differs); tests/unit/test_glossary.py
regenerates the page and fails when the committed one differs, so a change to the glossary
shows in review. The page is Vietnamese: every avoided form is shown as code (in
backticks), so that the glossary check does not read it as a use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ansible_collections.hungyen.mail.plugins.module_utils.common import clock, glossary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import pages  # noqa: E402  (tools/pages.py: write the page or --check it)

PAGE = ROOT / "docs" / "thuat-ngu.md"


def _code(words) -> str:
    return ", ".join(f"`{word}`" for word in words) or "—"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def _section(heading: str, intro: str | None, columns: tuple[str, ...] | None,
             rows) -> list[str]:
    """A ``## heading``, its paragraph, then a table of ``columns`` (or, with none, the
    ``rows`` as lines)."""
    lines = ["", f"## {heading}", ""]
    if intro:
        lines += [intro, ""]
    if columns:
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + list(rows)


def render() -> str:
    """The page, as Markdown."""
    lines = [
        "# Thuật ngữ",
        "",
        "<!-- Trang này được sinh từ plugins/module_utils/common/glossary.py bằng "
        "make glossary; không sửa trực tiếp. -->",
        "",
        "Mọi văn bản hệ thống viết cho văn thư, người duyệt và cán bộ (thông báo lỗi, kế "
        "hoạch, thông báo gửi cơ quan, báo cáo, danh bạ) dùng đúng một tên cho mỗi việc, "
        "theo lời của Quy chế. Cột 'Không viết' liệt kê các cách viết cần tránh; phép kiểm "
        "tra thuật ngữ tìm chúng trong mọi văn bản hệ thống viết ra. Trích dẫn điều khoản "
        f"viết đầy đủ, ví dụ {glossary.cite('6.2.a')}.",
    ]
    lines += _section(
        "Các việc, trạng thái và tên gọi", None,
        ("Mã", "Viết là", "Dạng không dấu", "Không viết", "Căn cứ", "Lý do"),
        (f"| `{term.concept}` | {_cell(term.label)} | `{term.ascii}` | {_code(term.avoid)} "
         f"| {_cell(glossary.cite(*term.refs))} | {_cell(term.reason)} |"
         for term in glossary.TERMS))
    lines += _section(
        "Cụm từ được dùng dù chứa từ cần tránh", None, ("Cụm từ", "Nghĩa"),
        (f"| {_cell(phrase)} | {_cell(why)} |" for phrase, why in glossary.HOMONYMS))
    lines += _section(
        "Giá trị văn thư ghi trong tệp khai báo",
        "Khi thông báo trích một giá trị, giá trị được giữ nguyên như văn thư viết, kèm nghĩa: "
        f"{glossary.glossed('status', 'active')}.",
        ("Mục", "Giá trị", "Nghĩa"),
        (f"| `{field}` | `{value}` | {_cell(gloss)} |"
         for field, values in glossary.VALUE_GLOSS.items() for value, gloss in values.items()))
    targets: dict[str, list[str]] = {}
    for alias, key in glossary.KEY_ALIASES.items():
        targets.setdefault(key, []).append(alias)
    lines += _section(
        "Tên mục viết bằng tiếng Việt",
        "Văn thư có thể đặt tên mục bằng tiếng Việt (có dấu hoặc không dấu, có hoặc không có "
        "dấu cách); hệ thống nhận ra và đề nghị đổi sang tên mục đúng, ví dụ "
        f"`chức vụ` → `{glossary.key_alias('chức vụ')}`.",
        ("Mục đúng", "Tên tiếng Việt được nhận ra (viết gộp, không dấu)"),
        (f"| `{key}` | {_code(aliases)} |" for key, aliases in targets.items()))
    lines += _section(
        "Từ chỉ vai trò không cấp làm địa chỉ",
        "Một thư gửi từ các địa chỉ này dễ bị coi là thư chính thức của cơ quan, nên không "
        "cấp cho cá nhân.",
        ("Địa chỉ", "Nghĩa"),
        (f"| `{word}` | {meaning} |" for word, meaning in glossary.RESERVED_ROLE_WORDS))
    lines += _section(
        "Cấp hành chính", None, ("Mã", "Cấp", "Từ ngày", "Đến ngày"),
        (f"| `{level.code}` | {level.label} | {glossary.day(level.since or '') or '—'} "
         f"| {glossary.day(level.until or '') or '—'} |" for level in glossary.LEVELS))
    lines += _section("Chữ viết tắt và tên riêng được viết trong câu tiếng Việt", None, None,
                      [_code(glossary.ACRONYMS) + "."])
    lines += _section("Cách viết ngày, giờ, số và trích dẫn", None, ("Viết", "Ví dụ"), [
        f"| Trích dẫn điều khoản | {glossary.cite('6.2.a')}; {glossary.cite('9.2', '12.1')} |",
        f"| Ngày | {glossary.day('2024-03-01')} (ngày/tháng/năm, hai chữ số) |",
        f"| Giờ (giờ Việt Nam) | {clock.vietnam_time('2026-11-28T22:14:05+00:00')} |",
        f"| Số | {glossary.number(10000)}; {glossary.percent(84.6)} |",
        f"| Đơn vị quản lý, khi không lấy được tên từ cấu hình | {glossary.GENERIC_OPERATOR} |",
    ])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return pages.main(argv, __doc__, PAGE, "glossary", lambda _current: render())


if __name__ == "__main__":
    raise SystemExit(main())
