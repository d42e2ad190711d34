"""The work that follows an apply's commit: its journal entries, its notices (the outbox)
and the operator mailbox's bootstrap credentials (docs/operations.md, step 6).

The backend hands ``JournalAndNotices`` the generation it stages, before the switch: the
work is written there as ``pending.json`` (0600: notices carry initial passwords), one JSON
line per journal entry, notice or bootstrap file, so it is committed with the accounts it
speaks of. Once that generation is live the work is done a step at a time, each step
leaving a mark so that none is done twice, and ``pending.json`` is deleted. Killed after the
switch, an apply leaves ``pending.json`` in the live generation: the next apply (or a
restore, or ``mailbox_store``) finishes it before anything else, through ``recover``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

from ..backends.base import LOCK_TIMEOUT, AfterCommit, Batch, Credentials, MailBackend
from ..common.files import replace_atomically
from ..notices import notices, outbox
from ..plan.planner import Change
from . import journal

PENDING = "pending.json"
DONE_STEPS = ("journal", "outbox", "bootstrap")


def apply_changes(backend: MailBackend, changes: list[Change], credentials: Credentials,
                  record: dict | None = None, lock_timeout: float = LOCK_TIMEOUT,
                  operator: str = notices.DEFAULT_OPERATOR) -> dict:
    """Apply the batch through ``backend``, its journal and notices following the commit;
    ``operator``: Sở TTTT's mailbox (notices come from it; it receives the passwords of
    agency and division mailboxes)."""
    after = JournalAndNotices(backend.state_dir, backend.domain, operator)
    return backend.apply(changes, credentials, record, lock_timeout, after=after)


def recover(backend: MailBackend) -> dict:
    """Under the lock: what an interrupted apply left is dropped (staging) or finished
    (its journal and notices); the layout is set up if needed."""
    return backend.recover(JournalAndNotices(backend.state_dir, backend.domain))


def sessions_warnings(recovered: dict | None, applied: dict | None) -> list[str]:
    """HYR019 when the sessions a batch must end could not be (backends' ``sessions``):
    the apply's own attempt when it applied (it retries what the recovery left), else
    the recovery's. The batch is applied either way: a warning, not a failure."""
    attempt = (applied or recovered or {}).get("sessions") or {}
    return [attempt["error"]] if attempt.get("error") else []


class JournalAndNotices(AfterCommit):
    """An apply's journal entries, notices and bootstrap files, through ``pending.json``."""

    def __init__(self, state_dir: str, domain: str = "",
                 operator: str = notices.DEFAULT_OPERATOR):
        self.state_dir = state_dir
        self.domain = domain
        self.operator = operator.lower()

    def stage(self, directory: str, batch: Batch) -> None:
        """pending.json in the staged generation, written a piece at a time (never one
        100 MB text) and synced."""
        replace_atomically(os.path.join(directory, PENDING), self._pending_lines(batch), 0o600)

    def _pending_lines(self, batch: Batch) -> Iterator[str]:
        """What must follow the switch, one JSON line each: journal entries, notices by
        recipient, the operator's bootstrap credentials."""
        meta = {**(batch.record or {}), "domain": self.domain, "operator": self.operator,
                "now": batch.now}
        passwords = {address: pair[0] for address, pair in batch.credentials.items()}
        final = {address: account.status for address, account in batch.accounts.items()}
        encode = json.JSONEncoder(ensure_ascii=False).encode
        for entry in journal.entries_for(batch.changes, batch.record, batch.now):
            yield encode(["journal", entry]) + "\n"
        outgoing = notices.build(batch.changes, passwords, final, meta)
        for recipient, notice in outgoing.notices.items():
            yield encode(["notice", recipient, notice]) + "\n"
        for item in outgoing.bootstrap:
            yield encode(["bootstrap", item["address"],
                          notices.bootstrap_text(item, batch.now)]) + "\n"

    def finish(self, directory: str | None) -> dict:
        """Do the committed generation's pending work once: each step leaves a mark, so a
        rerun after a crash neither loses a notice nor writes one twice."""
        path = os.path.join(directory or "", PENDING)
        if directory is None or not os.path.exists(path):
            return {"notices": {}, "bootstrap": []}
        # read a kind at a time, a line at a time: a first apply's pending work is 100,000
        # journal entries and notices, never all in memory
        _once(directory, "journal", lambda: journal.append(
            journal.journal_path(self.state_dir),
            (fields[0] for fields in _pending(path, "journal"))), None)
        sent = _once(directory, "outbox", lambda: outbox.append_notices(
            outbox.outbox_dir(self.state_dir),
            ((recipient, notice) for recipient, notice in _pending(path, "notice"))), {})
        paths = _once(directory, "bootstrap", lambda: [
            outbox.write_bootstrap(outbox.bootstrap_dir(self.state_dir), address, text)
            for address, text in _pending(path, "bootstrap")], [])
        os.unlink(path)
        for step in DONE_STEPS:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, f".done-{step}"))
        return {"notices": sent, "bootstrap": paths}


def _pending(path: str, kind: str) -> Iterator[list]:
    """The fields of pending.json's lines of ``kind`` (journal, notice, bootstrap), one
    line at a time."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(f'["{kind}"'):
                line_kind, *fields = json.loads(line)
                if line_kind == kind:
                    yield fields


def _once(directory: str, step: str, action, default):
    """Run ``action`` unless a mark says it ran; mark it done afterwards."""
    mark = os.path.join(directory, f".done-{step}")
    if os.path.exists(mark):
        return default
    result = action()
    with open(mark, "w", encoding="utf-8"):
        pass
    return result
