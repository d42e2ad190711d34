"""The desired-state and server-state records shared by the validator, planner and backends."""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, field, fields

from ..common.glossary import capitalised, day, label
from ..common.operation_messages import reason, render

KINDS = ("agency", "division", "person")


@dataclass(frozen=True)
class Request:
    """The letter a record cites: an agency's request letter (văn bản đề nghị, ``request:
    {number, date}``, Điều 6.1) or, with an ``issuer``, the decision it rests on instead
    (căn cứ, ``basis: {number, date, issuer}``: the initial import, a reorganisation).

    Every reader of ``Mailbox.request`` (planner, journal, notices, reports, policy) gets
    either through this one record; ``to_dict`` and ``from_dict`` keep a request letter's
    stored form ``{"number", "date"}`` unchanged. Dates are ISO; people read ``day()``.
    """

    number: str
    date: str
    issuer: str = ""

    @property
    def is_basis(self) -> bool:
        """A decision cited as basis (căn cứ), not an agency's request letter."""
        return bool(self.issuer)

    def to_dict(self) -> dict:
        """``{"number", "date"}``, and ``"issuer"`` for a basis (the YAML's own keys)."""
        data = {"number": self.number, "date": self.date}
        if self.issuer:
            data["issuer"] = self.issuer
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Request:
        """The letter ``to_dict`` (or a file's ``request``/``basis`` mapping) gave."""
        return cls(str(data["number"]), str(data["date"]), str(data.get("issuer") or ""))

    def label(self) -> str:
        """The letter as a sentence names it: ``số 15/UBND ngày 20/11/2026`` for a request,
        ``Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của Ủy ban nhân dân tỉnh Hưng Yên``
        for a basis."""
        text = f"số {self.number} ngày {day(self.date)}"
        if not self.is_basis:
            return text
        return f"{document_kind(self.number)} {text} của {self.issuer}"

    def line(self) -> str:
        """The labelled line people read: ``Văn bản đề nghị: số 15/UBND ngày 20/11/2026``
        or ``Căn cứ: Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của …``."""
        return f"{capitalised(label('basis' if self.is_basis else 'request'))}: {self.label()}"


# The kind of a document, from the abbreviation its number carries (Nghị định 30/2020/NĐ-CP,
# Phụ lục III): 08/2017/QĐ-UBND is a Quyết định.
DOCUMENT_KINDS = (("NQ", "Nghị quyết"), ("QĐ", "Quyết định"), ("CT", "Chỉ thị"),
                  ("KH", "Kế hoạch"), ("TB", "Thông báo"))


def document_kind(number: str) -> str:
    """``Quyết định`` for ``08/2017/QĐ-UBND``; ``Văn bản`` when the number names no kind."""
    symbol = number.split("/")[-1] if "/" in number else ""
    head = symbol.split("-")[0].strip().upper()
    return next((kind for abbreviation, kind in DOCUMENT_KINDS if head == abbreviation),
                "Văn bản")


def letter_dict(letter: Request | None) -> dict | None:
    """A letter as stored data (plan, journal, desired state), or None."""
    return None if letter is None else letter.to_dict()


def letter_line(data: dict | None, missing: str = "Văn bản đề nghị: (không có)") -> str:
    """The labelled line of a stored letter (``letter_dict``'s output), for renderers that
    hold plain data: ``Văn bản đề nghị: số …`` or ``Căn cứ: Quyết định số …``."""
    return Request.from_dict(data).line() if data else missing


@dataclass(frozen=True, slots=True)  # slots: a province holds 100,000 of them
class Mailbox:
    """One declared mailbox, whatever declared it: agency, division or person.

    ``address`` is the local part; the domain belongs to the inventory.
    ``previous`` are older local parts kept as aliases after a rename (Điều 6.2.d).
    ``delegates`` are local parts of people who may read this mailbox (Điều 9.1).
    ``request`` is the letter the record cites: its request letter or its basis (``Request``).
    ``password_reset`` is the request letter of the latest reset asked for (Điều 9.2, 12.1).
    ``quota`` is the mailbox's own size limit (``5G``, ``500M``); None: the inventory's.
    """

    address: str
    kind: str
    agency: str
    name: str
    status: str = "active"
    lock_reason: str | None = None
    previous: tuple[str, ...] = ()
    delegates: tuple[str, ...] = ()
    request: Request | None = None
    password_reset: Request | None = None
    directory: dict = field(default_factory=dict, compare=False, hash=False)
    quota: str | None = None

    def to_dict(self) -> dict:
        """Plain data for JSON (``dataclasses.asdict`` deep-copies and is 10× slower);
        ``quota`` only when the mailbox has its own."""
        data = {name: getattr(self, name) for name in _MAILBOX_FIELDS}
        for key in ("request", "password_reset"):
            if data[key] is not None:
                data[key] = data[key].to_dict()
        data["previous"], data["delegates"] = list(self.previous), list(self.delegates)
        if data["quota"] is None:
            del data["quota"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Mailbox:
        """The mailbox ``to_dict`` gave; a reconcile reads 100,000 of them, so the instance
        is filled directly instead of through the frozen ``__init__`` (same checks), and
        repeated values are kept once (``shared``)."""
        data = {key: shared(value) if key in _SHARED_FIELDS else value
                for key, value in data.items()}
        for key in ("request", "password_reset"):
            if data.get(key):
                data[key] = shared(Request.from_dict(data[key]))
        data["previous"] = tuple(data.get("previous") or ())
        data["delegates"] = tuple(data.get("delegates") or ())
        data["directory"] = shared_values(data.get("directory") or {})
        unknown, missing = data.keys() - _MAILBOX_NAMES, _REQUIRED - data.keys()
        if unknown or missing:
            raise TypeError(f"Mailbox: unknown {sorted(unknown)}, missing {sorted(missing)}")
        return new_record(cls, _DEFAULTS | data)


def new_record(cls, values: dict):
    """An instance of the frozen, slotted record ``cls`` holding ``values`` (every field),
    set as its ``__init__`` would, without running it."""
    record = object.__new__(cls)
    for name, value in values.items():
        _SET(record, name, value)
    return record


def shared(value):
    """The copy of ``value`` kept before, if any. Parsed JSON makes a new string for each
    occurrence; a province repeats its letters, agency names, titles and dates 100,000
    times, so records keep one copy each (a bounded table, emptied when full)."""
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    try:
        return _SHARED.setdefault(value, value)
    except TypeError:  # not hashable: not a value records repeat
        return value


def shared_values(mapping: dict) -> dict:
    """A copy of ``mapping`` whose text values are ``shared``."""
    return {key: shared(value) if isinstance(value, str) else value
            for key, value in mapping.items()}


_SET = object.__setattr__
_SHARED: dict = {}
_SHARED_LIMIT = 1 << 18
_SHARED_FIELDS = frozenset({"kind", "agency", "status", "lock_reason"})
_MAILBOX_FIELDS = tuple(f.name for f in fields(Mailbox))
_MAILBOX_NAMES = frozenset(_MAILBOX_FIELDS)
_DEFAULTS = {f.name: f.default for f in fields(Mailbox) if f.default is not MISSING}
_REQUIRED = frozenset(f.name for f in fields(Mailbox)
                      if f.default is MISSING and f.default_factory is MISSING)


class DesiredStateError(ValueError):
    """The desired-state file cannot be used (HYR001, HYR002)."""


def load_desired(path: str, domain: str, error: type[Exception] = DesiredStateError
                 ) -> list[Mailbox]:
    """The validated mailboxes of ``path``; refuses a file made for another domain."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as failure:
        raise error(render("HYR001", path=path, failure=reason(failure))) from failure
    if str(data.get("domain", "")).lower() != domain:
        raise error(render("HYR002", path=path, found=data.get("domain"), domain=domain))
    return [Mailbox.from_dict(item) for item in data.get("mailboxes", [])]
