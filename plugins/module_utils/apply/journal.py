"""The journal of applied changes: ``<state_dir>/data/journal.jsonl``, one JSON object a line.

Appended after every successful apply (Consequence 1: every change traces to a request
letter and an approval: the merge request's author, approvers and merger); read by the
reports and the drift check. Never a secret: no password, no hash, nothing a notice carries
beyond addresses and letters.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable

from ..common.clock import local_day
from ..common.files import append_durably
from ..plan.planner import Change

JOURNAL_VERSION = 1
# Root only: only the apply, the reports and the drift check (root on the mail host) read it.
JOURNAL_MODE = 0o600
# What an entry may hold (``client``: the address a password change came from, issue 14);
# anything else is dropped before writing (no secret can slip in).
FIELDS = ("v", "at", "action", "address", "old_address", "agency", "from_agency", "kind",
          "name", "status", "lock_reason", "request", "commit", "approved_by",
          "author", "approvers", "merger", "reason", "backup", "client")


def journal_path(state_dir: str) -> str:
    return os.path.join(state_dir, "data", "journal.jsonl")


def entries_for(todo: list[Change], record: dict | None, now: str) -> list[dict]:
    """One entry per applied change, in the batch's order."""
    record = record or {}
    return [_entry(change, record, now) for change in todo if change.applies]


def _entry(change: Change, record: dict, now: str) -> dict:
    after, before = change.after or {}, change.before or {}
    entry = {
        "v": JOURNAL_VERSION, "at": now, "action": change.action, "address": change.address,
        "old_address": change.old_address, "agency": change.agency,
        "from_agency": before.get("agency") if change.action == "move" else None,
        "kind": after.get("kind") or before.get("kind"), "name": change.name,
        "status": after.get("status"), "lock_reason": after.get("lock_reason"),
        "request": change.to_dict()["request"],
        "commit": record.get("commit"), "approved_by": record.get("approved_by"),
        "author": record.get("author"), "approvers": record.get("approvers"),
        "merger": record.get("merger"),
    }
    return {key: entry[key] for key in FIELDS if entry.get(key) is not None}


def append(path: str, entries: Iterable[dict]) -> None:
    """Append entries (one line each, encoded as they are written: a first apply journals
    100,000) and sync; the file is created (or tightened to) JOURNAL_MODE."""
    lines = (json.dumps({k: e[k] for k in FIELDS if k in e}, ensure_ascii=False,
                        sort_keys=True) + "\n" for e in entries)
    first = next(lines, None)
    if first is None:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # a journal of an earlier version was 0640
    append_durably(path, itertools.chain((first,), lines), JOURNAL_MODE)


def read(path: str, since: str | None = None, until: str | None = None) -> list[dict]:
    """Entries in file order; ``since``/``until`` are ISO dates, both days included.

    A missing journal is an empty one; a torn last line (a crash mid-append) is skipped.
    """
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        entries = [_parse(line) for line in handle if line.strip()]
    return [e for e in entries if e is not None and in_period(e, since, until)]


def _parse(line: str) -> dict | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "at" in entry else None


def in_period(entry: dict, since: str | None, until: str | None) -> bool:
    """Whether the entry's day (in Vietnam's time, UTC+7) is within [since, until]."""
    day = local_day(entry["at"])
    return (since is None or day >= since) and (until is None or day <= until)
