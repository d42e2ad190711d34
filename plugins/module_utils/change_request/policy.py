"""Change-request policy: may this author's change (base → head) go ahead, and if not, why.

Pure: the caller hands over the files of both commits as ``{path: bytes}``
(``mailboxes/<id>.yml``, ``approvals/<name>.yml``) and what git and GitLab say (``Facts``:
approvers, pushers, the raw tree diff, whether the head contains the base). The base is the
tip of the target branch. Both sides are read with the validator; the change is compared per
address (``compare``, in the words of common/lifecycle.py) and per file, and each rule of
Điều 5, 6, 7, 9 and 10 is one function below (``RULES``). Sở TTTT's reviewers are the owners
of ``mailboxes/sotttt.yml`` at the base, so a change can never appoint the reviewer who
judges it; a step that needs Sở TTTT passes when one of them wrote the change or another
approved it in GitLab (``Change.by_sotttt``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from ..common.glossary import GENERIC_OPERATOR, day, label, number, percent
from ..common.lifecycle import ACTIVE, DELISTING, LOCKED, REVOKED, SAY, STATUSES, transition
from ..common.messages import shown
from ..common.parallel import cpus, fork_map
from ..declared import messages as declared_messages
from ..declared import naming
from ..declared.desired import build_mailboxes
from ..declared.model import Mailbox
from ..declared.schema_errors import schema_problems
from ..declared.validate import (
    AgencyFile,
    check_tree,
    letter_number_error,
    letter_number_findings,
    read_agency_file,
)
from ..declared.validation_run import PARALLEL_BYTES, schema_validator
from ..declared.yamlsafe import load_text
from .gitfiles import TreeChange, non_data
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
# Every step only Sở TTTT makes (authored or approved), and the code that refuses it to others:
# locks (Điều 7), issuing a revoked mailbox again (Điều 6.1, 7.2), a new password (9.2, 12.1).
SOTTTT_STEPS = {**dict.fromkeys(LOCK_KINDS, "HP021"), "reinstate": "HP022",
                "reset_password": "HP017", "quota": "HP018"}
# What a transferred person does not take along in the same change (Điều 6.2.b, 9.3).
NOT_WITH_A_MOVE = ("rename", "revoke", "reinstate", "lock", "unlock", "lock_reason",
                   "reset_password")
# What the plan's warning block lists one by one, beside the counts.
NOTABLE_KINDS = ("move", "reset_password", "delegate")
# The words of a change inside a sentence: the lifecycle's (from the glossary), and the
# policy's own: a mailbox's own size limit (the server's disk is Sở TTTT's, Điều 10).
WORDS = {**SAY, "quota": "đặt dung lượng hộp thư riêng (quota)"}
# The merge request at its first mention (the summary), then "yêu cầu hợp nhất" alone.
MERGE_REQUEST = label("merge_request")

# The operator's agency: the notices of new passwords come from its mailbox.
OPERATOR = "sotttt"
# Agencies whose address a new one may not imitate: the province's departments and units.
# Districts, communes and people that differ by one letter from each other are normal.
PROTECTED_KINDS = frozenset({"department", "unit"})
# Reserved words shorter than this are refused only when equal (naming.RESERVED): 'noc' is
# one letter from the given name 'ngoc'.
LOOK_ALIKE_MIN_LENGTH = 4
# At most this many non-data paths are named in HP040 and in the warnings.
PATHS_SHOWN = 20


@dataclass(frozen=True)
class Thresholds:
    """The destroy guard: more than ``max_count`` in the change, or than ``max_share`` of an
    agency's live mailboxes (a single mailbox never counts as a share), needs an approval."""

    max_count: int = 10
    max_share: float = 0.05
    max_creates: int = 100  # more new mailboxes in one change need a Sở TTTT approval

    def __post_init__(self) -> None:
        if self.max_count < 0 or not 0 <= self.max_share <= 1 or self.max_creates < 0:
            raise ValueError(f"ngưỡng không hợp lệ: destroy_max_count={self.max_count} phải từ "
                             f"0 trở lên, destroy_max_share={self.max_share} phải từ 0 đến 1, "
                             f"max_creates={self.max_creates} phải từ 0 trở lên")


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
    """Whether the change may go ahead, every violation, and what the change does: counts,
    the moves, resets and delegation changes one by one (``events``), and the non-data
    paths a Sở TTTT change carries (``warnings``)."""

    allowed: bool
    violations: list[Violation]
    counts: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        warned = "".join(f"\nCảnh báo: {warning}" for warning in self.warnings)
        if self.allowed:
            done = ", ".join(f"{WORDS.get(k, k)}: {number(n)}"
                             for k, n in sorted(self.counts.items())
                             if n and k not in ("files", "destructive"))
            return (f"Được phép: {MERGE_REQUEST} sửa {number(self.counts.get('files', 0))} tệp"
                    + (f" ({done})." if done else ".") + warned)
        lines = "\n".join(str(violation) for violation in self.violations)
        return (f"Không được phép: {MERGE_REQUEST} có {number(len(self.violations))} vi phạm:"
                f"\n{lines}" + warned)

    def to_dict(self) -> dict:
        return {"allowed": self.allowed, "summary": self.summary(), "counts": dict(self.counts),
                "violations": [violation.to_dict() for violation in self.violations],
                "warnings": list(self.warnings), "events": [dict(e) for e in self.events]}


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
    built: dict[str, list[Mailbox]]  # each readable file's mailboxes, by path

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
    operator: str = GENERIC_OPERATOR  # the operator's short name, from the inventory

    @cached_property
    def reviewers(self) -> list[str]:
        return self.base.owners(REVIEWERS_FILE)

    @property
    def is_reviewer(self) -> bool:
        return self.author in self.reviewers

    @cached_property
    def pushers(self) -> set[str]:
        return {user(name) for name in self.facts.pushers}

    @cached_property
    def approvers(self) -> set[str]:
        """Who approved the judged head in GitLab and may vouch for it: not its author, and
        no one who pushed to it (they would approve their own commits)."""
        return {user(name) for name in self.facts.approvers} - {self.author} - self.pushers

    @cached_property
    def sotttt_approvers(self) -> list[str]:
        """The Sở TTTT reviewers (at the base) among ``approvers``."""
        return [name for name in self.reviewers if name in self.approvers]

    @property
    def by_sotttt(self) -> bool:
        """A step that needs Sở TTTT passes: a reviewer wrote it or another one approved it."""
        return self.is_reviewer or bool(self.sotttt_approvers)

    def approved_by_owner(self, path: str) -> bool:
        """An owner of ``path`` (at the base) approved the change."""
        return bool(self.approvers & set(self.base.owners(path)))

    @cached_property
    def own(self) -> set[str]:
        """The agency files the author owns at the base."""
        return {path for path in self.base.agencies if self.author in self.base.owners(path)}

    def violation(self, code: str, path: str = "", address: str = "", **fields) -> Violation:
        fields.setdefault("author", self.author)
        fields.setdefault("reviewers", _names(self.reviewers))
        fields.setdefault("operator", self.operator)
        return Violation(code, path, address, render(code, path=path, address=address, **fields))


def user(name: str) -> str:
    """A GitLab user name as compared: without a leading '@', lower case."""
    return name.strip().lstrip("@").lower()


def _names(users) -> str:
    return ", ".join(f"@{name}" for name in users) or "không có ai"


# ---------------------------------------------------------------- the decision


def decide(base_files: dict[str, bytes], head_files: dict[str, bytes], author: str,
           approvals: dict[str, bytes] | None = None, thresholds: Thresholds | None = None,
           schema_dir: str | None = None, facts: Facts | None = None,
           operator: str | None = None, check_codeowners: bool = False) -> Decision:
    """Whether ``author``'s change from ``base_files`` to ``head_files`` may go ahead.

    ``approvals`` are the approval records of this change (default: the ``approvals/*.yml``
    that head adds). ``schema_dir`` holds agency.schema.json and approval.schema.json.
    ``facts``: who approved and who pushed, the raw diff (default: none, nothing looked at).
    ``operator``: the operator's short name as the messages name it (the inventory's
    ``operator.short_name``; default the regulation's generic name).
    ``check_codeowners``: also refuse (HP003) a head whose CODEOWNERS is not current.
    """
    operator = operator or GENERIC_OPERATOR
    if not user(author or ""):
        return Decision(False, [Violation("HP001", "", "", render("HP001", operator=operator))])
    agency_schema, approval_schema = validators(schema_dir)
    head = read_side(head_files, agency_schema)
    stale = codeowners_violation(head_files, _read_owners(head)) if check_codeowners else None
    if head.problems:
        return Decision(False, [_invalid_head(head.problems)] + ([stale] if stale else []))
    base = read_side(base_files, agency_schema, reuse=head)
    if approvals is None:
        approvals = {p: raw for p, raw in head.approvals.items() if p not in base.approvals}
    change = Change(base, head, user(author), compare(base, head), thresholds or Thresholds(),
                    approvals, approval_schema, facts or Facts(), operator)
    violations = [stale] if stale else []
    for rule in RULES:
        violations += rule(change)
    return Decision(not violations, sorted(set(violations)), _counts(change),
                    _warnings(change), notable_events(change))


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
    paths = [path for path in sorted(files) if _agency_stem(path) is not None]
    fresh = [path for path in paths if reuse is None or reuse.raw.get(path) != files[path]]
    read = dict(zip(fresh, _read_files(fresh, files, validator), strict=True))
    for path in paths:
        if path in read:
            agencies[path], found = read[path]
            problems += found
        else:
            agencies[path] = reuse.agencies.get(path)
        if agencies[path] is None:
            unreadable.add(_agency_stem(path))
    readable = [agency for agency in agencies.values() if agency is not None]
    if reuse is None:
        check_tree(readable, problems, unreadable)
    approvals = {p: raw for p, raw in files.items() if _is_direct(p, APPROVALS)}
    built = {path: reuse.built[path] if reuse is not None and path in reuse.built
             and reuse.agencies.get(path) is agency else _built(agency)
             for path, agency in agencies.items() if agency is not None}
    mailboxes = {mailbox.address: mailbox for path in sorted(built) for mailbox in built[path]}
    return Side(dict(files), agencies, problems, mailboxes, _aliases(readable), approvals,
                built)


def _read_files(paths: list[str], files: dict[str, bytes], validator) -> list[tuple]:
    """(agency or None, problems) of each path; a large set is read by every CPU."""
    def read(path: str) -> tuple:
        problems: list = []
        return read_agency_file(_agency_stem(path), path, files[path], validator, problems), \
            problems

    large = sum(len(files[path]) for path in paths) >= PARALLEL_BYTES
    return fork_map(read, paths, cpus() if large else 1)


def _read_owners(side: Side) -> dict:
    """The data of the side's files read without a load problem, for ``codeowners_text``."""
    return {path: agency.data for path, agency in side.agencies.items() if agency is not None}


def _agency_stem(path: str) -> str | None:
    return path[len(MAILBOXES):-4] if _is_direct(path, MAILBOXES) else None


def _is_direct(path: str, directory: str) -> bool:
    """``directory/<name>.yml``, not deeper."""
    rest = path[len(directory):] if path.startswith(directory) else ""
    return rest.endswith(".yml") and "/" not in rest and len(rest) > 4


def _built(agency: AgencyFile) -> list[Mailbox]:
    """One file's mailboxes; none from a base file too broken to build from."""
    try:
        return build_mailboxes([agency])
    except (KeyError, TypeError, AttributeError, ValueError):
        return []


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
            if after.quota is not None:
                events.append(Event("quota", address, _path(after), None, after))
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
    if after.password_reset is not None and after.password_reset != before.password_reset:
        kinds.append("reset_password")
    if after.quota != before.quota:
        kinds.append("quota")
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
    if change.by_sotttt:
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
    if change.by_sotttt:
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
            letter = letter_words(before.request)
            found.append(change.violation("HP020", events[0].path, address, what=what,
                                          letter=letter))
    return found


def letter_words(request) -> str:
    """A request letter as a sentence names it: ``số 3/UBND ngày 05/03/2024``."""
    if request is None:
        return "không có"
    text = f"số {request.number} ngày {day(str(request.date))}"
    issuer = getattr(request, "issuer", None)
    return f"{text} của {issuer}" if issuer else text


def check_sotttt_steps(change: Change) -> list[Violation]:
    """Điều 6.1, 7, 9.2, 10.1, 10.2, 12.1: only Sở TTTT locks, unlocks, changes the reason of
    a lock, issues a revoked mailbox again, gives a new password or sets (changes, removes) a
    mailbox's own quota: the disk is shared by every agency. A clerk may still revoke a
    locked mailbox of their agency (retirement while locked)."""
    if change.by_sotttt:
        return []
    steps: dict[tuple, list[str]] = {}
    for event in change.events:
        if event.kind in SOTTTT_STEPS:
            key = (SOTTTT_STEPS[event.kind], event.path, event.address)
            steps.setdefault(key, []).append(WORDS[event.kind])
    return [change.violation(code, path, address, what=", ".join(what))
            for (code, path, address), what in steps.items()]


def check_transfers(change: Change) -> list[Violation]:
    """Điều 6.2.b, 9.3: a person moves with their address, password, status and mail; a
    delegation they held in another agency's file ends only with an approval by an owner
    of that file or by Sở TTTT."""
    if change.by_sotttt:
        return []
    kinds: dict[str, list[str]] = {}
    for event in change.events:
        kinds.setdefault(event.address, []).append(event.kind)
    found = []
    for event in change.events:
        if event.kind != "move":
            continue
        carried = [WORDS[kind] for kind in kinds[event.address] if kind in NOT_WITH_A_MOVE]
        if carried:
            found.append(change.violation("HP014", event.path, event.address,
                                          source=_path(event.before), what=", ".join(carried)))
        found += _lifted_delegation(change, event)
    return found


def _lifted_delegation(change: Change, move: Event) -> list[Violation]:
    """HP015 when the person left another agency's file where they were a delegate."""
    source = _path(move.before)
    if source in change.own or not delegated_in(change.base, source, move.address):
        return []
    if change.approved_by_owner(source):
        return []
    return [change.violation("HP015", source, move.address,
                             owners=_names(change.base.owners(source)))]


def delegated_in(side: Side, path: str, address: str) -> list[str]:
    """The mailboxes of ``path`` that ``address`` may read as a delegate (Điều 9.1)."""
    return sorted(m.address for m in side.mailboxes.values()
                  if _path(m) == path and address in m.delegates)


def check_previous_addresses(change: Change) -> list[Violation]:
    """Điều 5.3, 6.2.d: a new old address is one the same file declared at the base; no
    one adopts another agency's mailbox, or one declared nowhere, and its mail."""
    if change.by_sotttt:
        return []
    holder = {old: m.address for m in change.head.mailboxes.values() for old in m.previous}
    found = []
    for old, path in sorted(change.head.aliases.items()):
        declared = _declared_at(change.base, old)
        if declared != path:
            found.append(change.violation("HP016", path, holder.get(old, ""), old=old,
                                          where=_whose(change.base, declared)))
    return found


def _declared_at(side: Side, address: str) -> str:
    """The file that declares ``address``, as a mailbox or a previous address ('' if none)."""
    mailbox = side.mailboxes.get(address)
    return _path(mailbox) if mailbox else side.aliases.get(address, "")


def _whose(side: Side, path: str) -> str:
    if not path:
        return "không thuộc hộp thư nào đã khai báo"
    agency = side.agencies.get(path)
    name = agency.data["agency"].get("name") if agency else None
    return f"là địa chỉ của {name} ({path})" if name else f"là địa chỉ khai báo trong {path}"


def check_creates(change: Change) -> list[Violation]:
    """Điều 6.2.a, 10.1: many new mailboxes at once need a Sở TTTT approval, whoever asks."""
    count = sum(event.kind == "create" for event in change.events)
    limit = change.thresholds.max_creates
    if count <= limit or change.sotttt_approvers:
        return []
    return [change.violation("HP041", MAILBOXES, count=count, limit=limit)]


def check_look_alikes(change: Change) -> list[Violation]:
    """Điều 5: an address the change creates or renames to is not one letter away from
    the operator's, a department's or unit's address or a reserved word (Sở TTTT
    excepted); addresses already issued are never judged again."""
    if change.by_sotttt:
        return []
    protected = LookAlikes(protected_addresses(change.base))
    found = []
    for event in change.events:
        if event.kind in ("create", "rename"):
            for target, what in protected.near(event.address)[:1]:
                found.append(change.violation("HP042", event.path, event.address,
                                              target=target, what=what))
    return found


def protected_addresses(side: Side) -> dict[str, str]:
    """Every address a new one may not imitate → what it is, in words."""
    names = {word: "tên dành riêng của hệ thống" for word in naming.RESERVED
             if len(word) >= LOOK_ALIKE_MIN_LENGTH}
    for mailbox in side.mailboxes.values():
        if mailbox.kind != "agency":
            continue
        if mailbox.agency == OPERATOR:
            names[mailbox.address] = f"hộp thư gửi thông báo của {mailbox.name}"
        elif mailbox.directory.get("agency_kind") in PROTECTED_KINDS:
            names[mailbox.address] = f"hộp thư của {mailbox.name}"
    return names


class LookAlikes:
    """Which protected addresses lie within one edit of an address (the deletion
    neighbourhoods of both sides meet, then ``osa_distance`` confirms)."""

    def __init__(self, protected: dict[str, str]) -> None:
        self.protected = protected
        self.index: dict[str, set[str]] = {}
        for name in protected:
            for key in _one_deleted(name):
                self.index.setdefault(key, set()).add(name)

    def near(self, address: str) -> list[tuple[str, str]]:
        """(protected address, what it is) of those one edit from ``address`` or from its
        plain form (dots and trailing digits removed); equal is a look-alike only then."""
        plain = re.sub(r"[0-9]+\Z", "", address.replace(".", ""))
        hits = set()
        for form in (address, plain):
            for key in _one_deleted(form):
                hits |= {name for name in self.index.get(key, ()) if name != address
                         and osa_distance(form, name) <= 1}
        return [(name, self.protected[name]) for name in sorted(hits)]


def _one_deleted(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1:] for i in range(len(text))}


def osa_distance(first: str, second: str) -> int:
    """Damerau–Levenshtein distance, optimal string alignment: insertions, deletions,
    substitutions and swaps of two adjacent letters, each letter edited once."""
    rows = [list(range(len(second) + 1))]
    for i, left in enumerate(first, 1):
        row = [i] + [0] * len(second)
        for j, right in enumerate(second, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (left != right))
            if i > 1 and j > 1 and left == second[j - 2] and first[i - 2] == right:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def check_pushers(change: Change) -> list[Violation]:
    """Điều 10.1: the change is judged as its author's, so no one else pushed commits to it
    (Sở TTTT's reviewers excepted)."""
    others = sorted(change.pushers - {change.author} - set(change.reviewers))
    return [change.violation("HP037", others=_names(others))] if others else []


def check_rebased(change: Change) -> list[Violation]:
    """The base is the target branch's tip; a head that does not contain it is refused."""
    return [] if change.facts.contains_base else [change.violation("HP038")]


def check_data_only(change: Change) -> list[Violation]:
    """Điều 10.1: a change not by Sở TTTT carries agency data only (git diff --raw)."""
    paths = non_data_paths(change.facts.tree)
    if not paths or change.by_sotttt:
        return []
    return [change.violation("HP040", paths=_listed(paths))]


def non_data_paths(tree: tuple[TreeChange, ...] | None) -> list[str]:
    """Each changed path that is not agency data, with why: 'Makefile (ngoài …)'."""
    return [f"{shown(path, None)} ({why})" for path, why in non_data(tree)]


def _listed(paths: list[str]) -> str:
    shown = "; ".join(paths[:PATHS_SHOWN])
    more = len(paths) - PATHS_SHOWN
    return shown + (f"; và {number(more)} tệp khác" if more > 0 else "")


def _warnings(change: Change) -> list[str]:
    """What Sở TTTT's change carries besides data, one path a line, for the plan's warning
    block."""
    paths = non_data_paths(change.facts.tree)
    if not paths or not change.by_sotttt:
        return []
    warnings = [f"tệp ngoài khai báo hộp thư (người duyệt kiểm tra kỹ): {path}"
                for path in paths[:PATHS_SHOWN]]
    more = len(paths) - PATHS_SHOWN
    return warnings + ([f"và {number(more)} tệp khác ngoài khai báo hộp thư"]
                       if more > 0 else [])


def notable_events(change: Change) -> list[dict]:
    """Every move, password reset and delegation change, for the plan's warning block."""
    found = []
    for event in change.events:
        if event.kind not in NOTABLE_KINDS:
            continue
        data = {"kind": event.kind, "address": event.address, "path": event.path,
                "from": _path(event.before)}
        if event.kind == "move":
            data["delegate_of"] = delegated_in(change.base, data["from"], event.address)
        elif event.kind == "delegate":
            data.update(before=sorted(event.before.delegates),
                        after=sorted(event.after.delegates))
        else:
            data["letter"] = letter_words(event.after.password_reset)
        found.append(data)
    return found


def check_approval_records(change: Change) -> list[Violation]:
    """Approvals are records: added, never edited or deleted (Sở TTTT excepted)."""
    if change.by_sotttt:
        return []
    base, head = change.base.approvals, change.head.approvals
    return [change.violation("HP035", path, action="xóa" if path not in head else "sửa")
            for path in sorted(base) if head.get(path) != base[path]]


def check_destroy_guard(change: Change) -> list[Violation]:
    """Many revokes, renames or removals at once need a Sở TTTT approval in GitLab, whoever
    asks (Điều 10.1); a record in approvals/ is optional and still bounds the count."""
    destructive = _delisting(change.events)
    records, found = _approvals(change)
    why = _over_threshold(change, destructive)
    if not why:
        return found
    count = len(destructive)
    covered = max((a["max_destructive"] for a in records), default=None)
    if not change.sotttt_approvers:
        found.append(change.violation("HP030", APPROVALS, count=count, why="; ".join(why)))
    elif covered is not None and covered < count:
        found.append(change.violation("HP034", APPROVALS, count=count, allowed=covered))
    return found


def _delisting(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind in DELISTING and e.before is not None]


def _over_threshold(change: Change, destructive: list[Event]) -> list[str]:
    """Why the destructive part of the change is too large, in words (empty: it is not)."""
    limits, why = change.thresholds, []
    if len(destructive) > limits.max_count:
        why.append(f"{number(len(destructive))} hộp thư trong một yêu cầu hợp nhất, vượt mức "
                   f"{number(limits.max_count)}")
    live = Counter(m.agency for m in change.base.mailboxes.values() if m.status != REVOKED)
    per_agency = Counter(event.before.agency for event in destructive)
    for agency, count in sorted(per_agency.items()):
        size = max(live[agency], 1)
        if count > max(1.0, limits.max_share * size):
            why.append(f"{number(count)} trong {number(live[agency])} hộp thư của {agency} "
                       f"({_percent(count / size)}, vượt mức {_percent(limits.max_share)})")
    return why


def _percent(share: float) -> str:
    """A share as Vietnamese write it: 0.846 → '84,6%'."""
    return percent(share * 100)


def _approvals(change: Change) -> tuple[list[dict], list[Violation]]:
    """The valid approvals of this change, and why the others are not."""
    valid, found = [], []
    for path, raw in sorted(change.approvals.items()):
        data, problem = read_approval(raw, change.approval_validator)
        if problem:
            found.append(change.violation("HP031", path, **problem_words(problem)))
            continue
        approver = user(data["approved_by"])
        if approver == change.author:
            found.append(change.violation("HP033", path, detail=approver))
        elif approver not in change.reviewers:
            found.append(change.violation("HP032", path, detail=approver))
        elif approver not in change.sotttt_approvers:
            found.append(change.violation("HP036", path, detail=approver,
                                          approvers=_names(change.sotttt_approvers)))
        else:
            valid.append(data)
    return valid, found


def read_approval(raw: bytes, validator) -> tuple[dict | None, str]:
    """An approval file's data, or the first reason it cannot be used (``problem_words``
    splits it for HP031)."""
    data, problems = load_text(raw, screen_values=True)
    if problems:
        first = problems[0]
        return None, _at_line(first.line, first.message())
    for line, letter, why in letter_number_findings(data):
        return None, _at_line(line, declared_messages.render("HY044", detail=letter, why=why))
    for line, detail in schema_problems(validator, data if data is not None else {},
                                        skip=letter_number_error):
        return None, _at_line(line, detail)
    return data, ""


def _at_line(line: int, message: str) -> str:
    """A validation message as HP031 quotes it: ``dòng 1: <what>. Cách sửa: <fix>``, its
    own code dropped (the record's problem is HP031's)."""
    return f"dòng {line}: {re.sub(r'^HY[0-9]{3} ', '', message)}"


# HP031's fix when the problem brings none of its own.
APPROVAL_FIX = "sửa biên bản theo approvals/README.md"


def problem_words(problem: str) -> dict:
    """An approval record's problem as HP031's fields: what is wrong, and its own fix."""
    what, _sep, fix = problem.partition(". Cách sửa: ")
    return {"detail": what.rstrip("."), "fix": fix.rstrip(".") or APPROVAL_FIX}


def _changed_paths(change: Change, directory: str) -> set[str]:
    paths = set(change.base.raw) | set(change.head.raw)
    return {p for p in paths if _is_direct(p, directory)
            and change.base.raw.get(p) != change.head.raw.get(p)}


RULES = (check_pushers, check_rebased, check_data_only, check_files, check_transfers,
         check_removals, check_previous_addresses, check_letters, check_sotttt_steps,
         check_approval_records, check_destroy_guard, check_creates, check_look_alikes)


# ---------------------------------------------------------------- CODEOWNERS


CODEOWNERS = "CODEOWNERS"
CODEOWNERS_HEADER = (
    "# Tạo tự động bằng lệnh `make codeowners` từ người quản lý tệp (owners) của "
    "mailboxes/*.yml; không sửa thủ công.\n"
    "# Generated by `make codeowners` from the owners of mailboxes/*.yml; do not edit.\n"
    "# Người duyệt (owners của mailboxes/sotttt.yml) duyệt được mọi tệp.\n"
    "# Sở TTTT's reviewers (owners of mailboxes/sotttt.yml) may approve every file.\n"
)


def codeowners_text(files: dict[str, bytes], read: dict | None = None) -> str:
    """GitLab CODEOWNERS for the agency files in ``files``: owners + Sở TTTT's reviewers.
    ``read``: the files' data already loaded, by path (others are loaded here)."""
    read = read or {}
    owners = {path: _owners_in(read[path]) if path in read else _declared_owners(raw)
              for path, raw in files.items() if _agency_stem(path) is not None}
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
    return [] if problems else _owners_in(data)


def _owners_in(data) -> list[str]:
    agency = data.get("agency") if isinstance(data, dict) else None
    owners = agency.get("owners") if isinstance(agency, dict) else None
    if not isinstance(owners, list):
        return []
    return [o.strip().lstrip("@") for o in owners
            if isinstance(o, str) and USER_NAME_RE.fullmatch(o.strip())]


def _rule(pattern: str, users: list[str]) -> str:
    unique = list(dict.fromkeys(users))
    return " ".join([pattern] + [f"@{name}" for name in unique])


def codeowners_violation(files: dict[str, bytes], read: dict | None = None) -> Violation | None:
    """HP003 when ``files[CODEOWNERS]`` is not what ``codeowners_text`` makes of ``files``."""
    if files.get(CODEOWNERS, b"").decode("utf-8", "replace") == codeowners_text(files, read):
        return None
    return Violation("HP003", CODEOWNERS, "", render("HP003"))
