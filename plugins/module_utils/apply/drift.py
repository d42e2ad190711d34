"""The drift report: what the mail server has that the repository does not say.

Five kinds of finding, each with a stable code: HYD001 a mailbox no file declares,
HYD002 an emergency hold (biện pháp khẩn cấp), HYD003 a data file changed by hand (its
digest differs from the one the backend recorded when it wrote it), HYD004 a declared
change not (yet) applied, HYD005 a configuration file a role wrote changed by hand or gone
(its digest differs from the role's record, ``managed_files.py``).
Nothing is changed on the server.
"""

from __future__ import annotations

from ..backends.factory import backend_from_params
from ..common.glossary import label, number
from ..common.lifecycle import LABELS
from ..declared.model import load_desired
from ..plan.markdown import address, code
from ..plan.planner import Change, plan_changes
from ..plan.render import hold_block
from . import managed_files
from .holds import HoldSet
from .messages import heading, render

CODES = {"undeclared": "HYD001", "holds": "HYD002", "hand_edits": "HYD003",
         "pending": "HYD004", "config_edits": "HYD005"}
TITLES = {kind: heading(code) for kind, code in CODES.items()}
FILE_STATES = {"edited": "nội dung đã bị sửa", "missing": "tệp đã bị xóa",
               "unrecorded": "công cụ chưa từng ghi tệp này (không có mã băm SHA-256)"}


class DriftError(ValueError):
    """The report cannot be made; the message starts with its code."""


def run(params: dict) -> dict:
    """``params``: desired_file, state_dir, domain (+ postmap, postfix_config_dir unused)."""
    backend = backend_from_params(params)
    desired = load_desired(params["desired_file"], backend.domain, DriftError)
    holds = HoldSet.load(params["state_dir"], desired)
    changes = plan_changes(desired, backend.read_state(), holds=holds.frozen())
    edits = backend.hand_edits()
    config_edits = _config_edits(params["state_dir"])
    report = build(changes, holds.describe(), edits, backend.domain, config_edits)
    result = {"changed": False, "drift": report["drift"], "summary": report["summary"],
              "report": report, "markdown": render_markdown(report)}
    if report["drift"]:
        result["msg"] = render("HYD000", summary=summary_text(report["summary"]))
    return result


def _config_edits(state_dir: str) -> list[dict]:
    try:
        return managed_files.edits(state_dir)
    except managed_files.ManifestError as error:
        raise DriftError(str(error)) from None


def summary_text(summary: dict) -> str:
    """The counts people read: ``2 mục HYD001, 1 mục HYD004`` (each code is a heading of
    the report)."""
    return ", ".join(f"{number(count)} mục {CODES[kind]}"
                     for kind, count in summary.items() if count)


def build(changes: list[Change], holds: list[dict], edits: list[dict], domain: str,
          config_edits: list[dict] | None = None) -> dict:
    """The report as JSON-ready data; ``drift`` is true when anything was found."""
    found = {
        "undeclared": [c.to_dict() for c in changes if c.action == "drift"],
        "holds": holds,
        "hand_edits": edits,
        "pending": [c.to_dict() for c in changes if c.action != "drift"],
        "config_edits": list(config_edits or []),
    }
    summary = {kind: len(items) for kind, items in found.items()}
    return {"version": 1, "domain": domain, "drift": any(summary.values()),
            "codes": CODES, "summary": summary, **found}


def render_markdown(report: dict) -> str:
    """The report for Sở TTTT, in Vietnamese: counts first, then every finding."""
    domain = report["domain"]
    lines = [f"# Báo cáo sai lệch máy chủ thư @{domain}", ""]
    if not report["drift"]:
        return "\n".join(lines + ["**Không có sai lệch**: máy chủ đúng như kho khai báo.", ""])
    lines += ["| Mã | Loại | Số lượng |", "|---|---|---:|"]
    lines += [f"| {CODES[k]} | {TITLES[k]} | {n} |" for k, n in report["summary"].items() if n]
    lines.append("")
    lines += _section("undeclared", [_account_line(e, domain) for e in report["undeclared"]])
    lines += _section("holds", hold_block(report["holds"], domain))
    lines += _section("hand_edits", [_edit_line(e) for e in report["hand_edits"]])
    lines += _section("pending", [_pending_line(e, domain) for e in report["pending"]])
    lines += _section("config_edits", [_config_line(e) for e in report.get("config_edits", [])])
    return "\n".join(lines).rstrip() + "\n"


def _section(kind: str, lines: list[str]) -> list[str]:
    return [f"## {CODES[kind]} {TITLES[kind]}", "", *lines, ""] if lines else []


def _account_line(entry: dict, domain: str) -> str:
    before = entry.get("before") or {}
    name = code(entry["name"]) if entry.get("name") else "(không tên)"
    agency = entry.get("agency") or ""
    agency_name = (before.get("directory") or {}).get("agency_name") or ""
    agency_text = (f"{agency_name} ({code(agency)})" if agency_name and agency
                   else code(agency) if agency else "không rõ")
    return (f"- {address(entry['address'], domain)} — {name}, cơ quan {agency_text}, "
            f"trạng thái {_status(before.get('status'))}")


def _status(status: str | None) -> str:
    """A server status as people read it: ``đang hoạt động``."""
    return label(status) if status in ("active", "locked", "revoked") else "không rõ"


def _edit_line(entry: dict) -> str:
    return f"- {code('data/live/' + str(entry['file']))}: {FILE_STATES[entry['state']]}"


def _config_line(entry: dict) -> str:
    """``/etc/postfix/main.cf``: what happened, and the service that reads it."""
    return (f"- {code(entry['file'])}: {FILE_STATES[entry['state']]}; dịch vụ đọc tệp: "
            f"{_reader(entry['reader'])} (vai trò {code(entry['role'])})")


def _reader(reader: str) -> str:
    """A known reader in words (``tường lửa (nftables)``); another one, as written, in code."""
    return managed_files.READERS.get(reader) or code(reader)


def _pending_line(entry: dict, domain: str) -> str:
    held = f" ({label('emergency')} đang có hiệu lực: chưa áp dụng)" if entry.get("held") else ""
    name = code(entry["name"]) if entry.get("name") else "(không tên)"
    return (f"- {LABELS[entry['action']]} `{entry['action']}` "
            f"{address(entry['address'], domain)} — {name}{held}")
