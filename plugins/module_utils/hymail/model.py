"""The desired-state and server-state records shared by the validator, planner and backends."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

KINDS = ("agency", "division", "person")
STATUSES = ("active", "locked", "revoked")
LOCK_REASONS = ("violation", "compromised", "spam_malware")


@dataclass(frozen=True)
class Request:
    """An official request letter (văn bản đề nghị): number and ISO date."""

    number: str
    date: str

    def label(self) -> str:
        return f"{self.number} ngày {self.date}"


@dataclass(frozen=True)
class Mailbox:
    """One declared mailbox, whatever declared it: agency, division or person.

    ``address`` is the local part; the domain belongs to the inventory.
    ``previous`` are older local parts kept as aliases after a rename (Điều 6.2.d).
    ``delegates`` are local parts of people who may read this mailbox (Điều 9.1).
    ``password_reset`` is the request letter of the latest reset asked for (Điều 9.2, 12.1).
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

    def to_dict(self) -> dict:
        """Plain data for JSON (``dataclasses.asdict`` deep-copies and is 10× slower)."""
        data = {name: getattr(self, name) for name in _MAILBOX_FIELDS}
        for key in ("request", "password_reset"):
            if data[key] is not None:
                data[key] = {"number": data[key].number, "date": data[key].date}
        data["previous"], data["delegates"] = list(self.previous), list(self.delegates)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Mailbox:
        data = dict(data)
        for key in ("request", "password_reset"):
            if data.get(key):
                data[key] = Request(**data[key])
        data["previous"] = tuple(data.get("previous") or ())
        data["delegates"] = tuple(data.get("delegates") or ())
        return cls(**data)


_MAILBOX_FIELDS = tuple(f.name for f in fields(Mailbox))
