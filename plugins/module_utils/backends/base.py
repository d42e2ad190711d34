"""The interface every mail server backend implements."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod

from ..plan.accounts import Account
from ..plan.planner import Change

# address -> (password, hash); the password only ever goes to a credential notice.
Credentials = dict[str, tuple[str, str]]


class BackendError(Exception):
    """The server cannot take the change batch; nothing was applied.

    Messages start with a stable code (HYR0xx) and say in Vietnamese what to do.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"{code} {message}")
        self.code = code


class MailBackend(ABC):
    """Reads the live accounts and applies one batch of planned changes."""

    @abstractmethod
    def read_state(self) -> dict[str, Account]:
        """Every account on the server, keyed by local part."""

    @abstractmethod
    def apply(self, changes: list[Change], credentials: Credentials,
              record: dict | None = None, lock_timeout: float = 600.0) -> dict:
        """Apply every applicable change at once, all or nothing, one apply at a time
        (waiting up to ``lock_timeout`` seconds); return what was done (no secrets)."""

    def describe(self) -> dict:
        """Where and what the backend is, for the module's result."""
        return {"backend": type(self).__name__}

    def diff(self, changes: list[Change]) -> list[dict]:
        """Ansible diff entries, one per changed mailbox (before/after views)."""
        return [_diff_entry(change) for change in changes if change.applies]


def _diff_entry(change: Change) -> dict:
    data = change.to_dict()
    return {
        "before_header": f"{change.action}: {change.old_address or change.address}",
        "after_header": f"{change.action}: {change.address}",
        "before": _text(data["before"]), "after": _text(data["after"]),
    }


def _text(view: dict | None) -> str:
    """Diff sides as stable text, so Ansible shows a line diff."""
    if view is None:
        return ""
    return json.dumps(view, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
