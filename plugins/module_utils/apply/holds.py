"""Emergency holds (Điều 10.1.g): what Sở TTTT locked or revoked at once, outside a review.

A hold lives on the mail host in ``<state_dir>/data/holds.json``. While it is active, apply
plans the held address's changes but never applies them, so an emergency action is never
undone. It ends when the repository declares the held status AND the merge request being
applied was authored or approved by a Sở TTTT reviewer (``Authority``: a clerk declaring
``revoked`` must not end Sở TTTT's revoke, or their next merge request reinstates), or when
an operator releases it. Every event (set, release, clear) stays in the file's log.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ..common import clock, operation_messages
from ..common.files import replace_atomically
from ..common.glossary import glossed, label
from ..common.lifecycle import STATUS_AFTER
from ..declared.model import Mailbox
from ..plan.accounts import Account
from ..plan.planner import Change
from .messages import render

HOLDS_FILE = "holds.json"
HELD_STATUS = {action: STATUS_AFTER[action] for action in ("lock", "revoke")}
ACTIONS = (*HELD_STATUS, "release")
# What the operator reads for each ``action=`` value of the emergency playbook.
ACTION_WORDS = {"lock": label("emergency_lock"), "revoke": label("emergency_revoke"),
                "release": "gỡ bỏ " + label("emergency")}
# Root only: apply and the emergency playbook (root on the mail host) read it.
FILE_MODE = 0o600


class HoldError(ValueError):
    """An emergency request that cannot be carried out; a stable code, then what to do."""


@dataclass(frozen=True)
class Hold:
    """One emergency action: who did what to which address, when and why."""

    address: str
    action: str
    reason: str
    by: str
    at: str
    lock_reason: str | None = None
    status_before: str = "active"

    @property
    def status(self) -> str:
        """The account status the hold keeps."""
        return HELD_STATUS[self.action]

    def to_dict(self) -> dict:
        return asdict(self) | {"status": self.status}

    @classmethod
    def from_dict(cls, data: dict) -> Hold:
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in names})


def holds_path(state_dir: str) -> str:
    return os.path.join(state_dir, "data", HOLDS_FILE)


def read_file(state_dir: str) -> dict:
    """The whole file: ``{"version", "holds": {address: hold}, "log": [events]}``."""
    path = holds_path(state_dir)
    if not os.path.exists(path):
        return {"version": 1, "holds": {}, "log": []}
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        why = operation_messages.reason(error)
        raise HoldError(render("HYH010", path=path, error=why)) from error
    return {"version": 1, "holds": data.get("holds", {}), "log": data.get("log", [])}


def load_holds(state_dir: str) -> dict[str, Hold]:
    """Active holds by address (local part)."""
    return {address: Hold.from_dict(item)
            for address, item in sorted(read_file(state_dir)["holds"].items())}


def save(state_dir: str, holds: dict[str, Hold], events: list[dict]) -> None:
    """Write the holds and append ``events`` to the log, atomically."""
    data = read_file(state_dir)
    data["holds"] = {address: holds[address].to_dict() for address in sorted(holds)}
    data["log"] = data["log"] + events
    path = holds_path(state_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    replace_atomically(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
                       + "\n", FILE_MODE)


def event(kind: str, hold: Hold, by: str, reason: str = "", now: str | None = None) -> dict:
    """One log line: ``set``, ``release`` or ``clear`` of a hold."""
    return {"event": kind, "address": hold.address, "action": hold.action, "by": by,
            "reason": reason, "at": now or now_iso()}


def user(name: str) -> str:
    """A GitLab user name as compared: without a leading '@', lower case."""
    return name.strip().lstrip("@").lower()


@dataclass(frozen=True)
class Authority:
    """Who stands behind this apply: the merge request's author and approvers, and Sở
    TTTT's reviewers (owners of mailboxes/sotttt.yml in the declared tree applied)."""

    author: str | None = None
    approvers: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()

    @classmethod
    def of(cls, author: str | None, approvers=(), reviewers=()) -> Authority:
        names = [user(name) for name in approvers or () if name and name.strip()]
        return cls(user(author) if author and author.strip() else None, tuple(names),
                   tuple(user(name) for name in reviewers or () if name and name.strip()))

    def reviewer(self) -> str | None:
        """The Sở TTTT reviewer who authored or approved the change (author first)."""
        if self.author is None:
            return None
        return next((name for name in (self.author, *self.approvers)
                     if name in self.reviewers), None)

    def refusal(self, hold: Hold) -> str:
        """Why a hold the repository agrees with still stays (HYH011, HYH012)."""
        if self.author is None:
            return render("HYH012", address=hold.address, status=held_status(hold))
        return render("HYH011", address=hold.address, status=held_status(hold),
                      author=self.author, approvers=", ".join(self.approvers) or "không có",
                      reviewers=", ".join(self.reviewers) or "không có")


def held_status(hold: Hold) -> str:
    """The held status as the files write it, glossed: ``locked (đang tạm khóa)``."""
    return glossed("status", hold.status)


def action_choices() -> str:
    """The ``action=`` values, each with what it does: ``lock (tạm khóa khẩn cấp), …``."""
    return ", ".join(f"{action} ({ACTION_WORDS[action]})" for action in ACTIONS)


def settled(holds: dict[str, Hold], desired: list[Mailbox]) -> list[Hold]:
    """Holds whose address the repository now declares with the held status."""
    declared = {}
    for mailbox in desired:
        for address in (mailbox.address, *mailbox.previous):
            declared.setdefault(address, mailbox.status)
    return [hold for address, hold in holds.items() if declared.get(address) == hold.status]


def active(holds: dict[str, Hold], cleared: list[Hold]) -> dict[str, Hold]:
    gone = {hold.address for hold in cleared}
    return {address: hold for address, hold in holds.items() if address not in gone}


def describe(holds: dict[str, Hold], cleared: list[Hold],
             kept: dict[str, str] | None = None) -> list[dict]:
    """The holds as a plan or report shows them; ``clears`` tells which apply will end,
    ``why`` (a coded message) why one the repository agrees with stays."""
    gone, kept = {hold.address for hold in cleared}, kept or {}
    return [hold.to_dict() | {"clears": address in gone}
            | ({"why": kept[address]} if address in kept else {})
            for address, hold in holds.items()]


def emergency_hold(account: Account, action: str, reason: str, by: str,
                   lock_reason: str | None) -> Hold:
    """The hold an emergency lock or revoke of ``account`` records."""
    if action not in HELD_STATUS:
        raise HoldError(render("HYH001", action=action, actions=action_choices()))
    if not reason.strip():
        raise HoldError(render("HYH002"))
    if account.status == "revoked" and action == "lock":
        raise HoldError(render("HYH003", address=account.address))
    return Hold(address=account.address, action=action, reason=reason.strip(), by=by,
                at=now_iso(), lock_reason=lock_reason if action == "lock" else None,
                status_before=account.status)


def emergency_change(account: Account, hold: Hold) -> Change | None:
    """The lock or revoke that puts ``account`` in the held status; None if it already is."""
    if account.status == hold.status:
        return None
    after = account.evolve(status=hold.status, lock_reason=hold.lock_reason)
    return Change(action=hold.action, address=account.address, agency=account.agency,
                  name=account.name, request=account.request, before=account.view(),
                  after=after.view())


def now_iso() -> str:
    return clock.now().isoformat()


@dataclass
class HoldSet:
    """The holds one reconcile run works with: which stay, which the declaration ends, and
    why those the declaration agrees with stay (``kept``: address -> coded message)."""

    holds: dict[str, Hold]
    cleared: list[Hold]
    kept: dict[str, str] = field(default_factory=dict)
    by: str | None = None

    @classmethod
    def load(cls, state_dir: str, desired: list[Mailbox],
             authority: Authority | None = None, recorded: dict | None = None) -> HoldSet:
        """``recorded``: the holds a snapshot carries, instead of the state directory's."""
        holds = (load_holds(state_dir) if recorded is None else
                 {address: Hold.from_dict(item) for address, item in sorted(recorded.items())})
        return cls.judge(holds, settled(holds, desired), authority or Authority())

    @classmethod
    def judge(cls, holds: dict[str, Hold], ready: list[Hold], authority: Authority) -> HoldSet:
        """End the ``ready`` holds only with a Sở TTTT reviewer behind the change."""
        by = authority.reviewer()
        if by is not None:
            return cls(holds, ready, {}, by)
        return cls(holds, [], {hold.address: authority.refusal(hold) for hold in ready})

    def frozen(self, extra=()) -> set[str]:
        """Addresses whose changes are planned but not applied."""
        return set(extra) | set(active(self.holds, self.cleared))

    def describe(self) -> list[dict]:
        return describe(self.holds, self.cleared, self.kept)

    def check_unchanged(self, state_dir: str) -> None:
        """Refuse to apply when an emergency action landed while this run was planning."""
        if load_holds(state_dir) != self.holds:
            raise HoldError(operation_messages.render("HYR005"))

    def clear(self, state_dir: str) -> list[str]:
        """End the holds the repository now agrees with; returns their addresses."""
        if not self.cleared:
            return []
        events = [event("clear", hold, self.by or "",
                        f"kho đã khai báo trạng thái {held_status(hold)}")
                  for hold in self.cleared]
        save(state_dir, active(self.holds, self.cleared), events)
        return [hold.address for hold in self.cleared]
