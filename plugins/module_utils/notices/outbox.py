"""The outbox on the mail host: ``<state_dir>/outbox/<recipient>.jsonl``, one notice a line.

Root-only (directory 0700, files 0600): notices carry initial passwords. The reconcile
appends (under the apply lock), the notifier removes what the SMTP server accepted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable

from ..common.files import append_durably, replace_atomically

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def outbox_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "outbox")


def bootstrap_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "bootstrap")


def safe_name(name: str, allowed: str = "._-") -> str:
    return re.sub(rf"[^a-z0-9{re.escape(allowed)}]", "_", name.lower()) or "_unknown"


def append_notices(directory: str,
                   notices: dict[str, dict] | Iterable[tuple[str, dict]]) -> dict[str, int]:
    """Append each recipient's notice to its file; returns notices written per recipient.
    ``notices``: by recipient, or (recipient, notice) pairs read one at a time (a first
    apply's notices carry 100,000 passwords: never all in memory)."""
    items = sorted(notices.items()) if isinstance(notices, dict) else notices
    written: dict[str, int] = {}
    for recipient, notice in items:
        if not written:
            _private_dir(directory)
        line = json.dumps(notice, ensure_ascii=False, sort_keys=True) + "\n"
        append_durably(os.path.join(directory, f"{safe_name(recipient)}.jsonl"), line,
                       PRIVATE_FILE)
        written[recipient] = written.get(recipient, 0) + 1
    return dict(sorted(written.items()))


def read_outbox(directory: str) -> dict[str, list[dict]]:
    """Pending notices by outbox file path, oldest first; unreadable lines are kept apart."""
    if not os.path.isdir(directory):
        return {}
    pending = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                pending[path] = [_parse(line) for line in handle if line.strip()]
    return pending


def _parse(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:
        return {"unreadable": line.rstrip("\n")}


def keep_only(path: str, notices: list[dict]) -> None:
    """Rewrite an outbox file with the notices still to send (atomically); none: remove it."""
    if not notices:
        if os.path.exists(path):
            os.unlink(path)
        return
    replace_atomically(path, "".join(_line(notice) for notice in notices), PRIVATE_FILE)


def _line(notice: dict) -> str:
    if set(notice) == {"unreadable"}:
        return notice["unreadable"] + "\n"
    return json.dumps(notice, ensure_ascii=False, sort_keys=True) + "\n"


def write_bootstrap(directory: str, address: str, text: str) -> str:
    """The operator mailbox's credentials, 0600 in a 0700 directory; returns the path."""
    _private_dir(directory)
    path = os.path.join(directory, f"{safe_name(address, '._@-')}.credentials")
    replace_atomically(path, text, PRIVATE_FILE)
    return path


def _private_dir(directory: str) -> None:
    """The directory, created (or tightened to) PRIVATE_DIR: its files carry passwords."""
    os.makedirs(directory, mode=PRIVATE_DIR, exist_ok=True)
    os.chmod(directory, PRIVATE_DIR)
