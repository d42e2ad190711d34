"""The reviewed plan versus a fresh one: apply only what the reviewers saw.

Apply re-plans against the live server. When the live state is still the one the reviewed
plan was made from, nothing more is needed. Otherwise every change apply would make must
appear, with the same before and after, in the reviewed plan: changes already applied
since (by an earlier merge) drop out, and anything new is refused as a stale plan (HYR003).
"""

from __future__ import annotations

import json

from ..common.glossary import label, number
from ..common.operation_messages import render
from .planner import Change
from .privacy import key_id, private_entry
from .render import KIND_CONCEPTS


class StalePlanError(ValueError):
    """The reviewed plan is stale or cannot be used; the message starts with its code."""


def load_reviewed(path: str, domain: str) -> dict:
    """The reviewed plan document (plan.json of the merge request's plan job)."""
    try:
        with open(path, encoding="utf-8") as handle:
            plan = json.load(handle)
    except OSError as error:
        raise StalePlanError(render("HYR004", path=path, why=f"không đọc được tệp "
                                    f"({error.strerror or 'lỗi hệ thống'})")) from error
    except ValueError as error:
        raise StalePlanError(render("HYR004", path=path,
                                    why="tệp không phải JSON hợp lệ")) from error
    if not isinstance(plan, dict) or plan.get("domain") != domain or "changes" not in plan:
        raise StalePlanError(render("HYR004", path=path,
                                    why=f"không phải kế hoạch của miền {domain}"))
    return plan


def unshown(changes: list[Change], reviewed: dict, digest: str,
            key: bytes | None = None) -> list[Change]:
    """Changes apply would make that the reviewed plan does not show; ``key`` is the privacy
    key the reviewed plan was written with (unlisted people's title and phone digested)."""
    if reviewed.get("state_digest") == digest:
        return []
    shown = {_key(entry) for entry in reviewed.get("changes", []) if entry["action"] != "drift"}
    return [change for change in changes
            if change.applies and _key(private_entry(change.to_dict(), key)) not in shown]


def check_reviewed(changes: list[Change], reviewed: dict, digest: str,
                   key: bytes | None = None) -> None:
    """Refuse (HYR003) when the live server moved in a way the reviewed plan did not show;
    (HYR004) when the reviewed plan was written with another privacy key."""
    written = reviewed.get("privacy_key")
    key = key if written else None  # a plan written without a key shows the data itself
    if written and key is not None and written != key_id(key):
        raise StalePlanError(render("HYR004", path="plan.json", why=(
            "được lập với khóa riêng tư khác (privacy.key, HYMAIL_PRIVACY_KEY): nơi lập kế "
            "hoạch và máy chủ thư phải dùng cùng một khóa")))
    extra = unshown(changes, reviewed, digest, key)
    if extra:
        listed = "; ".join(f"{_words(c.action)} {c.old_address or c.address}"
                           for c in extra[:20])
        more = f" (và {number(len(extra) - 20)} thay đổi khác)" if len(extra) > 20 else ""
        raise StalePlanError(render(
            "HYR003", detail=f", và lần áp dụng này sẽ làm {number(len(extra))} thay đổi mà kế "
            f"hoạch đã duyệt không có: {listed}{more}"))


def _words(action: str) -> str:
    """An action as a sentence names it, its code beside it: ``thu hồi (revoke)``."""
    concept = KIND_CONCEPTS.get(action)
    return f"{label(concept)} ({action})" if concept else action


def _key(entry: dict) -> str:
    """What a reviewer approved of one change: the step, its subject, before and after."""
    keep = ("action", "address", "old_address", "before", "after")
    return json.dumps({key: entry.get(key) for key in keep}, sort_keys=True, ensure_ascii=False)
