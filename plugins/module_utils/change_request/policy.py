"""Change-request policy: may this author's change (base → head) go ahead, and if not, why.

Pure: the caller hands over the files of both commits as ``{path: bytes}``
(``mailboxes/<id>.yml``, ``approvals/<name>.yml``). Both sides are read with the validator;
the change is compared per address (``compare``, in the words of common/lifecycle.py) and
per file, and each rule of Điều 6, 7 and 10 is one function below. Sở TTTT's reviewers are
the owners of ``mailboxes/sotttt.yml`` at the base, so a change can never appoint the
reviewer who judges it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from ..common.lifecycle import ACTIVE, DELISTING, LOCKED, REVOKED, SAY, STATUSES, transition
from ..declared import naming
from ..declared.desired import build_mailboxes
from ..declared.model import Mailbox
from ..declared.schema_errors import schema_problems
from ..declared.validate import AgencyFile, check_tree, read_agency_file
from ..declared.validation_run import schema_validator
from ..declared.yamlsafe import load_text
from .gitfiles import TreeChange
from .policy_messages import render

MAILBOXES, APPROVALS = "mailboxes/", "approvals/"
REVIEWERS_FILE = "mailboxes/sotttt.yml"
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 3,
                          "schemas")
# The schema's pattern for owners: nothing else may reach a CODEOWNERS line.
USER_NAME_RE = re.compile(r"@?[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}")

# What happens to one address, in the order a reviewer reads it.
STATE_KINDS = ("rename", "move", "revoke", "reinstate", "lock", "unlock", "lock_reason",
               "delegate")
# What only Sở TTTT does (Điều 7, 10.1).
LOCK_KINDS = frozenset({"lock", "unlock", "lock_reason"})


@dataclass(frozen=True)
class Thresholds:
    """The destroy guard: more than ``max_count`` in the change, or than ``max_share`` of an
    agency's live mailboxes (a single mailbox never counts as a share), needs an approval."""

    max_count: int = 10
    max_share: float = 0.05

    def __post_init__(self) -> None:
        if self.max_count < 0 or not 0 <= self.max_share <= 1:
            raise ValueError(f"ngưỡng không hợp lệ: destroy_max_count={self.max_count} (≥ 0), "
                             f"destroy_max_share={self.max_share} (từ 0 đến 1)")


@dataclass(frozen=True)
class Facts:
    """What git and GitLab say about the change, beyond its files.

    In CI they come from the GitLab API (change_request/gitlab_review.py); locally from
    ``-e approved_by=u1,u2``. User names are compared through ``user()``.
    """

    # who approved the judged head in GitLab after its last push (latest diff version)
    approvers: frozenset[str] = frozenset()
    # who pushed commits to the source branch (the author included when they pushed)
    pushers: frozenset[str] = frozenset()
    # git diff --raw base..head; None when not looked at (pure data tests)
    tree: tuple[TreeChange, ...] | None = None
    # whether the head contains the tip of the target branch (False: rebase first)
    contains_base: bool = True


@dataclass(frozen=True, order=True)
class Violation:
    """One reason to refuse: stable code, the file and address concerned, the message."""

    code: str
    path: str
    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "path": self.path, "address": self.address,
                "message": self.message}


@dataclass
class Decision:
    """Whether the change may go ahead, every violation, and what the change does (counts)."""

    allowed: bool
    violations: list[Violation]
    counts: dict = field(default_factory=dict)

    def summary(self) -> str:
        if self.allowed:
            done = ", ".join(f"{SAY.get(k, k)} {n}" for k, n in sorted(self.counts.items())
                             if n and k not in ("files", "destructive"))
            return f"Được phép: {self.counts.get('files', 0)} tệp thay đổi" + (
                f" ({done})." if done else ".")
        lines = "\n".join(str(violation) for violation in self.violations)
        return f"Không được phép: {len(self.violations)} vi phạm:\n{lines}"

    def to_dict(self) -> dict:
        return {"allowed": self.allowed, "summary": self.summary(), "counts": dict(self.counts),
                "violations": [violation.to_dict() for violation in self.violations]}


@dataclass(frozen=True)
class Event:
    """What one change does to one address; ``path`` is the file that declares it now."""

    kind: str  # create, remove, or one of STATE_KINDS
    address: str
    path: str
    before: Mailbox | None
    after: Mailbox | None


@dataclass
class Side:
    """One commit, read: agency files by path (None when unreadable), mailboxes by address."""

    raw: dict[str, bytes]
    agencies: dict[str, AgencyFile | None]
    problems: list
    mailboxes: dict[str, Mailbox]
    aliases: dict[str, str]  # previous address → the path declaring it
    approvals: dict[str, bytes]

    def owners(self, path: str) -> list[str]:
        agency = self.agencies.get(path)
        owners = agency.data["agency"].get("owners") if agency else None
        return [user(o) for o in owners if isinstance(o, str)] if isinstance(owners, list) else []

    def claims(self) -> set[str]:
        return set(self.mailboxes) | set(self.aliases)


@dataclass
class Change:
    """Both sides and who asks: everything a rule needs."""

    base: Side
    head: Side
    author: str
    events: list[Event]
    thresholds: Thresholds
    approvals: dict[str, bytes]
    approval_validator: object
    facts: Facts = field(default_factory=Facts)

    @cached_property
    def reviewers(self) -> list[str]:
        return self.base.owners(REVIEWERS_FILE)

    @property
    def is_reviewer(self) -> bool:
        return self.author in self.reviewers

    @cached_property
    def own(self) -> set[str]:
        """The agency files the author owns at the base."""
        return {path for path in self.base.agencies if self.author in self.base.owners(path)}

    def violation(self, code: str, path: str = "", address: str = "", **fields) -> Violation:
        fields.setdefault("author", self.author)
        fields.setdefault("reviewers", _names(self.reviewers))
        return Violation(code, path, address, render(code, path=path, address=address, **fields))


def user(name: str) -> str:
    """A GitLab user name as compared: without a leading '@', lower case."""
    return name.strip().lstrip("@").lower()


def _names(users) -> str:
    return ", ".join(f"@{name}" for name in users) or "không có ai"


# ---------------------------------------------------------------- the decision


def decide(base_files: dict[str, bytes], head_files: dict[str, bytes], author: str,
           approvals: dict[str, bytes] | None = None, thresholds: Thresholds | None = None,
           schema_dir: str | None = None, facts: Facts | None = None) -> Decision:
    """Whether ``author``'s change from ``base_files`` to ``head_files`` may go ahead.

    ``approvals`` are the approval records of this change (default: the ``approvals/*.yml``
    that head adds). ``schema_dir`` holds agency.schema.json and approval.schema.json.
    """
    if not user(author or ""):
        return Decision(False, [Violation("HP001", "", "", render("HP001"))])
    agency_schema, approval_schema = validators(schema_dir)
    head = read_side(head_files, agency_schema)
    base = read_side(base_files, agency_schema, reuse=head)
    if head.problems:
        return Decision(False, [_invalid_head(head.problems)])
    if approvals is None:
        approvals = {p: raw for p, raw in head.approvals.items() if p not in base.approvals}
    change = Change(base, head, user(author), compare(base, head), thresholds or Thresholds(),
                    approvals, approval_schema, facts or Facts())
    violations = []
    for rule in RULES:
        violations += rule(change)
    return Decision(not violations, sorted(set(violations)), _counts(change))


def validators(schema_dir: str | None = None) -> tuple:
    """The agency and approval schema validators (cached per file)."""
    directory = schema_dir or SCHEMA_DIR
    return (schema_validator(os.path.join(directory, "agency.schema.json")),
            schema_validator(os.path.join(directory, "approval.schema.json")))


def _invalid_head(problems: list) -> Violation:
    """HP002 with the first problem's place and what (its own way out is make validate's)."""
    first = min(problems)
    what = str(first).split(". Cách sửa:", 1)[0]
    return Violation("HP002", first.path, "", render("HP002", count=len(problems), first=what))


def _counts(change: Change) -> dict:
    counts = Counter(event.kind for event in change.events)
    counts["destructive"] = len(_delisting(change.events))
    counts["files"] = len(_changed_paths(change, MAILBOXES) | _changed_paths(change, APPROVALS))
    return dict(counts)


# ---------------------------------------------------------------- reading one side


def read_side(files: dict[str, bytes], validator, reuse: Side | None = None) -> Side:
    """Read every agency file of one commit; a file with the same bytes as in ``reuse`` is
    not read twice. Problems are those of the whole tree (as ``make validate`` reports)."""
    agencies, problems, unreadable = {}, [], set()
    for path in sorted(files):
        stem = _agency_stem(path)
        if stem is None:
            continue
        if reuse is not None and reuse.raw.get(path) == files[path]:
            agencies[path] = reuse.agencies.get(path)
        else:
            agencies[path] = read_agency_file(stem, path, files[path], validator, problems)
        if agencies[path] is None:
            unreadable.add(stem)
    readable = [agency for agency in agencies.values() if agency is not None]
    if reuse is None:
        check_tree(readable, problems, unreadable)
    approvals = {p: raw for p, raw in files.items() if _is_direct(p, APPROVALS)}
    return Side(dict(files), agencies, problems, _mailboxes(readable), _aliases(readable),
                approvals)


def _agency_stem(path: str) -> str | None:
    return path[len(MAILBOXES):-4] if _is_direct(path, MAILBOXES) else None


def _is_direct(path: str, directory: str) -> bool:
    """``directory/<name>.yml``, not deeper."""
    rest = path[len(directory):] if path.startswith(directory) else ""
    return rest.endswith(".yml") and "/" not in rest and len(rest) > 4


def _mailboxes(agencies: list[AgencyFile]) -> dict[str, Mailbox]:
    """Mailboxes by address; a base file too broken to build from is left out."""
    mailboxes = {}
    for agency in agencies:
        try:
            built = build_mailboxes([agency])
        except (KeyError, TypeError, AttributeError, ValueError):
            continue
        mailboxes.update((mailbox.address, mailbox) for mailbox in built)
    return mailboxes


def _aliases(agencies: list[AgencyFile]) -> dict[str, str]:
    return {entry.address: agency.path for agency in agencies for entry in agency.entries
            if entry.role == "previous"}


def _path(mailbox: Mailbox) -> str:
    return f"{MAILBOXES}{mailbox.agency}.yml"


# ---------------------------------------------------------------- per address


def compare(base: Side, head: Side) -> list[Event]:
    """Every address the change touches: created, removed, renamed, moved, status, delegates."""
    renamed = {old: mailbox for mailbox in head.mailboxes.values() for old in mailbox.previous}
    moved = {address for address, before in base.mailboxes.items()
             if address in head.mailboxes and head.mailboxes[address].agency != before.agency}
    events = []
    for address, before in sorted(base.mailboxes.items()):
        after = head.mailboxes.get(address) or renamed.get(address)
        if after is None:
            events.append(Event("remove", address, _path(before), before, None))
        else:
            events += transitions(before, after, moved)
    for address, after in sorted(head.mailboxes.items()):
        if address not in base.mailboxes and not set(after.previous) & set(base.mailboxes):
            events.append(Event("create", address, _path(after), None, after))
            if after.status == LOCKED:
                events.append(Event("lock", address, _path(after), None, after))
    for address in sorted(set(base.aliases) - head.claims()):
        events.append(Event("remove", address, base.aliases[address], None, None))
    return events


def transitions(before: Mailbox, after: Mailbox, moved: set[str]) -> list[Event]:
    """The state changes from one mailbox record to the next.

    Delegates that left with a transfer in the same change are not a change of their own:
    the sending agency's letter does not have to cover them.
    """
    kinds = []
    if before.address != after.address:
        kinds.append("rename")
    if before.agency != after.agency:
        kinds.append("move")
    kinds += status_kinds(before, after)
    if set(before.delegates) - moved != set(after.delegates) - moved:
        kinds.append("delegate")
    return [Event(kind, after.address, _path(after), before, after) for kind in kinds]


def status_kinds(before: Mailbox, after: Mailbox) -> list[str]:
    """Lifecycle transitions between two statuses (Điều 6.2.c, 7), then a locked mailbox's
    new reason. A status the schema does not know (a base that broke it: the head is
    valid) reads as active, neither locked nor revoked."""
    status = before.status if before.status in STATUSES else ACTIVE
    kinds = list(transition(status, after.status))
    if status == after.status == LOCKED and before.lock_reason != after.lock_reason:
        kinds.append("lock_reason")
    return kinds


# ---------------------------------------------------------------- the rules


def check_files(change: Change) -> list[Violation]:
    """Điều 6.1, 10.1: an agency's owners change only its file; Sở TTTT changes any."""
    if change.is_reviewer:
        return []
    found = []
    for path in sorted(_changed_paths(change, MAILBOXES)):
        if path not in change.base.raw or path not in change.head.raw:
            action = "thêm" if path not in change.base.raw else "xóa"
            found.append(change.violation("HP011", path, action=action))
        elif path not in change.own:
            found += _foreign_file(change, path)
    return found


def _foreign_file(change: Change, path: str) -> list[Violation]:
    """Another agency's file: only the transfer of its people to the author's agency."""
    base, head = change.base.agencies[path], change.head.agencies[path]
    gone = _people(base) - _people(head)
    transferred = {address for address in gone if address in change.head.mailboxes
                   and _path(change.head.mailboxes[address]) in change.own}
    own = ", ".join(sorted(change.own)) or "không có tệp nào"
    found = [change.violation("HP012", path, address, own=own)
             for address in sorted(gone - transferred)]
    if base is None or _without(base, gone) != _without(head, gone):
        found.append(change.violation("HP010", path, owners=_names(change.base.owners(path))))
    return found


def _people(agency: AgencyFile | None) -> set[str]:
    return {e.address for e in agency.entries if e.role == "person"} if agency else set()


def _without(agency: AgencyFile, addresses: set[str]) -> object:
    """The file's data without the people at ``addresses`` and without them as delegates."""
    dropped = {id(e.item) for e in agency.entries if e.role == "person" and e.address in addresses}

    def strip(value):
        if isinstance(value, dict):
            result = {k: strip(v) for k, v in value.items() if k != "delegates"}
            delegates = [d for d in value.get("delegates") or () if d not in addresses]
            return {**result, "delegates": delegates} if delegates else result
        if isinstance(value, list):
            return [strip(item) for item in value if id(item) not in dropped]
        return value

    data = strip(agency.data)
    return {k: v for k, v in data.items() if v != []}


def check_removals(change: Change) -> list[Violation]:
    """Điều 5.3, 6.2.c: an issued address is revoked, never dropped (Sở TTTT excepted)."""
    if change.is_reviewer:
        return []
    return [change.violation("HP013", event.path, event.address)
            for event in change.events if event.kind == "remove"
            and event.path in change.own and event.path in change.head.raw]


def check_letters(change: Change) -> list[Violation]:
    """Điều 6.1: every mailbox whose state changes cites a new request letter."""
    kinds: dict[str, list[Event]] = {}
    for event in change.events:
        if event.kind in STATE_KINDS and event.before is not None:
            kinds.setdefault(event.address, []).append(event)
    found = []
    for address, events in kinds.items():
        before, after = events[0].before, events[0].after
        if after.request == before.request:
            what = ", ".join(SAY[event.kind] for event in events)
            letter = before.request.label() if before.request else "(không có)"
            found.append(change.violation("HP020", events[0].path, address, what=what,
                                          letter=letter))
    return found


def check_locks(change: Change) -> list[Violation]:
    """Điều 7, 10.1: only Sở TTTT locks, unlocks or changes the reason of a lock."""
    if change.is_reviewer:
        return []
    kinds: dict[tuple, list[str]] = {}
    for event in change.events:
        if event.kind in LOCK_KINDS:
            kinds.setdefault((event.path, event.address), []).append(SAY[event.kind])
    return [change.violation("HP021", path, address, what=", ".join(what))
            for (path, address), what in kinds.items()]


def check_approval_records(change: Change) -> list[Violation]:
    """Approvals are records: added, never edited or deleted (Sở TTTT excepted)."""
    if change.is_reviewer:
        return []
    base, head = change.base.approvals, change.head.approvals
    return [change.violation("HP035", path, action="xóa" if path not in head else "sửa")
            for path in sorted(base) if head.get(path) != base[path]]


def check_destroy_guard(change: Change) -> list[Violation]:
    """Many revokes, renames or removals at once need a recorded approval (Điều 10.1)."""
    destructive = _delisting(change.events)
    approvals, found = _approvals(change)
    why = _over_threshold(change, destructive)
    if not why:
        return found
    count = len(destructive)
    covered = max((a["max_destructive"] for a in approvals), default=None)
    if covered is None:
        found.append(change.violation("HP030", APPROVALS, count=count, why="; ".join(why)))
    elif covered < count:
        found.append(change.violation("HP034", APPROVALS, count=count, allowed=covered))
    return found


def _delisting(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind in DELISTING and e.before is not None]


def _over_threshold(change: Change, destructive: list[Event]) -> list[str]:
    """Why the destructive part of the change is too large, in words (empty: it is not)."""
    limits, why = change.thresholds, []
    if len(destructive) > limits.max_count:
        why.append(f"{len(destructive)} hộp thư trong thay đổi (ngưỡng {limits.max_count})")
    live = Counter(m.agency for m in change.base.mailboxes.values() if m.status != REVOKED)
    per_agency = Counter(event.before.agency for event in destructive)
    for agency, count in sorted(per_agency.items()):
        size = max(live[agency], 1)
        if count > max(1.0, limits.max_share * size):
            why.append(f"{count} trong {live[agency]} hộp thư của {agency} "
                       f"({_percent(count / size)} > {_percent(limits.max_share)})")
    return why


def _percent(share: float) -> str:
    """7.5 % written the Vietnamese way: '7,5 %'."""
    return f"{share * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " %"


def _approvals(change: Change) -> tuple[list[dict], list[Violation]]:
    """The valid approvals of this change, and why the others are not."""
    valid, found = [], []
    for path, raw in sorted(change.approvals.items()):
        data, problem = read_approval(raw, change.approval_validator)
        if problem:
            found.append(change.violation("HP031", path, detail=problem))
            continue
        approver = user(data["approved_by"])
        if approver == change.author:
            found.append(change.violation("HP033", path, detail=approver))
        elif approver not in change.reviewers:
            found.append(change.violation("HP032", path, detail=approver))
        else:
            valid.append(data)
    return valid, found


def read_approval(raw: bytes, validator) -> tuple[dict | None, str]:
    """An approval file's data, or the first reason it cannot be used."""
    data, problems = load_text(raw, screen_values=True)
    if problems:
        first = problems[0]
        return None, f"dòng {first.line}: {first.code} {first.detail}"
    for line, detail in schema_problems(validator, data if data is not None else {}):
        return None, f"dòng {line}: {detail}"
    return data, ""


def _changed_paths(change: Change, directory: str) -> set[str]:
    paths = set(change.base.raw) | set(change.head.raw)
    return {p for p in paths if _is_direct(p, directory)
            and change.base.raw.get(p) != change.head.raw.get(p)}


RULES = (check_files, check_removals, check_letters, check_locks, check_approval_records,
         check_destroy_guard)


# ---------------------------------------------------------------- CODEOWNERS


CODEOWNERS = "CODEOWNERS"
CODEOWNERS_HEADER = (
    "# Tạo tự động bằng `make codeowners` từ owners của mailboxes/*.yml; không sửa tay.\n"
    "# Generated by `make codeowners` from the owners of mailboxes/*.yml; do not edit.\n"
    "# Người duyệt của Sở TTTT (owners của mailboxes/sotttt.yml) duyệt được mọi tệp.\n"
    "# Sở TTTT's reviewers (owners of mailboxes/sotttt.yml) may approve every file.\n"
)


def codeowners_text(files: dict[str, bytes]) -> str:
    """GitLab CODEOWNERS for the agency files in ``files``: owners + Sở TTTT's reviewers."""
    owners = {path: _declared_owners(raw) for path, raw in files.items()
              if _agency_stem(path) is not None}
    reviewers = owners.get(REVIEWERS_FILE, [])
    lines = [_rule("*", reviewers), _rule(f"/{APPROVALS}", reviewers)]
    for path in sorted(owners):
        if naming.local_part_problem(_agency_stem(path)) is None:
            lines.append(_rule(f"/{path}", owners[path] + reviewers))
    return CODEOWNERS_HEADER + "\n".join(lines) + "\n"


def _declared_owners(raw: bytes) -> list[str]:
    """The owners written in an agency file; anything that is not a user name is skipped,
    so a hostile file cannot write its own CODEOWNERS rules."""
    data, problems = load_text(raw)
    agency = data.get("agency") if isinstance(data, dict) and not problems else None
    owners = agency.get("owners") if isinstance(agency, dict) else None
    if not isinstance(owners, list):
        return []
    return [o.strip().lstrip("@") for o in owners
            if isinstance(o, str) and USER_NAME_RE.fullmatch(o.strip())]


def _rule(pattern: str, users: list[str]) -> str:
    unique = list(dict.fromkeys(users))
    return " ".join([pattern] + [f"@{name}" for name in unique])


def codeowners_violation(files: dict[str, bytes]) -> Violation | None:
    """HP003 when ``files[CODEOWNERS]`` is not what ``codeowners_text`` makes of ``files``."""
    if files.get(CODEOWNERS, b"").decode("utf-8", "replace") == codeowners_text(files):
        return None
    return Violation("HP003", CODEOWNERS, "", render("HP003"))
