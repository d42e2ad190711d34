"""The interface every mail server backend implements, and what an apply hands it.

A backend knows its server's files and nothing of notices or the journal: the work that
must follow a commit is the apply stage's (``apply/after_commit.py``), handed to ``apply``
and ``recover`` as an ``AfterCommit``. Callers build a backend with
``backends.factory.backend_from_settings`` and use only what ``MailBackend`` declares.
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..common.operation_messages import render
from ..plan.accounts import Account
from ..plan.planner import Change

# address -> (password, hash); the password only ever goes to a credential notice.
Credentials = dict[str, tuple[str, str]]
# Seconds an apply waits for the one running before it gives up (HYR014).
LOCK_TIMEOUT = 600.0


class BackendError(Exception):
    """The server cannot take the change batch; nothing was applied.

    Messages start with a stable code (HYR0xx, common/operation_messages.py) and say in
    Vietnamese what to do; ``fields`` fill in the catalog's text.
    """

    def __init__(self, code: str, /, **fields: object):
        super().__init__(render(code, **fields))
        self.code = code


@dataclass
class Batch:
    """A batch being applied, as the work after its commit needs it: the applicable
    changes, their credentials, who approved it, the accounts once it is applied (keyed
    by local part) and the apply's moment (ISO 8601)."""

    changes: list[Change]
    credentials: Credentials
    record: dict | None
    accounts: dict[str, Account]
    now: str


class AfterCommit(ABC):
    """The work that must follow a commit (journal entries, notices), in two halves.

    The backend calls ``stage`` while the batch's generation is staged, before the switch
    that commits it, so that what must follow is committed with it; then ``finish`` once it
    is live, and again at every recovery, so a run killed after the switch is finished by
    the next one. Both run under the backend's lock.
    """

    @abstractmethod
    def stage(self, directory: str, batch: Batch) -> None:
        """Write into the staged generation ``directory`` what must follow its commit."""

    @abstractmethod
    def finish(self, directory: str | None) -> dict:
        """Do, once, what the live generation ``directory`` still holds to do, and say
        what was done (no secrets); ``None`` (no generation) does nothing. The keys are the
        same whether anything was left or not."""


class MailBackend(ABC):
    """One mail server: its accounts, its lock, its generations of served files.

    Attributes every backend has: ``domain`` (lowercase), ``state_dir`` (absolute),
    ``data_dir`` (its data files and lock), ``mail_dir`` (the domain's mail homes) and
    ``generations`` (``generations.Generations``: staging and committing a generation made
    elsewhere, as a restore does).
    """

    domain: str
    state_dir: str
    data_dir: str
    mail_dir: str
    # A snapshot's backend reads only: an apply or an emergency action against it is refused.
    read_only: bool = False

    def emergency_holds(self) -> dict[str, dict] | None:
        """The emergency holds the backend carries itself (a snapshot's), as
        ``data/holds.json`` records them; None: they are in that file of ``state_dir``."""
        return None

    def recorded_digest(self) -> str | None:
        """The state digest recorded with the accounts (a snapshot's), to check them by."""
        return None

    @abstractmethod
    def read_state(self) -> dict[str, Account]:
        """Every account on the server, keyed by local part."""

    @abstractmethod
    def apply(self, changes: list[Change], credentials: Credentials,
              record: dict | None = None, lock_timeout: float = LOCK_TIMEOUT, *,
              after: AfterCommit) -> dict:
        """Apply every applicable change at once, all or nothing, one apply at a time
        (waiting up to ``lock_timeout`` seconds); ``after`` does the work that follows the
        commit. Return what was done (no secrets)."""

    def password_hash(self, address: str) -> str | None:
        """The live hash of the active account ``address`` (local part), None for any other
        (unknown, locked, revoked): only to verify its user's current password."""
        return None

    def change_password(self, address: str, new_hash: str, *, expected_hash: str, now: str,
                        lock_timeout: float = LOCK_TIMEOUT, after: AfterCommit) -> dict:
        """The password an account's user chose (issue 14): under the lock, while the
        live hash of the active ``address`` is still ``expected_hash`` (the one the caller
        verified the current password against), a new generation with ``new_hash``.
        Returns ``changed`` (False, ``stale``: the hash moved or the account is not active;
        nothing written) and what was done (no secrets). See ``set_password_hashes``."""
        done = self.set_password_hashes({address: (expected_hash, new_hash, now)}, now=now,
                                        lock_timeout=lock_timeout, after=after)
        return {**done, "stale": bool(done["stale"])}

    def set_password_hashes(self, updates: dict[str, tuple[str, str, str]], *, now: str,
                            lock_timeout: float = LOCK_TIMEOUT, after: AfterCommit) -> dict:
        """Hashes chosen by the accounts' users, ``{address: (expected live hash, new hash,
        when it was chosen)}``, as one new generation made at ``now`` under the lock (a
        user's change, or a restore keeping the passwords changed after its backup). Only
        accounts active with
        the expected live hash are set (the others are ``stale``; none: nothing written).
        The record of the issued password is kept, so those accounts no longer must change
        it; no notice, nothing else changed, no session ended; Dovecot's cache is flushed
        for those logins and the second after the switch waited for, so an old password is
        refused on return. ``after.stage`` gets an empty batch (a journal entry is the
        caller's). Returns ``changed``, ``set``, ``stale`` and what was done (no secrets)."""
        raise BackendError("HYR017", what="đổi mật khẩu",
                           path=self.describe().get("snapshot_file") or self.describe()["backend"])

    @abstractmethod
    def locked(self, timeout: float = LOCK_TIMEOUT) -> contextlib.AbstractContextManager:
        """The one-apply-at-a-time lock (re-entrant): wait up to ``timeout`` seconds for the
        apply, backup or restore running, then refuse (HYR014)."""

    @abstractmethod
    def recover(self, after: AfterCommit) -> dict:
        """Under the lock: set up the layout if needed, drop what an interrupted apply left
        and have ``after`` finish its committed work."""

    @abstractmethod
    def ensure_layout(self, modes: dict[str, dict] | None = None) -> bool:
        """Create the first generation (moving files of earlier layouts into it) or add the
        files it lacks, with the role's ``modes``; True when a generation was created."""

    @abstractmethod
    def live_dir(self) -> str | None:
        """The directory of the generation the servers read now, None before the first."""

    @abstractmethod
    def home(self, local: str) -> str:
        """Where the account's mail lives (its Maildir is ``home/Maildir``)."""

    @abstractmethod
    def modes_to_fix(self, modes: dict[str, dict]) -> list[str]:
        """Live files whose owner, group or mode differ from the role's ``modes``."""

    @abstractmethod
    def fix_modes(self, modes: dict[str, dict]) -> list[str]:
        """Give the live files the role's owners and modes; returns those corrected."""

    @abstractmethod
    def hand_edits(self) -> list[dict]:
        """Served files whose content differs from what the backend wrote (HYD003)."""

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
