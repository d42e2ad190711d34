"""The server's actual state: one backend-neutral record per account (no secrets)."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields

from ..declared.model import Mailbox, Request, new_record, shared, shared_values

# Fields a plan shows and a backend records; timestamps are the backend's own business.
VIEW_FIELDS = (
    "address", "kind", "agency", "name", "status", "lock_reason", "aliases",
    "delegates", "request", "password_reset", "must_change", "directory", "quota",
)


@dataclass(frozen=True, slots=True)  # slots: a server holds 100,000 of them
class Account:
    """One account as it exists on the mail server; ``address`` is the local part.

    ``aliases`` are older local parts that deliver here; ``password_reset`` is the
    request letter of the last reset done (compared with ``Mailbox.password_reset``).
    """

    address: str
    status: str = "active"
    lock_reason: str | None = None
    agency: str = ""
    kind: str = ""
    name: str = ""
    aliases: tuple[str, ...] = ()
    delegates: tuple[str, ...] = ()
    request: Request | None = None
    password_reset: Request | None = None
    must_change: bool = False
    directory: dict = field(default_factory=dict, compare=False, hash=False)
    created: str | None = None
    changed: str | None = None
    password_changed: str | None = None
    quota: str | None = None  # the mailbox's own size limit; None: the inventory's

    def view(self) -> dict:
        """The plan's and diff's picture of the account: declared fields, no timestamps.

        Built directly (a plan of 100,000 creates asks for 100,000 of them): the same dict
        as ``to_dict`` restricted to VIEW_FIELDS, in that order (``quota`` only when set).
        """
        view = {
            "address": self.address, "kind": self.kind, "agency": self.agency,
            "name": self.name, "status": self.status, "lock_reason": self.lock_reason,
            "aliases": list(self.aliases), "delegates": list(self.delegates),
            "request": _request_dict(self.request),
            "password_reset": _request_dict(self.password_reset),
            "must_change": self.must_change, "directory": dict(self.directory),
        }
        if self.quota is not None:
            view["quota"] = self.quota
        return view

    def to_dict(self) -> dict:
        """Plain JSON-ready data (``dataclasses.asdict`` deep-copies and is much slower)."""
        data = {name: getattr(self, name) for name in _FIELD_ORDER}
        for key in ("request", "password_reset"):
            if data[key] is not None:
                data[key] = data[key].to_dict()
        data["aliases"], data["delegates"] = list(self.aliases), list(self.delegates)
        data["directory"] = dict(self.directory)
        if data["quota"] is None:
            del data["quota"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Account:
        """The account ``to_dict`` gave (unknown keys ignored); repeated values (letters,
        agency names, timestamps) are kept once (``model.shared``)."""
        data = {key: shared(value) if key in _SHARED_FIELDS else value
                for key, value in data.items() if key in _FIELD_NAMES}
        for key in ("request", "password_reset"):
            if data.get(key):
                data[key] = shared(Request(**data[key]))
        data["aliases"] = tuple(data.get("aliases") or ())
        data["delegates"] = tuple(data.get("delegates") or ())
        data["directory"] = shared_values(data.get("directory") or {})
        if "address" not in data:
            raise TypeError("Account needs an address")
        return new_record(cls, _DEFAULTS | data)

    def evolve(self, **changes) -> Account:
        """A copy with some fields changed (records are frozen).

        Copies the fields rather than calling ``dataclasses.replace``, which runs
        ``__init__`` again and is five times slower: loading and planning a province
        evolve 200,000 records.
        """
        if not changes.keys() <= _FIELD_NAMES:
            raise TypeError(f"Account has no field {sorted(changes.keys() - _FIELD_NAMES)}")
        values = {name: getattr(self, name) for name in _FIELD_ORDER}
        values.update(changes)
        return new_record(type(self), values)


def _request_dict(request: Request | None) -> dict | None:
    return None if request is None else request.to_dict()  # a basis keeps its issuer


_FIELD_ORDER = tuple(f.name for f in fields(Account))
_FIELD_NAMES = frozenset(_FIELD_ORDER)
_DEFAULTS = {f.name: f.default for f in fields(Account) if f.default is not MISSING}
_SHARED_FIELDS = frozenset({"status", "lock_reason", "agency", "kind", "created", "changed",
                            "password_changed"})


def account_from_mailbox(mailbox: Mailbox, aliases: tuple[str, ...] = ()) -> Account:
    """The account a newly created mailbox gets: active, must change its password."""
    return Account(
        address=mailbox.address, agency=mailbox.agency, kind=mailbox.kind,
        name=mailbox.name, aliases=aliases, delegates=tuple(sorted(mailbox.delegates)),
        request=mailbox.request, password_reset=mailbox.password_reset,
        must_change=True, directory=dict(mailbox.directory), quota=mailbox.quota,
    )
