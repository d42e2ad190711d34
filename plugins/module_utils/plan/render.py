"""The plan for reviewers: a JSON document and a Markdown page in Vietnamese (no secrets)."""

from __future__ import annotations

import json
import os
from itertools import groupby

from ..common.files import replace_atomically
from ..common.glossary import capitalised, cite, day, label, number
from ..common.lifecycle import ACTIONS, DISRUPTIVE, LABELS, LOCK_REASON_LABELS, WARNINGS
from .markdown import address as code_address
from .markdown import code, codes, moment
from .planner import Change, summarize
from .privacy import key_id, private_entry

PLAN_VERSION = 1


def plan_document(changes: list[Change], domain: str, meta: dict | None = None,
                  key: bytes | None = None) -> dict:
    """The plan as one JSON-ready dict: version, domain, summary, every change.

    Drift is an action of the plan like any other (reported, never applied), and is also
    listed on its own under ``drift``. With the installation's privacy ``key``, the title
    and phone of unlisted people are keyed digests (``privacy.private_view``).
    """
    entries = [private_entry(c.to_dict(), key) for c in changes]
    private = {"privacy_key": key_id(key)} if key is not None else {}
    return {
        "version": PLAN_VERSION, "domain": domain, **(meta or {}), **private,
        "summary": summarize(changes), "changes": entries,
        "drift": [e for e in entries if e["action"] == "drift"],
    }


def render_json(changes: list[Change], domain: str, meta: dict | None = None,
                key: bytes | None = None) -> str:
    """Stable JSON text (sorted keys, UTF-8 kept readable)."""
    document = plan_document(changes, domain, meta, key)
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


def write_plan(path: str, document: dict, markdown: str) -> None:
    """The plan JSON at ``path`` and its Markdown beside it (``.md``), each replaced whole
    and readable by its owner only (0600, in a 0700 directory when it makes one): they name
    every official of the province."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    replace_atomically(path, plan_pieces(document), 0o600)
    replace_atomically(os.path.splitext(path)[0] + ".md", markdown, 0o600)


def render_markdown(changes: list[Change], domain: str, holds: list[dict] | None = None) -> str:
    """The reviewer's page: counts, loud warning and hold blocks, then changes by agency.

    Every value from a file or an operator is a code span (``markdown.code``); titles and
    phones are never shown, so unlisted people's stay out of it.
    """
    lines = [f"# Kế hoạch thay đổi {label('mailbox')} @{domain}", ""]
    lines += _summary_table(changes)
    lines += warning_block(changes, domain)
    lines += hold_block(holds or [], domain)
    lines += _by_agency(changes, domain)
    return "\n".join(lines).rstrip() + "\n"


def summary_text(summary: dict) -> str:
    """The plan's counts in one Vietnamese line, for the terminal (``make plan``):
    ``Kế hoạch: 4 thay đổi. Cấp mới (điểm a khoản 2 Điều 6): 3; Tạm khóa (…): 1.``"""
    counts = [f"{LABELS[a]}: {number(summary[a])}" for a in ACTIONS if summary.get(a)]
    if not counts:
        return "Kế hoạch: không có thay đổi nào."
    text = f"Kế hoạch: {number(summary.get('total', 0))} thay đổi. {'; '.join(counts)}."
    if summary.get("held"):
        text += f" Không áp dụng lần này vì đang có {EMERGENCY}: {number(summary['held'])}."
    return text


def _summary_table(changes: list[Change]) -> list[str]:
    summary = summarize(changes)
    rows = [f"| {LABELS[a]} | `{a}` | {number(summary[a])} |" for a in ACTIONS if summary[a]]
    if not rows:
        return ["**Không có thay đổi nào.**", ""]
    head = ["| Thao tác | Mã | Số lượng |", "|---|---|---:|"]
    held = ["", f"Không áp dụng lần này vì đang có {EMERGENCY}: {number(summary['held'])}"
            ] if summary["held"] else []
    return head + rows + held + [""]


# Besides what the holder loses (DISRUPTIVE), what hands a mailbox, its mail or a password
# to someone: a transfer, a reset, a new password, who may read it (Điều 6.2.b, 7.2, 9).
LOUD = DISRUPTIVE | {"move", "reset_password", "delegate", "reinstate", "unlock"}
# Past this many, the block counts per agency and folds the list (a reviewer reads counts).
WARNING_LIST_LIMIT = 50
ADOPTION_LABEL = "NHẬN LẠI ĐỊA CHỈ"
# The operator's emergency measure (Điều 10.1.g), as the glossary names it.
EMERGENCY = label("emergency")
RELEASE = label("emergency_release")
# A loud change's name in the warning block, in capitals, from the glossary: **TẠM KHÓA**
# `lock`. The lower-case action code stays beside it in a code span.
KIND_CONCEPTS = {"lock": "lock", "revoke": "revoke", "rename": "rename", "move": "move",
                 "reset_password": "reset_password", "delegate": "delegate",
                 "reinstate": "reinstate", "unlock": "unlock", "create": "create",
                 "update": "update"}
# The emergency hold's measures (emergency.py's actions lock and revoke).
HOLD_CONCEPTS = {"lock": "emergency_lock", "revoke": "emergency_revoke"}
# An account's status as reviewers read it (active → đang hoạt động).
STATUS_WORDS = {"active": label("active"), "locked": label("locked"),
                "revoked": label("revoked")}
# The fields of an account an update changes, in Vietnamese (the directory's fields one by
# one); one map, so that no English field name reaches the page.
FIELD_WORDS = {
    "name": "họ tên", "kind": "loại hộp thư", "agency": "cơ quan", "status": "trạng thái",
    "lock_reason": "lý do tạm khóa", "aliases": "địa chỉ cũ (bí danh)",
    "delegates": label("delegate_person"), "password_reset": label("reset_password"),
    "must_change": "yêu cầu đổi mật khẩu", "address": "địa chỉ", "quota": "dung lượng hộp thư",
    "title": "chức vụ", "phone": "số điện thoại", "publish": "công khai trong danh bạ",
    "division": "phòng, ban", "agency_name": "tên cơ quan", "agency_kind": "loại cơ quan",
    "parent": "cơ quan cấp trên",
}
# A mailbox that is not a person's has a name, not a họ tên.
NAME_OF = {"person": "họ tên", "agency": "tên cơ quan", "division": "tên phòng, ban"}


def is_loud(change: Change) -> bool:
    """Whether the change is in the warning block."""
    return change.action in LOUD or change.adopted


def warning_block(changes: list[Change], domain: str) -> list[str]:
    """A blockquote listing every revoke, rename, lock, transfer, reset, new password,
    delegation change and adoption, so none goes unnoticed; past 50, counts per agency
    and the list folded."""
    loud = [c for c in changes if is_loud(c)]
    if not loud:
        return []
    lines = [f"> **⚠️ CẢNH BÁO: {number(len(loud))} thay đổi cần xem xét kỹ**", ">"]
    entries = [_warning(change, domain) for change in loud]
    if len(loud) <= WARNING_LIST_LIMIT:
        return lines + [f"> - {entry}" for entry in entries] + [""]
    lines += [f"> - {line}" for line in _counts_by_agency(loud)]
    return lines + ["", f"<details><summary>Chi tiết {number(len(loud))} thay đổi cần xem xét kỹ"
                        "</summary>", ""] + [f"- {entry}" for entry in entries] + [
        "", "</details>", ""]


def _counts_by_agency(loud: list[Change]) -> list[str]:
    """One line per agency: how many of each loud kind."""
    lines = []
    for agency, group in groupby(sorted(loud, key=_agency_key), key=_agency_key):
        counts = {}
        for change in group:
            kind = _kind(change)
            counts[kind] = counts.get(kind, 0) + 1
        listed = ", ".join(f"{kind}: {number(count)}" for kind, count in sorted(counts.items()))
        lines.append(f"Cơ quan {code(agency) if agency else '(không rõ)'}: {listed}")
    return lines


def _kind(change: Change) -> str:
    """A loud change's name in capitals and its action code: **TẠM KHÓA** `lock`."""
    if change.adopted:
        return f"**{ADOPTION_LABEL}** `{change.action}`"
    concept = KIND_CONCEPTS.get(change.action)
    words = label(concept) if concept else LABELS.get(change.action, change.action)
    return f"**{words.upper()}** `{change.action}`"


def _warning(change: Change, domain: str) -> str:
    """One entry of the warning block: what it is, address, name, what it means."""
    held = f" — đang có {EMERGENCY}, không áp dụng lần này" if change.held else ""
    return (f"{_kind(change)} {_address(change, domain)} ({code(change.name)}): "
            f"{_warning_text(change, domain)}{held}")


def _warning_text(change: Change, domain: str) -> str:
    before, after = change.before or {}, change.after or {}
    if change.adopted:
        return (f"nhận lại địa chỉ của cơ quan {_agency_of(before)}: thư đã lưu và thư gửi "
                f"tới {code_address(change.old_address, domain)} thuộc về hộp thư này")
    if change.action == "move":
        return (f"{label('move')} từ cơ quan {_agency_of(before)} sang cơ quan "
                f"{_agency_of(after)}; hộp thư, thư đã lưu và mật khẩu đi theo người này")
    if change.action == "delegate":
        return (f"{label('delegate_person')} đọc toàn bộ thư của hộp thư này: "
                f"{_delegates(after)} (trước đó: {_delegates(before)})")
    if change.action in ("reset_password", "reinstate", "unlock"):
        return (f"mật khẩu mới được cấp và gửi theo thông báo tới cơ quan "
                f"{code(change.agency)}; mật khẩu cũ không còn dùng được")
    return WARNINGS[change.action]


def _agency_of(view: dict) -> str:
    """An agency as a view names it: its code, and its name when the view has it."""
    agency = view.get("agency")
    name = (view.get("directory") or {}).get("agency_name")
    if not agency:
        return "(không thuộc cơ quan nào)"
    return f"{code(agency)} ({code(name)})" if name else code(agency)


def _delegates(view: dict) -> str:
    return codes(view.get("delegates"))


def hold_block(holds: list[dict], domain: str) -> list[str]:
    """Emergency measures (Điều 10.1.g): their changes are never applied while they last."""
    if not holds:
        return []
    lines = [f"> **⛔ {EMERGENCY.upper()} ({cite('10.1.g')}): {number(len(holds))} hộp thư**",
             ">"]
    for hold in holds:
        status = str(hold.get("status") or "")
        wanted = f"`{status}` ({STATUS_WORDS[status]})" if status in STATUS_WORDS else code(status)
        end = (f"kho đã khai báo đúng trạng thái này: lần áp dụng tới sẽ {RELEASE}"
               if hold.get("clears") else
               f"kho đã khai báo đúng trạng thái này nhưng {EMERGENCY} vẫn còn: "
               f"{code(hold['why'])}"
               if hold.get("why") else
               f"thay đổi của kho cho địa chỉ này không được áp dụng cho đến khi kho khai báo "
               f"status: {wanted} hoặc cho đến khi {RELEASE} (`release`)")
        action = str(hold["action"])
        concept = HOLD_CONCEPTS.get(action)
        kind = label(concept).upper() if concept else action.upper()
        lines.append(f"> - **{kind}** `{action}` "
                     f"{code_address(hold['address'], domain)} lúc {moment(hold['at'])}, "
                     f"người thực hiện {code(hold['by'] or '?')}, lý do: "
                     f"{code(hold['reason'])} — {end}")
    return lines + [""]


def _by_agency(changes: list[Change], domain: str) -> list[str]:
    lines = []
    for agency, group in groupby(sorted(changes, key=_agency_key), key=_agency_key):
        group = list(group)
        title = f"Cơ quan {code(agency)}{_agency_name(group)}" if agency else "Không rõ cơ quan"
        lines += [f"## {title}", ""] + [_line(c, domain) for c in group] + [""]
    return lines


def _agency_name(group: list[Change]) -> str:
    """The agency's full name, when a change carries its directory data."""
    for change in group:
        name = ((change.after or change.before or {}).get("directory") or {}).get("agency_name")
        if name:
            return f" — {code(name)}"
    return ""


def _agency_key(change: Change) -> str:
    return change.agency or ""


def _line(change: Change, domain: str) -> str:
    """One bullet: label and code, address, name, request letter, what changes."""
    text = (f"- **{LABELS[change.action]}** `{change.action}` {_address(change, domain)}"
            f" — {code(change.name) if change.name else '(không tên)'}")
    details = [_letter(change)] + _details(change)
    if change.adopted:
        details.insert(0, f"**{ADOPTION_LABEL}** của cơ quan {_agency_of(change.before or {})}")
    if change.held:
        details.append(f"**{EMERGENCY.upper()}: không áp dụng lần này**")
    return text + "".join(f"\n  - {d}" for d in details if d)


def _address(change: Change, domain: str) -> str:
    if change.old_address:
        old, new = change.old_address, change.address
        return f"{code_address(old, domain)} → {code_address(new, domain)}"
    return code_address(change.address, domain)


def _letter(change: Change) -> str:
    """The request letter, or the basis (a decision that is not a request letter)."""
    request = change.request
    if request is None:
        return "" if change.action == "drift" else "Văn bản đề nghị: không có"
    issuer = getattr(request, "issuer", None)
    text = f"số {code(request.number)} ngày {_day(request.date)}"
    if issuer:
        return f"Căn cứ: văn bản {text} của {code(issuer)}"
    return f"Văn bản đề nghị: {text}"


def _day(value) -> str:
    """An ISO date as dd/mm/yyyy; anything else as the code span it is."""
    shown = day(str(value))
    return shown if shown != str(value) else code(value)


def _details(change: Change) -> list[str]:
    before, after = change.before or {}, change.after or {}
    if change.action == "lock":
        reason = after.get("lock_reason")
        return [f"Lý do: {LOCK_REASON_LABELS.get(reason) or code(reason)}"]
    if change.action == "rename":
        return [f"Vẫn nhận thư qua địa chỉ cũ (bí danh): {codes(after.get('aliases'))}"]
    if change.action == "move":
        return [f"Cơ quan: {code(before.get('agency'))} → {code(after.get('agency'))}"]
    if change.action == "delegate":
        return [f"{capitalised(label('delegate_person'))}: {_delegates(after)}"
                f" (trước đó: {_delegates(before)})"]
    if change.action == "update":
        return [f"Thay đổi: {', '.join(changed_fields(before, after))}"]
    if change.action == "drift":
        status = before.get("status")
        return [f"Trạng thái trên máy chủ: {STATUS_WORDS.get(status) or code(status)}"]
    return []


def changed_fields(before: dict, after: dict) -> list[str]:
    """What an update changes, in Vietnamese words (``FIELD_WORDS``): họ tên, chức vụ."""
    skip = {"request"}
    keys = []
    for key in [*after, *(key for key in before if key not in after)]:
        if key in skip or before.get(key) == after.get(key):
            continue
        if key == "directory":
            old, new = before.get(key) or {}, after.get(key) or {}
            order = list(FIELD_WORDS)
            keys += sorted((k for k in set(old) | set(new) if old.get(k) != new.get(k)),
                           key=lambda k: (order.index(k) if k in order else len(order), k))
        else:
            keys.append(key)
    kind = after.get("kind") or before.get("kind")
    words = [NAME_OF.get(kind, "tên") if key == "name" else FIELD_WORDS.get(key, key)
             for key in keys]
    return list(dict.fromkeys(words))
