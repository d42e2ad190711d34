"""What each agency is told after an apply (Điều 6, 7.2.b, 8, 12.1): one notice per recipient.

Pure: from the applied changes, the issued passwords and the accounts' final statuses to

* one notice per requesting agency, sent to the agency mailbox: the changes made (never
  a revocation, Điều 6) with their basis (a request letter, a basis record, the receiving
  agency's letter for a transfer, the operator's own decision for a lock or an emergency
  measure), and the new password of each created, reset, unlocked or reinstated personal
  mailbox;
* the operator's notice (Sở TTTT): the passwords of agency and division mailboxes, which
  the agency mailbox must not receive (its delegates would read its own password);
* the bootstrap credentials: the operator mailbox's own password, which no mailbox can
  receive; the backend writes it to a root-only file on the mail host.

The notice holds data only (addresses, names, ISO dates, action codes); the words people
read, the operator's and the regulation's names included, are added when it is rendered
(``notify.py``, from the inventory).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from ..common.clock import vietnam_time
from ..common.glossary import GENERIC_OPERATOR, cite
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
    out, told, measure = Outgoing(), set(), _measure(meta)
    for change in (c for c in todo if c.applies):
        route = None
        if change.needs_password and change.address not in told:
            told.add(change.address)
            route = _route(change, final_status, meta["operator"])
            _deliver(out, change, route, passwords[change.address], meta)
        if change.action not in SILENT:  # Điều 6: a revocation is journaled only
            _notice(out, change.agency, meta, change)["changes"].append(
                change_item(change, route, meta["domain"], measure))
    return out


def _measure(meta: dict) -> dict | None:
    """The operator's emergency measure this apply carries out (Điều 10.1.g), if any."""
    if not meta.get("emergency"):
        return None
    return {"action": meta["emergency"], "reason": meta.get("reason") or ""}


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


def change_item(change: Change, route: str | None, domain: str,
                measure: dict | None = None) -> dict:
    """One change as the notice shows it (no secret: the password travels apart).

    A move names the sending agency by its name (``from_agency_name``), not its id."""
    before, after = change.before or {}, change.after or {}
    moved, basis = change.action == "move", _basis(change)
    return {
        "action": change.action, "address": f"{change.address}@{domain}",
        "old_address": f"{change.old_address}@{domain}" if change.old_address else None,
        "name": change.name, "kind": _kind(change), "basis": basis,
        "request": None if basis else change.to_dict()["request"],
        "status": after.get("status"), "lock_reason": after.get("lock_reason"),
        "from_agency": before.get("agency") if moved else None,
        "from_agency_name": _directory_name(before) if moved else None,
        "delegates": [f"{d}@{domain}" for d in after.get("delegates") or ()],
        "password": route,
        "measure": measure if change.action in ("lock", "revoke") else None,
    }


def credential_item(change: Change, password: str, domain: str) -> dict:
    return {
        "address": f"{change.address}@{domain}", "password": password, "name": change.name,
        "kind": _kind(change), "agency": change.agency, "agency_name": _agency_name(change),
        "action": change.action, "basis": _basis(change),
        "request": None if _basis(change) else change.to_dict()["request"],
    }


def _kind(change: Change) -> str:
    return (change.after or change.before or {}).get("kind") or ""


def _agency_name(change: Change) -> str:
    return _directory_name(change.after)


def _directory_name(view: dict | None) -> str:
    return ((view or {}).get("directory") or {}).get("agency_name") or ""


def _basis(change: Change) -> dict | None:
    """The decision a change cites instead of a request letter (``basis: {number, date,
    issuer}``, which the declared model keeps as a ``Request`` with an issuer)."""
    request = change.request
    return request.to_dict() if getattr(request, "is_basis", False) else None


def bootstrap_text(item: dict, now: str) -> str:
    """The root-only file that hands the operator mailbox's password over, out of band.

    The operator is not named (this runs without the inventory's ``operator``): the
    regulation's generic words say whose mailbox it is. ``issued`` stays ISO (read by
    scripts); the comment gives the time people read."""
    return (
        f"# Mật khẩu ban đầu của hộp thư {GENERIC_OPERATOR}, cấp lúc {vietnam_time(now)} "
        f"({cite('8', '12.1')}).\n"
        "# Chỉ người quản trị được đọc tệp này. Đề nghị đổi mật khẩu ngay tại trang đổi "
        "mật khẩu (/doimatkhau trên địa chỉ web của hệ thống thư), rồi xóa tệp: trước khi "
        "đổi, hộp thư vẫn nhận thư nhưng chưa đọc và chưa gửi thư được.\n"
        f"address: {item['address']}\n"
        f"password: {item['password']}\n"
        f"issued: {now}\n"
        f"action: {item['action']}\n"
    )
