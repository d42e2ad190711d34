"""The snapshot every apply, drift and emergency run leaves: the live state without secrets.

A merge request's plan is computed from it (``backends/snapshot.py``) instead of reading
the mail host. It holds what the planner and the plan need — the accounts as the backend
reads them (no password hash: ``Account`` has none), the emergency holds, the state digest
and the live generation — and is checked for anything hash-shaped before it is written,
mode 0600, atomically.
"""

from __future__ import annotations

import json
import os
import re

from ..backends.base import BackendError, MailBackend
from ..backends.snapshot import check_document, document
from ..common import clock
from ..common.files import replace_atomically
from .holds import read_file
from .reconcile import state_digest

SNAPSHOT_MODE = 0o600
# A password hash in any scheme Dovecot reads, a PHC string, or a crypt(3) one.
HASH_SHAPED = re.compile(r"\{[A-Z0-9._-]*(?:ARGON|CRYPT|SHA|MD5|PBKDF)[A-Z0-9._-]*\}|"
                         r"\$(?:argon2(?:id|i|d)?|2[aby]?|[156]|y|gy|7)\$", re.IGNORECASE)


def take(backend: MailBackend, state_dir: str) -> dict:
    """The snapshot of ``backend``'s live state (its holds from ``state_dir``)."""
    accounts = backend.read_state()
    holds = backend.emergency_holds()
    if holds is None:
        holds = read_file(state_dir)["holds"]
    generation = backend.live_dir()
    return document(backend.domain, accounts, holds, state_digest(accounts),
                    os.path.basename(generation) if generation else None,
                    clock.now().isoformat())


def text_of(snapshot: dict, where: str) -> str:
    """The snapshot's file text, refused (HYR018) if anything in it is hash-shaped."""
    text = json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if HASH_SHAPED.search(text):
        raise BackendError("HYR018", path=where, why="có chuỗi giống mã băm mật khẩu")
    return text


def write(path: str, snapshot: dict, domain: str) -> bool:
    """Write the checked ``snapshot`` to ``path`` (0600, atomically); True when its content
    (its time aside) differs from the file's."""
    text = text_of(check_document(snapshot, domain, path), path)
    before = _previous(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    replace_atomically(path, text, SNAPSHOT_MODE)
    return _without_time(before) != _without_time(snapshot)


def summary(snapshot: dict, path: str) -> dict:
    """What a module returns about a snapshot (no account in it)."""
    return {"snapshot_file": path, "accounts": len(snapshot["accounts"]),
            "holds": sorted(snapshot["holds"]), "state_digest": snapshot["state_digest"],
            "generation": snapshot["generation"], "taken_at": snapshot["taken_at"]}


def _previous(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _without_time(snapshot: dict | None) -> dict | None:
    return None if snapshot is None else {k: v for k, v in snapshot.items() if k != "taken_at"}
