"""From validated agency files to the desired mailboxes the planner reconciles."""

from __future__ import annotations

import json

from .model import Mailbox, Request
from .validate import AgencyFile, Entry


def build_mailboxes(agencies: list[AgencyFile]) -> list[Mailbox]:
    """Every declared mailbox, in a stable order (by address)."""
    mailboxes = [mailbox for agency in agencies for mailbox in agency_mailboxes(agency)]
    return sorted(mailboxes, key=lambda mailbox: mailbox.address)


def agency_mailboxes(agency: AgencyFile) -> list[Mailbox]:
    """The mailboxes one agency file declares, in file order."""
    divisions = _division_names(agency)
    return [to_mailbox(agency, entry, divisions) for entry in agency.entries
            if entry.role != "previous"]


def to_mailbox(agency: AgencyFile, entry: Entry, divisions: dict | None = None) -> Mailbox:
    item = entry.item
    return Mailbox(
        address=entry.address,
        kind=entry.role,
        agency=agency.id,
        name=entry.name,
        status=item.get("status", "active"),
        lock_reason=item.get("lock_reason"),
        previous=tuple(item.get("previous_addresses") or ()),
        delegates=tuple(item.get("delegates") or ()),
        request=_request(item.get("basis") or item.get("request")),
        password_reset=_request(item.get("password_reset")),
        directory=directory_data(agency, item, entry.role, divisions),
        quota=item.get("quota"),
    )


def _request(letter: dict | None) -> Request | None:
    """The record's letter: a request letter, or a basis (which carries its issuer)."""
    return Request.from_dict(letter) if isinstance(letter, dict) else None


def _division_names(agency: AgencyFile) -> dict:
    return {d.get("abbreviation"): d.get("name") for d in agency.data.get("divisions") or ()}


def directory_data(agency: AgencyFile, item: dict, role: str,
                   divisions: dict | None = None) -> dict:
    """What the published directory shows (Điều 11.3): unit, title, phone; the agency
    mailbox also carries the agency's kind and parent, for reports by district."""
    data = {"agency_name": agency.data["agency"]["name"]}
    if role == "agency":
        head = agency.data["agency"]
        data["agency_kind"] = head.get("kind")
        if head.get("parent"):
            data["parent"] = head["parent"]
    if role == "person":
        divisions = _division_names(agency) if divisions is None else divisions
        data.update(title=item.get("title"), division=divisions.get(item.get("division")),
                    phone=item.get("phone"), publish=bool(item.get("publish", False)))
    return data


def desired_document(domain: str, mailboxes: list[Mailbox]) -> str:
    """The desired-state JSON handed to the mail host's reconcile."""
    return desired_text(domain, [mailbox_json(mailbox) for mailbox in mailboxes])


def mailbox_json(mailbox: Mailbox) -> str:
    """One mailbox of the desired-state document, as its JSON text."""
    return json.dumps(mailbox.to_dict(), ensure_ascii=False, sort_keys=True)


def agency_fragments(agency: AgencyFile) -> list[tuple[str, str]]:
    """(address, JSON text) of each mailbox of one file: made where the file is read, so
    a tree read in parallel is also turned into JSON in parallel."""
    return [(mailbox.address, mailbox_json(mailbox)) for mailbox in agency_mailboxes(agency)]


def desired_text(domain: str, mailbox_texts: list[str]) -> str:
    """The document ``json.dumps({"domain": ..., "mailboxes": [...]}, sort_keys=True)``
    gives, from mailboxes already in JSON (byte for byte the same)."""
    head = json.dumps({"domain": domain}, ensure_ascii=False)[:-1]
    return f'{head}, "mailboxes": [{", ".join(mailbox_texts)}]}}'
