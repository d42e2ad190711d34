"""From validated agency files to the desired mailboxes the planner reconciles."""

from __future__ import annotations

import json

from .model import Mailbox, Request
from .validate import AgencyFile, Entry


def build_mailboxes(agencies: list[AgencyFile]) -> list[Mailbox]:
    """Every declared mailbox, in a stable order (by address)."""
    mailboxes = [to_mailbox(agency, entry) for agency in agencies for entry in agency.entries
                 if entry.role != "previous"]
    return sorted(mailboxes, key=lambda mailbox: mailbox.address)


def to_mailbox(agency: AgencyFile, entry: Entry) -> Mailbox:
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
        request=_request(item.get("request")),
        password_reset=_request(item.get("password_reset")),
        directory=directory_data(agency, item, entry.role),
    )


def _request(letter: dict | None) -> Request | None:
    return Request(str(letter["number"]), str(letter["date"])) if letter else None


def directory_data(agency: AgencyFile, item: dict, role: str) -> dict:
    """What the published directory shows (Điều 11.3): unit, title, phone."""
    data = {"agency_name": agency.data["agency"]["name"]}
    if role == "person":
        divisions = {d.get("abbreviation"): d.get("name")
                     for d in agency.data.get("divisions") or ()}
        data.update(title=item.get("title"), division=divisions.get(item.get("division")),
                    phone=item.get("phone"), publish=bool(item.get("publish", False)))
    return data


def desired_document(domain: str, mailboxes: list[Mailbox]) -> str:
    """The desired-state JSON handed to the mail host's reconcile."""
    payload = {"domain": domain, "mailboxes": [mailbox.to_dict() for mailbox in mailboxes]}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)
