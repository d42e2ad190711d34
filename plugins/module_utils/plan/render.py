"""The plan for reviewers: a JSON document and a Markdown page in Vietnamese (no secrets)."""

from __future__ import annotations

import json
from itertools import groupby

from ..common.lifecycle import ACTIONS, DISRUPTIVE, LABELS, LOCK_REASON_LABELS, WARNINGS
from .planner import Change, summarize

PLAN_VERSION = 1


def plan_document(changes: list[Change], domain: str, meta: dict | None = None) -> dict:
    """The plan as one JSON-ready dict: version, domain, summary, every change.

    Drift is an action of the plan like any other (reported, never applied), and is also
    listed on its own under ``drift``.
    """
    entries = [c.to_dict() for c in changes]
    return {
        "version": PLAN_VERSION, "domain": domain, **(meta or {}),
        "summary": summarize(changes), "changes": entries,
        "drift": [e for e in entries if e["action"] == "drift"],
    }


def render_json(changes: list[Change], domain: str, meta: dict | None = None) -> str:
    """Stable JSON text (sorted keys, UTF-8 kept readable)."""
    document = plan_document(changes, domain, meta)
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def plan_json(document: dict) -> str:
    """The plan document as the text of a plan file: keys sorted and indented like
    ``render_json``, but one change per line. A first apply plans 100,000 changes: indented
    JSON goes through Python's slow encoder (seconds), a compact line through the C one."""
    return "".join(plan_pieces(document))


def plan_pieces(document: dict):
    """``plan_json`` a piece at a time, to write a 100 MB plan without holding it whole."""
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    for index, key in enumerate(sorted(document)):
        yield ("{\n  " if index == 0 else ",\n  ") + encode(key) + ": "
        value = document[key]
        if key in ("changes", "drift") and isinstance(value, list) and value:
            for number, item in enumerate(value):
                yield ("[\n    " if number == 0 else ",\n    ") + encode(item)
            yield "\n  ]"
        else:
            yield json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).replace(
                "\n", "\n  ")
    yield "\n}\n" if document else "{\n\n}\n"


def render_markdown(changes: list[Change], domain: str, holds: list[dict] | None = None) -> str:
    """The reviewer's page: counts, loud warning and hold blocks, then changes by agency."""
    lines = [f"# Kế hoạch thay đổi hộp thư công vụ @{domain}", ""]
    lines += _summary_table(changes)
    lines += _warning_block(changes, domain)
    lines += hold_block(holds or [], domain)
    lines += _by_agency(changes, domain)
    return "\n".join(lines).rstrip() + "\n"


def _summary_table(changes: list[Change]) -> list[str]:
    summary = summarize(changes)
    rows = [f"| {LABELS[a]} | `{a}` | {summary[a]} |" for a in ACTIONS if summary[a]]
    if not rows:
        return ["**Không có thay đổi nào.**", ""]
    head = ["| Thao tác | Mã | Số lượng |", "|---|---|---:|"]
    held = ["", f"Tạm giữ, không áp dụng: {summary['held']}"] if summary["held"] else []
    return head + rows + held + [""]


def _warning_block(changes: list[Change], domain: str) -> list[str]:
    """A blockquote listing every revoke, rename and lock, so none goes unnoticed."""
    loud = [c for c in changes if c.action in DISRUPTIVE]
    if not loud:
        return []
    lines = [f"> **⚠️ CẢNH BÁO: {len(loud)} thay đổi cần xem xét kỹ**", ">"]
    for change in loud:
        held = " — TẠM GIỮ, không áp dụng" if change.held else ""
        lines.append(f"> - **{change.action.upper()}** {_address(change, domain)}"
                     f" ({_escape(change.name)}): {WARNINGS[change.action]}{held}")
    return lines + [""]


def hold_block(holds: list[dict], domain: str) -> list[str]:
    """Emergency holds (Điều 10.1.g): their changes are never applied while they last."""
    if not holds:
        return []
    lines = [f"> **⛔ TẠM GIỮ KHẨN CẤP (Điều 10.1.g): {len(holds)} hộp thư**", ">"]
    for hold in holds:
        end = ("kho đã khai báo đúng trạng thái này: lần áp dụng tới sẽ gỡ tạm giữ"
               if hold.get("clears") else
               f"thay đổi của kho cho địa chỉ này không được áp dụng cho đến khi kho khai báo "
               f"`{hold['status']}` hoặc tạm giữ được gỡ (action=release)")
        lines.append(f"> - **{hold['action'].upper()}** `{hold['address']}@{domain}` lúc "
                     f"{hold['at']}, người thực hiện `{_escape(hold['by'] or '?')}`, lý do: "
                     f"{_escape(hold['reason'])} — {end}")
    return lines + [""]


def _by_agency(changes: list[Change], domain: str) -> list[str]:
    lines = []
    for agency, group in groupby(sorted(changes, key=_agency_key), key=_agency_key):
        group = list(group)
        title = f"Cơ quan `{agency}`{_agency_name(group)}" if agency else "Không rõ cơ quan"
        lines += [f"## {title}", ""] + [_line(c, domain) for c in group] + [""]
    return lines


def _agency_name(group: list[Change]) -> str:
    """The agency's full name, when a change carries its directory data."""
    for change in group:
        name = ((change.after or change.before or {}).get("directory") or {}).get("agency_name")
        if name:
            return f" — {_escape(name)}"
    return ""


def _agency_key(change: Change) -> str:
    return change.agency or ""


def _line(change: Change, domain: str) -> str:
    """One bullet: label and code, address, name, request letter, what changes."""
    text = (f"- **{LABELS[change.action]}** `{change.action}` {_address(change, domain)}"
            f" — {_escape(change.name) or '(không tên)'}")
    details = [_letter(change)] + _details(change)
    if change.held:
        details.append("**TẠM GIỮ: không áp dụng lần này**")
    return text + "".join(f"\n  - {d}" for d in details if d)


def _address(change: Change, domain: str) -> str:
    if change.old_address:
        return f"`{change.old_address}@{domain}` → `{change.address}@{domain}`"
    return f"`{change.address}@{domain}`"


def _letter(change: Change) -> str:
    if change.request is None:
        return "" if change.action == "drift" else "Văn bản đề nghị: (không có)"
    return f"Văn bản đề nghị: số {_escape(change.request.label())}"


def _details(change: Change) -> list[str]:
    before, after = change.before or {}, change.after or {}
    if change.action == "lock":
        reason = after.get("lock_reason")
        return [f"Lý do: {LOCK_REASON_LABELS.get(reason, reason)}"]
    if change.action == "rename":
        return [f"Vẫn nhận thư qua địa chỉ cũ (bí danh): {_names(after.get('aliases'))}"]
    if change.action == "move":
        return [f"Cơ quan: `{before.get('agency')}` → `{after.get('agency')}`"]
    if change.action == "delegate":
        return [f"Người được ủy quyền: {_names(after.get('delegates'))}"
                f" (trước: {_names(before.get('delegates'))})"]
    if change.action == "update":
        return [f"Thay đổi: {', '.join(_changed_fields(before, after))}"]
    if change.action == "drift":
        return [f"Trạng thái trên máy chủ: {before.get('status')}"]
    return []


def _changed_fields(before: dict, after: dict) -> list[str]:
    skip = {"request"}
    return [key for key in after if key not in skip and before.get(key) != after.get(key)]


def _names(addresses) -> str:
    return ", ".join(f"`{a}`" for a in addresses or ()) or "(không có)"


def _escape(text: str) -> str:
    """Keep names from breaking the Markdown (tables, emphasis, links)."""
    for char in "\\`*_[]|<>":
        text = text.replace(char, "\\" + char)
    return text
