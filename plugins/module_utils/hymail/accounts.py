"""The server's actual state: one backend-neutral record per account (no secrets)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from .model import Mailbox, Request

# Fields a plan shows and a backend records; timestamps are the backend's own business.
VIEW_FIELDS = (
    "address", "kind", "agency", "name", "status", "lock_reason", "aliases",
    "delegates", "request", "password_reset", "must_change", "directory",
)


@dataclass(frozen=True)
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

    def view(self) -> dict:
        """The plan's and diff's picture of the account: declared fields, no timestamps."""
        data = self.to_dict()
        return {key: data[key] for key in VIEW_FIELDS}

    def to_dict(self) -> dict:
        """Plain JSON-ready data (``dataclasses.asdict`` deep-copies and is much slower)."""
        data = {name: getattr(self, name) for name in _FIELD_ORDER}
        for key in ("request", "password_reset"):
            if data[key] is not None:
                data[key] = {"number": data[key].number, "date": data[key].date}
        data["aliases"], data["delegates"] = list(self.aliases), list(self.delegates)
        data["directory"] = dict(self.directory)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Account:
        data = {key: value for key, value in data.items() if key in _FIELD_NAMES}
        for key in ("request", "password_reset"):
            if data.get(key):
                data[key] = Request(**data[key])
        data["aliases"] = tuple(data.get("aliases") or ())
        data["delegates"] = tuple(data.get("delegates") or ())
        data["directory"] = dict(data.get("directory") or {})
        return cls(**data)

    def evolve(self, **changes) -> Account:
        """A copy with some fields changed (records are frozen)."""
        return replace(self, **changes)


_FIELD_ORDER = tuple(f.name for f in fields(Account))
_FIELD_NAMES = frozenset(_FIELD_ORDER)


def account_from_mailbox(mailbox: Mailbox, aliases: tuple[str, ...] = ()) -> Account:
    """The account a newly created mailbox gets: active, must change its password."""
    return Account(
        address=mailbox.address, agency=mailbox.agency, kind=mailbox.kind,
        name=mailbox.name, aliases=aliases, delegates=tuple(sorted(mailbox.delegates)),
        request=mailbox.request, password_reset=mailbox.password_reset,
        must_change=True, directory=dict(mailbox.directory),
    )
