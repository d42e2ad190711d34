"""The Postfix + Dovecot backend: the files under ``state_dir/data`` of docs/architecture.md.

The class only strings the jobs together: reading (read.py), folding a batch
(folding.py), rendering (render.py), staging (stage.py) and switching (switch.py)
generations, migrating earlier layouts (migrate.py), owners and modes (modes.py). What must
follow a commit is the caller's ``AfterCommit`` (apply/after_commit.py).
"""

from __future__ import annotations

import contextlib
import os

from ...common import clock
from ...plan.accounts import Account
from ...plan.planner import Change
from .. import digests
from ..base import LOCK_TIMEOUT, AfterCommit, BackendError, Batch, Credentials, MailBackend
from ..generations import LockTimeout
from . import migrate, read, sessions, switch
from . import modes as file_modes
from .folding import fold_batch
from .homes import home_in
from .layout import FILES, Layout
from .stage import stage_batch
from .state import ServerState


class PostfixDovecotBackend(MailBackend):
    """Dovecot passwd-files, Postfix hash maps and a global ACL file, all under state_dir."""

    def __init__(self, state_dir: str, domain: str, postmap: str = "postmap",
                 postfix_config_dir: str | None = None, map_type: str = "hash",
                 dovecot_config: str | None = None):
        self.layout = Layout(state_dir, domain, postmap, postfix_config_dir, map_type,
                             dovecot_config)
        self.state_dir, self.domain = self.layout.state_dir, self.layout.domain
        self.data_dir, self.mail_dir = self.layout.data_dir, self.layout.mail_dir
        self.generations = self.layout.generations
        self._lock_depth = 0
        self._loaded: tuple[tuple, ServerState] | None = None

    def describe(self) -> dict:
        return {"backend": "postfix_dovecot", "state_dir": self.state_dir, "domain": self.domain}

    # --- reading -------------------------------------------------------------------

    def read_state(self) -> dict[str, Account]:
        return self.load().accounts

    def load(self) -> ServerState:
        """The whole server picture, files first (they are what the servers obey).

        Read again only when a file changed: a reconcile loads to plan, then under the
        apply lock, and at 100,000 accounts a load costs seconds. Nobody mutates the state
        it returns (``fold`` copies), so the same one can be handed out twice.
        """
        signature = read.signature(self.layout)
        if self._loaded is None or self._loaded[0] != signature:
            self._loaded = (signature, read.load(self.layout))
        return self._loaded[1]

    def live_dir(self) -> str | None:
        """The directory of the generation the servers read now."""
        return self.generations.live_dir()

    def home(self, local: str) -> str:
        """Where the account's mail lives (its Maildir is ``home/Maildir``)."""
        return home_in(self.layout, self.load(), local)

    def hand_edits(self) -> list[dict]:
        return digests.hand_edits(self.live_dir() or self.data_dir, FILES)

    # --- applying ------------------------------------------------------------------

    def apply(self, changes: list[Change], credentials: Credentials,
              record: dict | None = None, lock_timeout: float = LOCK_TIMEOUT, *,
              after: AfterCommit) -> dict:
        """Apply every applicable change as one new generation; nothing is served on failure.

        Under the lock: finish an interrupted apply first, fold the batch into the server
        picture, stage every file of the next generation with the work that must follow
        (``after.stage``) beside it, switch the ``live`` symlink (the commit point), then
        have ``after`` do that work, then end the sessions of the logins the batch takes
        rights from (sessions.py). See generations.py.
        """
        todo = [change for change in changes if change.applies]
        if not todo:
            return {"changed": False, "files": [], "generation": None,
                    **after.finish(None), "sessions": sessions.end(self.layout, None)}
        with self.locked(lock_timeout):
            recovered = self.recover(after)
            state, now = self.load(), clock.now().isoformat()
            new_state = fold_batch(self.layout, state, todo, credentials, record, now)
            staged = stage_batch(self.layout, state, new_state, now)
            batch = Batch(todo, credentials, record, new_state.accounts, now)
            # what a failed kick left (recover) follows into the new generation
            logins = sorted(set(sessions.ending(self.layout, state, new_state))
                            | set(sessions.pending(self.generations.live_dir())))

            def before_switch(directory: str) -> None:
                sessions.stage(directory, logins)
                after.stage(directory, batch)

            live = switch.commit(self.layout, staged, now, before_switch)
            done = self._after_commit(after, live)
        return {"changed": True, "files": staged.changed, "generation": os.path.basename(live),
                **done, "recovered": recovered}

    def password_hash(self, address: str) -> str | None:
        state = self.load()
        account = state.accounts.get(address)
        return state.hashes.get(address) if account and account.status == "active" else None

    def set_password_hashes(self, updates: dict[str, tuple[str, str, str]], *, now: str,
                            lock_timeout: float = LOCK_TIMEOUT, after: AfterCommit) -> dict:
        """Hashes chosen by their users as one new generation (MailBackend's docstring):
        only users.passwd, accounts.json and the must-change file differ; the logins a
        failed kick left still end, these ones' sessions are left alone."""
        with self.locked(lock_timeout):
            recovered = self.recover(after)
            state = self.load()
            applied = {address: (new_hash, at)
                       for address, (expected, new_hash, at) in sorted(updates.items())
                       if (account := state.accounts.get(address)) is not None
                       and account.status == "active" and state.hashes.get(address) == expected}
            stale = sorted(set(updates) - set(applied))
            if not applied:
                return {"changed": False, "set": [], "stale": stale, "generation": None,
                        "recovered": recovered}
            new_state = ServerState(dict(state.accounts), dict(state.hashes), dict(state.tails),
                                    dict(state.issued), list(state.kept_aliases),
                                    list(state.history))
            for address, (new_hash, at) in applied.items():
                new_state.hashes[address] = new_hash
                new_state.accounts[address] = state.accounts[address].evolve(
                    must_change=False, password_changed=at)
            staged = stage_batch(self.layout, state, new_state, now)
            logins = sessions.pending(self.generations.live_dir())
            batch = Batch([], {}, None, new_state.accounts, now)

            def before_switch(directory: str) -> None:
                sessions.stage(directory, logins)
                after.stage(directory, batch)

            live = switch.commit(self.layout, staged, now, before_switch)
            done = self._after_commit(after, live)
            flushed = sessions.flush(self.layout, [self.layout.full(a) for a in applied])
        return {"changed": True, "set": sorted(applied), "stale": stale,
                "files": staged.changed, "generation": os.path.basename(live), **done,
                "flushed": flushed, "recovered": recovered}

    @contextlib.contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT):
        """One apply (or backup, or restore) at a time on a server: wait up to ``timeout``
        seconds for the one running, then refuse (HYR014). Re-entrant in one backend."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        try:
            with self.generations.locked(timeout):
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0
        except LockTimeout as error:
            raise BackendError("HYR014", waited=f"{error.waited:.0f}") from error

    def recover(self, after: AfterCommit) -> dict:
        """Under the lock: set up the first generation if needed, drop what an interrupted
        apply left (staging, superseded generations) and have ``after`` finish its
        committed work."""
        created = self.ensure_layout()
        removed = self.generations.prune()
        done = self._after_commit(after, self.generations.live_dir())
        return {"layout_created": created, "removed": removed, **done}

    def _after_commit(self, after: AfterCommit, live: str | None) -> dict:
        """Drop superseded generations (Postfix reopens its maps), then have ``after`` do
        the committed generation's pending work, then end the sessions it lists (a failure
        there is reported, ``sessions.error``, and retried by the next apply)."""
        self.generations.prune()
        if live is not None:  # the notices may go to a mailbox this batch created
            sessions.second_after_switch(self.layout)
        return {**after.finish(live), "sessions": sessions.end(self.layout, live)}

    # --- layout, owners and modes --------------------------------------------------

    def ensure_layout(self, modes: dict[str, dict] | None = None) -> bool:
        return migrate.ensure_layout(self.layout, modes)

    def modes_to_fix(self, modes: dict[str, dict]) -> list[str]:
        return file_modes.modes_to_fix(self.layout, modes)

    def fix_modes(self, modes: dict[str, dict]) -> list[str]:
        return file_modes.fix_modes(self.layout, modes)
