"""Figures of the periodic report (Điều 10.1.e, 11.5), per agency and for the province.

Pure: from the server's accounts, the journal and the declared mailboxes to one JSON-ready
dict: mailboxes by status, changes in the period, locked mailboxes with their reason and
age, initial passwords never changed after N days, and mailboxes per district (communes
roll up to their district). ``report_render`` turns it into Markdown, CSV and HTML.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from ..apply.journal import in_period
from ..common.clock import VIETNAM, local_day
from ..common.lifecycle import STATUSES
from ..declared.model import Mailbox
from ..plan.accounts import Account
from .directory import person_key, vietnamese_key

REPORT_VERSION = 1
KINDS = ("agency", "division", "person")
UNKNOWN = ""  # accounts whose agency nobody declares (drift): reported under "không rõ"


@dataclass(frozen=True)
class Period:
    """The report's period (ISO dates, both included), N days, and the moment it is made."""

    since: str
    until: str
    stale_days: int
    now: str  # ISO timestamp


def default_period(now: datetime.datetime, days: int = 30, stale_days: int = 7) -> Period:
    """The last ``days`` days, today included, in Vietnam's time."""
    until = now.astimezone(VIETNAM).date()
    return Period((until - datetime.timedelta(days=days - 1)).isoformat(), until.isoformat(),
                  stale_days, now.isoformat())


def build_report(accounts: dict[str, Account], journal: list[dict], desired: list[Mailbox],
                 period: Period, domain: str) -> dict:
    """Every figure of the report, province first, then agencies and districts."""
    agencies = agency_info(desired, accounts)
    changes = [e for e in journal if in_period(e, period.since, period.until)]
    rows = [mailbox_row(a, journal, changes, period, domain) for a in accounts.values()]
    rows.sort(key=lambda row: row_key(row, agencies))
    return {
        "version": REPORT_VERSION, "domain": domain, "generated": period.now,
        "period": {"since": period.since, "until": period.until},
        "stale_days": period.stale_days,
        "province": scope_figures(rows, changes),
        "agencies": agency_figures(agencies, rows, changes),
        "districts": district_figures(agencies, rows),
        "mailboxes": rows,
    }


def row_key(row: dict, agencies: dict[str, dict]) -> tuple:
    """Mailboxes in the order people read them: agencies by name in Vietnamese order, in
    each the agency's own mailbox, its divisions, then its people by given name."""
    agency = agencies.get(row["agency"]) or {"name": row["agency"]}
    kind = KINDS.index(row["kind"]) if row["kind"] in KINDS else len(KINDS)
    name = person_key(row["name"] or "") if row["kind"] == "person" else (
        vietnamese_key(row["name"] or ""), ())
    return (vietnamese_key(agency["name"]), row["agency"], kind, name, row["address"])


# ---------------------------------------------------------------- agencies


def agency_info(desired: list[Mailbox], accounts: dict[str, Account]) -> dict[str, dict]:
    """id -> name, kind and parent, from the declared agency mailboxes (then the server's)."""
    info: dict[str, dict] = {}
    records = [(m.agency, m.kind, m.directory) for m in desired]
    records += [(a.agency, a.kind, a.directory) for a in accounts.values() if a.agency]
    for agency, kind, directory in records:
        entry = info.setdefault(agency, {"id": agency, "name": "", "kind": "", "parent": None})
        entry["name"] = entry["name"] or directory.get("agency_name") or ""
        if kind == "agency" and not entry["kind"]:
            entry["kind"] = directory.get("agency_kind") or ""
            entry["parent"] = directory.get("parent")
    for entry in info.values():
        entry["name"] = entry["name"] or entry["id"]
        entry["district"] = district_of(entry, info)
    return info


def district_of(entry: dict, info: dict[str, dict]) -> str | None:
    """The district an agency rolls up to: itself, or a commune's parent; None for the
    province's own departments and units."""
    if entry["kind"] == "district":
        return entry["id"]
    if entry["kind"] == "commune" and entry["parent"]:
        return entry["parent"]
    return None


def agency_figures(info: dict[str, dict], rows: list[dict], changes: list[dict]) -> list[dict]:
    """One entry per agency (declared, on the server, or in the period's changes), in
    Vietnamese order of name."""
    own, related = _group(rows, ("agency",)), _group(changes, ("agency", "from_agency"))
    out = []
    for agency in set(info) | set(own) | set(related):
        meta = info.get(agency) or {"id": agency, "name": agency or "(không rõ cơ quan)",
                                    "kind": "", "parent": None, "district": None}
        out.append({**meta, **scope_figures(own.get(agency, []), related.get(agency, []))})
    return sorted(out, key=lambda a: (vietnamese_key(a["name"]), a["id"]))


def _group(items: list[dict], keys: tuple[str, ...]) -> dict[str, list[dict]]:
    """Items by the value of any of ``keys`` (an item may belong to two groups)."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        for value in {item.get(key) for key in keys if item.get(key) is not None}:
            groups.setdefault(value, []).append(item)
    return groups


def district_figures(info: dict[str, dict], rows: list[dict]) -> list[dict]:
    """Mailboxes (active and locked) per district, the district's communes included."""
    districts = {a: e for a, e in info.items() if e["kind"] == "district"}
    counts = Counter(info[row["agency"]]["district"] for row in rows
                     if row["agency"] in info and row["status"] != "revoked")
    members = Counter(e["district"] for e in info.values() if e["district"])
    out = [{"id": d, "name": e["name"], "agencies": members[d], "mailboxes": counts[d]}
           for d, e in districts.items()]
    return sorted(out, key=lambda d: (vietnamese_key(d["name"]), d["id"]))


# ---------------------------------------------------------------- figures


def scope_figures(rows: list[dict], changes: list[dict]) -> dict:
    """The figures of a set of mailboxes (an agency, or the province) and its changes."""
    return {
        "statuses": status_counts(rows),
        "by_kind": {kind: status_counts([r for r in rows if r["kind"] == kind])
                    for kind in KINDS},
        "changes": {"total": len(changes),
                    "by_action": dict(sorted(Counter(e["action"] for e in changes).items())),
                    "entries": sorted(changes, key=lambda e: (e["at"], e["address"]))},
        "locked": [row for row in rows if row["status"] == "locked"],
        "stale": [row for row in rows if row["stale"]],
    }


def status_counts(rows: list[dict]) -> dict:
    counts = Counter(row["status"] for row in rows)
    return {**{status: counts.get(status, 0) for status in STATUSES}, "total": len(rows)}


def mailbox_row(account: Account, journal: list[dict], changes: list[dict], period: Period,
                domain: str) -> dict:
    """One mailbox as the report lists it (no secret: statuses and dates only)."""
    now = datetime.datetime.fromisoformat(period.now)
    locked_since = _locked_since(account, journal) if account.status == "locked" else None
    issued = account.password_changed or account.created
    waiting = account.status == "active" and account.must_change and issued is not None
    days = _days(issued, now) if waiting else None
    return {
        "address": f"{account.address}@{domain}", "name": account.name,
        "kind": account.kind or "", "agency": account.agency or UNKNOWN,
        "status": account.status, "lock_reason": account.lock_reason,
        "locked_since": locked_since and local_day(locked_since),
        "locked_days": _days(locked_since, now) if locked_since else None,
        "must_change": waiting, "issued": issued and local_day(issued),
        "issued_days": days, "stale": days is not None and days >= period.stale_days,
        "changes": sum(e["address"] == account.address for e in changes),
    }


def _locked_since(account: Account, journal: list[dict]) -> str | None:
    """When the current lock began: the journal's last lock of the address, else the
    account's last change."""
    stamps = [e["at"] for e in journal
              if e.get("address") == account.address and e.get("action") == "lock"]
    return max(stamps) if stamps else account.changed


def _days(stamp: str, now: datetime.datetime) -> int:
    """Whole days from ``stamp`` to ``now``."""
    moment = datetime.datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.UTC)
    return max(0, (now - moment).days)
