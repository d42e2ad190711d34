"""Plan: declared mailboxes vs. the server's accounts -> an ordered list of typed changes.

Pure and deterministic; knows nothing of Postfix or Dovecot. The statuses, their
transitions and the actions are common/lifecycle.py's; how each step changes the account
(Điều 6, 7, 9 and 12) lives here, one small function each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from ..common.lifecycle import (
    ACTIONS,
    LOCKED,
    NEW_PASSWORD,
    REVOKED,
    STATUS_AFTER,
    transition,
)
from ..declared.model import Mailbox, Request
from .accounts import Account, account_from_mailbox


@dataclass(frozen=True)
class Change:
    """One step of the plan; ``before``/``after`` are account views, never secrets.

    The backend needs only ``after`` (the new record), ``old_address`` for a rename and
    ``needs_password``; ``held`` changes are shown but not applied. ``adopted`` marks a
    rename that takes another agency's account, or one no agency holds (an adoption).
    """

    action: str
    address: str
    agency: str
    name: str
    request: Request | None
    before: dict | None
    after: dict | None
    old_address: str | None = None
    held: bool = False
    adopted: bool = False

    @property
    def needs_password(self) -> bool:
        return self.action in NEW_PASSWORD

    @property
    def applies(self) -> bool:
        """Whether the backend acts on it (drift and held changes are only reported)."""
        return self.action != "drift" and not self.held

    def to_dict(self) -> dict:
        return {
            "action": self.action, "address": self.address, "agency": self.agency,
            "name": self.name, "old_address": self.old_address, "held": self.held,
            "adopted": self.adopted, "request": _request_dict(self.request),
            "before": self.before, "after": self.after,
        }


def plan_changes(desired: list[Mailbox], actual: dict[str, Account], holds=()) -> list[Change]:
    """Every change that makes the server match ``desired``, plus drift, in stable order.

    ``holds`` are addresses frozen by the operators: their changes are planned but held.
    """
    declared, held = {mailbox.address for mailbox in desired}, frozenset(holds)
    changes, matched, owners = [], set(), _alias_owners(actual)
    for mailbox in sorted(desired, key=lambda m: (m.agency, m.address)):
        current = _match(mailbox, actual, declared, matched)
        matched.add(current.address if current else mailbox.address)
        steps = _mailbox_changes(mailbox, current, actual, owners)
        changes += _held_together(steps, held)
    return changes + _drift(actual, matched | declared)


def summarize(changes: list[Change]) -> dict:
    """Counts per action (every code present, zeros included) and of held changes."""
    counts = Counter(change.action for change in changes)
    summary = {action: counts.get(action, 0) for action in ACTIONS}
    summary["held"] = sum(change.held for change in changes)
    summary["total"] = len(changes)
    return summary


def _match(mailbox: Mailbox, actual: dict, declared: set, matched: set) -> Account | None:
    """The account a mailbox stands for: its own, or a free previous address's (rename).

    A previous address is free when no mailbox declares it and no mailbox matched it yet
    (two sets looked up, never joined: a union per mailbox made planning quadratic). It
    may be another agency's account, or one no agency holds: the rename is then an
    adoption (``is_adoption``), which the plan shows loudly and the policy judges.
    """
    if mailbox.address in actual:
        return actual[mailbox.address]
    for old in mailbox.previous:
        if old in actual and old not in declared and old not in matched:
            return actual[old]
    return None


def is_adoption(mailbox: Mailbox, account: Account) -> bool:
    """A rename that takes an account of another agency, or of none (drift): its stored
    and future mail would go to this mailbox's holder and delegates."""
    return account.address != mailbox.address and account.agency != mailbox.agency


def _mailbox_changes(mailbox: Mailbox, current: Account | None, actual: dict,
                     owners: dict) -> list[Change]:
    """The steps for one mailbox; each step's ``after`` is the next step's ``before``."""
    steps, aliases = [], _aliases(mailbox, actual, current, owners)
    if current is None:
        if mailbox.status == REVOKED:
            return []  # nothing was ever issued: nothing to revoke
        current = _step(steps, mailbox, "create", None, _created(mailbox, aliases))
    elif current.address != mailbox.address:
        current = _step(steps, mailbox, "rename", current, _renamed(mailbox, current, aliases))
    for action, after in _lifecycle(mailbox, current, aliases):
        current = _step(steps, mailbox, action, current, after)
    return steps


def _lifecycle(mailbox: Mailbox, current: Account, aliases: tuple):
    """Status, move, delegation, reset and metadata steps, in reviewing order."""
    for action in transition(current.status, mailbox.status):
        current = _with_status(current, mailbox, action, STATUS_AFTER[action])
        yield action, current
    rules = (("move", _moved), ("delegate", _delegated), ("reset_password", _reset),
             ("update", lambda m, c: _updated(m, c, aliases)))
    for action, rule in rules:
        after = rule(mailbox, current)
        if after is not None:
            current = after
            yield action, current


def _with_status(current: Account, mailbox: Mailbox, action: str, status: str) -> Account:
    """The account after a status transition; a new password must be changed at first use."""
    reason = mailbox.lock_reason if status == LOCKED else None
    after = current.evolve(status=status, lock_reason=reason, request=mailbox.request)
    if action in NEW_PASSWORD:
        after = after.evolve(must_change=True, password_reset=mailbox.password_reset)
    return after


def _moved(mailbox: Mailbox, current: Account) -> Account | None:
    """Điều 6.2.b: a person declared in another agency; the mailbox itself is untouched.

    The receiving agency's name comes along (the notice is addressed with it)."""
    if mailbox.agency == current.agency:
        return None
    directory = dict(current.directory)
    if "agency_name" in mailbox.directory:
        directory["agency_name"] = mailbox.directory["agency_name"]
    return current.evolve(agency=mailbox.agency, directory=directory, request=mailbox.request)


def _delegated(mailbox: Mailbox, current: Account) -> Account | None:
    """Điều 9.1: the set of people who may read this mailbox with their own login."""
    delegates = tuple(sorted(set(mailbox.delegates)))
    if delegates == current.delegates:
        return None
    return current.evolve(delegates=delegates, request=mailbox.request)


def _reset(mailbox: Mailbox, current: Account) -> Account | None:
    """Điều 9.2, 12.1: a reset letter not yet acted on; revoked mailboxes need none."""
    wanted = mailbox.password_reset
    if wanted is None or wanted == current.password_reset or current.status == REVOKED:
        return None
    return current.evolve(password_reset=wanted, must_change=True)


def _updated(mailbox: Mailbox, current: Account, aliases: tuple) -> Account | None:
    """Metadata only: name, kind, directory, aliases, the reason of a lock, the quota."""
    if _same_metadata(mailbox, current, aliases):
        return None
    after = current.evolve(
        kind=mailbox.kind, name=mailbox.name, directory=dict(mailbox.directory),
        aliases=aliases, quota=mailbox.quota,
    )
    if current.status == LOCKED:
        after = after.evolve(lock_reason=mailbox.lock_reason)
    if after.view() == current.view():
        return None
    return after.evolve(request=mailbox.request)


def _same_metadata(mailbox: Mailbox, current: Account, aliases: tuple) -> bool:
    """What ``_updated`` would find by comparing views, without building them: nearly
    every mailbox of a province is unchanged at every run."""
    return (current.kind == mailbox.kind and current.name == mailbox.name
            and current.aliases == aliases and current.directory == mailbox.directory
            and current.quota == mailbox.quota
            and (current.status != LOCKED or current.lock_reason == mailbox.lock_reason))


def _created(mailbox: Mailbox, aliases: tuple) -> Account:
    return account_from_mailbox(mailbox, aliases)


def _renamed(mailbox: Mailbox, current: Account, aliases: tuple) -> Account:
    """Điều 6.2.d: the new address takes the account; the old one stays as an alias."""
    return current.evolve(
        address=mailbox.address, agency=mailbox.agency, kind=mailbox.kind,
        name=mailbox.name, directory=dict(mailbox.directory), aliases=aliases,
        request=mailbox.request, quota=mailbox.quota,
    )


def _aliases(mailbox: Mailbox, actual: dict, current: Account | None,
             owners: dict) -> tuple[str, ...]:
    """Aliases are only ever added: the account's own, a renamed source, and declared
    previous addresses that are neither accounts of their own nor another account's alias
    (Điều 5.3: never given away; another agency's old address is not taken over)."""
    names = set(current.aliases) if current else set()
    if current is not None:
        names.add(current.address)
    mine = current.address if current else None
    names |= {old for old in mailbox.previous
              if old not in actual and owners.get(old, mine) == mine}
    return tuple(sorted(names - {mailbox.address}))


def _alias_owners(actual: dict) -> dict[str, str]:
    """Each alias on the server -> the account that holds it."""
    return {alias: address for address, account in actual.items() for alias in account.aliases}


def _step(steps: list, mailbox: Mailbox, action: str, before, after: Account) -> Account:
    """Append one change and return the account as it will be after it."""
    request = mailbox.password_reset if action == "reset_password" else mailbox.request
    steps.append(Change(
        action=action, address=mailbox.address, agency=mailbox.agency, name=mailbox.name,
        request=request, before=before.view() if before else None, after=after.view(),
        old_address=before.address if action == "rename" else None,
        adopted=action == "rename" and is_adoption(mailbox, before),
    ))
    return after


def _drift(actual: dict, matched: set) -> list[Change]:
    """Accounts no file declares: reported, never touched (STYLE: never delete)."""
    return [
        Change(action="drift", address=address, agency=account.agency, name=account.name,
               request=None, before=account.view(), after=None)
        for address, account in sorted(actual.items()) if address not in matched
    ]


def _held_together(steps: list[Change], held: frozenset) -> list[Change]:
    """A mailbox's steps are held all together when any of them touches a held address
    (holding a rename's old address must also hold the lock that follows the rename)."""
    if not any({step.address, step.old_address} & held for step in steps):
        return steps
    return [replace(step, held=True) for step in steps]


def _request_dict(request: Request | None) -> dict | None:
    return request.to_dict() if request else None  # a basis keeps its issuer
