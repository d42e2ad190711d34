"""What each agency is told after an apply (Điều 6, 7.2.b, 8, 12.1): one notice per recipient.

Pure: from the applied changes, the issued passwords and the accounts' final statuses to

* one notice per requesting agency, sent to the agency mailbox: the changes made (never
  a revocation, Điều 6) with their request letters, and the initial password of each new
  or reset personal mailbox;
* the operator's notice (Sở TTTT): the passwords of agency and division mailboxes, which
  the agency mailbox must not receive (its delegates would read its own password);
* the bootstrap credentials: the operator mailbox's own password, which no mailbox can
  receive; the backend writes it to a root-only file on the mail host.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from ..common.lifecycle import ACTIVE, SILENT
from ..plan.planner import Change

NOTICE_VERSION = 1
DEFAULT_OPERATOR = "sotttt"
UNIT_KINDS = frozenset({"agency", "division"})
# Where a change's new password went, as the notice tells it.
TO_NOTICE, TO_OPERATOR, TO_BOOTSTRAP, WITHHELD = "notice", "operator", "bootstrap", "withheld"


@dataclass
class Outgoing:
    """Notices by recipient local part, and the operator's own credentials (bootstrap)."""

    notices: dict[str, dict] = field(default_factory=dict)
    bootstrap: list[dict] = field(default_factory=list)


def build(todo: list[Change], passwords: dict[str, str], final_status: dict[str, str],
          meta: dict) -> Outgoing:
    """The notices of one apply.

    ``passwords`` maps local parts to the passwords issued in this batch; ``final_status``
    the accounts' statuses after it (a password is only told for an active mailbox);
    ``meta`` holds ``domain``, ``operator``, ``now`` and optionally ``commit``/``approved_by``.
    """
    out, told = Outgoing(), set()
    for change in (c for c in todo if c.applies):
        route = None
        if change.needs_password and change.address not in told:
            told.add(change.address)
            route = _route(change, final_status, meta["operator"])
            _deliver(out, change, route, passwords[change.address], meta)
        if change.action not in SILENT:  # Điều 6: a revocation is journaled only
            _notice(out, change.agency, meta, change)["changes"].append(
                change_item(change, route, meta["domain"]))
    return out


def _route(change: Change, final_status: dict[str, str], operator: str) -> str:
    """Where the new password of ``change`` goes (Điều 8, 12.1)."""
    if final_status.get(change.address, ACTIVE) != ACTIVE:
        return WITHHELD  # locked again in the same batch: unlocking issues a new one
    if change.address == operator:
        return TO_BOOTSTRAP
    return TO_OPERATOR if _kind(change) in UNIT_KINDS else TO_NOTICE


def _deliver(out: Outgoing, change: Change, route: str, password: str, meta: dict) -> None:
    item = credential_item(change, password, meta["domain"])
    if route == TO_BOOTSTRAP:
        out.bootstrap.append(item)
    elif route == TO_OPERATOR:
        _notice(out, meta["operator"], meta)["unit_credentials"].append(item)
    elif route == TO_NOTICE:
        _notice(out, change.agency, meta, change)["credentials"].append(item)


def _notice(out: Outgoing, recipient: str, meta: dict, change: Change | None = None) -> dict:
    """The recipient's notice of this apply, created on first use."""
    notice = out.notices.get(recipient)
    if notice is None:
        notice = out.notices[recipient] = new_notice(recipient, meta)
    if change is not None and not notice["agency_name"]:
        notice["agency_name"] = _agency_name(change)
    return notice


def new_notice(recipient: str, meta: dict) -> dict:
    stamp = re.sub(r"[^0-9TZ]", "", meta["now"].replace("+00:00", "Z"))
    return {
        "version": NOTICE_VERSION, "id": f"{stamp}.{recipient}.{secrets.token_hex(4)}",
        "recipient": recipient, "to": f"{recipient}@{meta['domain']}", "agency": recipient,
        "agency_name": "", "created": meta["now"], "commit": meta.get("commit"),
        "approved_by": meta.get("approved_by"), "operator": recipient == meta["operator"],
        "changes": [], "credentials": [], "unit_credentials": [],
    }


def change_item(change: Change, route: str | None, domain: str) -> dict:
    """One change as the notice shows it (no secret: the password travels apart)."""
    before, after = change.before or {}, change.after or {}
    return {
        "action": change.action, "address": f"{change.address}@{domain}",
        "old_address": f"{change.old_address}@{domain}" if change.old_address else None,
        "name": change.name, "kind": _kind(change), "request": change.to_dict()["request"],
        "status": after.get("status"), "lock_reason": after.get("lock_reason"),
        "from_agency": before.get("agency") if change.action == "move" else None,
        "delegates": [f"{d}@{domain}" for d in after.get("delegates") or ()],
        "password": route,
    }


def credential_item(change: Change, password: str, domain: str) -> dict:
    return {
        "address": f"{change.address}@{domain}", "password": password, "name": change.name,
        "kind": _kind(change), "agency": change.agency, "agency_name": _agency_name(change),
        "action": change.action, "request": change.to_dict()["request"],
    }


def _kind(change: Change) -> str:
    return (change.after or change.before or {}).get("kind") or ""


def _agency_name(change: Change) -> str:
    return ((change.after or {}).get("directory") or {}).get("agency_name") or ""


def bootstrap_text(item: dict, now: str) -> str:
    """The root-only file that hands the operator mailbox's password over, out of band."""
    return (
        "# Hộp thư của Sở Thông tin và Truyền thông: mật khẩu ban đầu (Điều 8, 12.1).\n"
        "# Chỉ người quản trị được đọc tệp này. Đăng nhập, đổi mật khẩu ngay, rồi xóa tệp.\n"
        f"address: {item['address']}\n"
        f"password: {item['password']}\n"
        f"issued: {now}\n"
        f"action: {item['action']}\n"
    )
