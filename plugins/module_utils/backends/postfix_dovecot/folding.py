"""Folding a batch of changes into the server picture: each change's ``after`` becomes the
account record; the batch is refused whole (HYR010, HYR012, HYR015) before anything is
written."""

from __future__ import annotations

import re

from ...declared.quota import megabytes
from ...plan.accounts import Account
from ...plan.planner import Change
from ..base import BackendError, Credentials
from .homes import pin_homes
from .layout import Layout
from .state import PASSWD_TAIL, ServerState, hash_digest

# What may stand for an address in a server file: no separator, space or control character.
SAFE_LOCAL = re.compile(r"[a-z0-9][a-z0-9._+-]{0,63}")  # fullmatch: no trailing newline


def fold_batch(layout: Layout, state: ServerState, todo: list[Change],
               credentials: Credentials, record: dict | None, now: str) -> ServerState:
    """The checked batch folded into ``state`` (which is left as it is), homes pinned and
    the batch recorded in the history."""
    check(todo, state, credentials)
    new_state = fold(state, todo, credentials, now)
    pin_homes(layout, new_state, todo)
    new_state.history.append(history_entry(todo, record, now))
    return new_state


def check(todo: list[Change], state: ServerState, credentials: Credentials) -> None:
    """Refuse the whole batch before anything is written."""
    missing = [c.address for c in todo if c.needs_password and c.address not in credentials]
    if missing:
        raise BackendError("HYR010", missing=", ".join(missing))
    for change in (c for c in todo if c.action == "rename"):
        if change.old_address not in state.accounts:
            raise BackendError("HYR012", old=change.old_address)
    check_renderable(todo)


def check_renderable(todo: list[Change]) -> None:
    """Defence in depth under validation: nothing that could break a line of the
    passwd-file, a map or the ACL file (separators, whitespace, control characters)
    reaches them (HYR015)."""
    for change in todo:
        after = change.after or {}
        values = [change.address, change.old_address, *after.get("aliases", ()),
                  *after.get("delegates", ())]
        bad = [value for value in values
               if value is not None and not SAFE_LOCAL.fullmatch(value)]
        if bad:
            raise BackendError("HYR015", value=repr(bad[0]))
        quota = after.get("quota")
        if quota is not None and megabytes(quota) is None:  # the validator's HY053
            raise BackendError("HYR015", value=repr(quota))


def fold(state: ServerState, todo: list[Change], credentials: Credentials,
         now: str) -> ServerState:
    """The server picture after the batch: each change's ``after`` becomes the record."""
    new = ServerState(dict(state.accounts), dict(state.hashes), dict(state.tails),
                      dict(state.issued), list(state.kept_aliases), list(state.history))
    for change in todo:
        old = new.accounts.get(change.old_address or change.address)
        if change.action == "rename":
            _rename(new, change.old_address, change.address)
        new.accounts[change.address] = _stamped(Account.from_dict(change.after), old, now)
        if change.needs_password:
            _set_hash(new, change.address, credentials[change.address][1], now)
    return new


def _rename(state: ServerState, old: str, new: str) -> None:
    state.accounts.pop(old, None)
    state.hashes[new] = state.hashes.pop(old)
    state.tails[new] = state.tails.pop(old, PASSWD_TAIL)
    if old in state.issued:
        state.issued[new] = state.issued.pop(old)


def _set_hash(state: ServerState, address: str, hashed: str, now: str) -> None:
    state.hashes[address] = hashed
    state.issued[address] = hash_digest(hashed)
    state.accounts[address] = state.accounts[address].evolve(password_changed=now)


def _stamped(account: Account, old: Account | None, now: str) -> Account:
    """Carry the creation and password dates over; stamp the change."""
    if old is None:
        return account.evolve(created=now, changed=now)
    return account.evolve(created=old.created, changed=now,
                          password_changed=old.password_changed)


def history_entry(todo: list[Change], record: dict | None, now: str) -> dict:
    """Who approved which commit, and what it changed (Consequence 1: traceability)."""
    entry = {"at": now, **{k: v for k, v in (record or {}).items() if v}}
    entry["changes"] = [{"action": c.action, "address": c.address,
                         "old_address": c.old_address,
                         "request": c.to_dict()["request"]} for c in todo]
    return entry
