"""Emergency lock, revoke and release of one mailbox (Điều 10.1.g), at once, with a hold.

The action is applied through the backend like any change (one batch of one), and the hold
is written first, so a failing apply leaves no action without its hold; release only ends
the hold: the next apply brings the mailbox to what the repository declares.
"""

from __future__ import annotations

from ..backends.base import BackendError, MailBackend
from ..common.glossary import label
from . import after_commit
from .holds import (
    ACTION_WORDS,
    Hold,
    HoldError,
    emergency_change,
    emergency_hold,
    event,
    held_status,
    holds_path,
    load_holds,
    save,
)
from .messages import render


def run(backend: MailBackend, state_dir: str, params: dict, check_mode: bool = False,
        diff_mode: bool = False) -> dict:
    """``params``: address, action (lock|revoke|release), reason, by, lock_reason."""
    if backend.read_only and not check_mode:  # a snapshot: no server to act on
        raise BackendError("HYR017", what="xử lý khẩn cấp", path=backend.describe().get(
            "snapshot_file"))
    address = local_part(params["address"], backend.domain)
    holds = load_holds(state_dir)
    if params["action"] == "release":
        return release(state_dir, holds, address, params, check_mode)
    account = backend.read_state().get(address)
    if account is None:
        raise HoldError(render("HYH004", address=f"{address}@{backend.domain}"))
    hold = emergency_hold(account, params["action"], params.get("reason") or "",
                          params.get("by") or "", params.get("lock_reason"))
    change = emergency_change(account, hold)
    existing = holds.get(address)
    if change is None and existing is not None and existing.action == hold.action:
        return {"changed": False, "hold": existing.to_dict(), "holds_file": holds_path(state_dir),
                "msg": f"{address}: đã ở trạng thái {label(hold.status)}, "
                       f"{ACTION_WORDS[hold.action]} đang có hiệu lực"}
    result = {"changed": True, "hold": hold.to_dict(), "holds_file": holds_path(state_dir),
              "change": change.to_dict() if change else None,
              "msg": f"{address}: đã {ACTION_WORDS[hold.action]}; giữ nguyên cho đến khi kho "
                     f"khai báo trạng thái {held_status(hold)} hoặc gỡ bỏ "
                     f"{label('emergency')} (action=release)"}
    if diff_mode:
        result["diff"] = backend.diff([change] if change else [])
    if not check_mode:
        result["applied"] = _act(backend, state_dir, holds, hold, change)
        warnings = after_commit.sessions_warnings(None, result["applied"])
        if warnings:  # locked, but the hijacker's open sessions may still run: say so
            result["warnings"] = warnings
    return result


def _act(backend: MailBackend, state_dir: str, holds: dict[str, Hold], hold: Hold,
         change) -> dict:
    """Record the hold, then act; on failure put the holds back as they were."""
    save(state_dir, holds | {hold.address: hold}, [event("set", hold, hold.by, hold.reason)])
    if change is None:
        return {"changed": False, "files": []}
    record = {"emergency": hold.action, "by": hold.by, "reason": hold.reason}
    try:
        return after_commit.apply_changes(backend, [change], {}, record)
    except BaseException:
        save(state_dir, holds, [event("rollback", hold, hold.by, "áp dụng thất bại")])
        raise


def release(state_dir: str, holds: dict[str, Hold], address: str, params: dict,
            check_mode: bool) -> dict:
    """End a hold; the server is left as it is until the next apply."""
    hold = holds.get(address)
    if hold is None:
        return {"changed": False, "msg": render("HYH005", address=address)}
    if not check_mode:
        rest = {key: value for key, value in holds.items() if key != address}
        save(state_dir, rest, [event("release", hold, params.get("by") or "",
                                     params.get("reason") or "")])
    return {"changed": True, "released": hold.to_dict(), "holds_file": holds_path(state_dir),
            "msg": f"{address}: đã gỡ bỏ {label('emergency')} ({ACTION_WORDS[hold.action]}); "
                   "lần áp dụng sau đưa hộp thư về đúng khai báo của kho"}


def local_part(address: str, domain: str) -> str:
    """``x`` or ``x@<domain>`` -> ``x``; another domain is refused."""
    local, at, other = address.strip().lower().rpartition("@")
    if not at:
        local, other = other, domain
    if other != domain or not local:
        raise HoldError(render("HYH006", address=address, domain=domain))
    return local
