"""Figures of the periodic report (Điều 10.1.e, 11.5), per agency and for the province.

Pure: from the server's accounts, the journal and the declared mailboxes to one JSON-ready
dict: mailboxes by status, changes in the period, locked mailboxes with their reason and
age, initial passwords never changed after N days, and mailboxes per district (communes
roll up to their district), and the use of each mailbox (Điều 10.1.e, 12.2.a): agency
mailboxes nobody read in the last day, personal mailboxes never used N days after they were
created. The use comes in as a ``usage.data.Usage`` (read on the host by ``usage.reader``);
None when the server records none yet. ``report_render`` turns it into Markdown, CSV, HTML.
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
from ..usage.data import Usage
from .directory import person_key, vietnamese_key

REPORT_VERSION = 1
KINDS = ("agency", "division", "person")
UNKNOWN = ""  # accounts whose agency nobody declares (drift): reported under "không rõ"
# An agency mailbox is read every day (Điều 12.2.a): unread when nobody used it this long.
READ_WITHIN = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """The report's period (ISO dates, both included), N days for initial passwords, the
    moment it is made, and N days after which a personal mailbox never used is listed."""

    since: str
    until: str
    stale_days: int
    now: str  # ISO timestamp
    unused_days: int = 14


def default_period(now: datetime.datetime, days: int = 30, stale_days: int = 7,
                   unused_days: int = 14) -> Period:
    """The last ``days`` days, today included, in Vietnam's time."""
    until = now.astimezone(VIETNAM).date()
    return Period((until - datetime.timedelta(days=days - 1)).isoformat(), until.isoformat(),
                  stale_days, now.isoformat(), unused_days)


def build_report(accounts: dict[str, Account], journal: list[dict], desired: list[Mailbox],
                 period: Period, domain: str, usage: Usage | None = None) -> dict:
    """Every figure of the report, province first, then agencies and districts; ``usage``:
    the server's records of use (None: none recorded, the report lists no use)."""
    agencies = agency_info(desired, accounts)
    changes = [e for e in journal if in_period(e, period.since, period.until)]
    rows = [mailbox_row(a, journal, changes, period, domain, usage) for a in accounts.values()]
    rows.sort(key=lambda row: row_key(row, agencies))
    return {
        "version": REPORT_VERSION, "domain": domain, "generated": period.now,
        "period": {"since": period.since, "until": period.until},
        "stale_days": period.stale_days, "unused_days": period.unused_days,
        "usage": {"recorded": usage is not None,
                  "opened_since": usage.opened_since if usage else None},
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
        "unread": [row for row in rows if row["unread"]],
        "unused": [row for row in rows if row["unused"]],
    }


def status_counts(rows: list[dict]) -> dict:
    counts = Counter(row["status"] for row in rows)
    return {**{status: counts.get(status, 0) for status in STATUSES}, "total": len(rows)}


def mailbox_row(account: Account, journal: list[dict], changes: list[dict], period: Period,
                domain: str, usage: Usage | None = None) -> dict:
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
        **use_fields(account, f"{account.address}@{domain}", usage, period, now),
    }


def use_fields(account: Account, address: str, usage: Usage | None, period: Period,
               now: datetime.datetime) -> dict:
    """The mailbox's use: its owner's last login, a delegate's last opening, the latest of
    the two; ``unread``: an active agency mailbox nobody used within READ_WITHIN of now
    (Điều 12.2.a); ``unused``: an active personal mailbox never used, created at least
    ``unused_days`` days ago (Điều 10.1.e). Both False when no use is recorded at all."""
    last = usage.last_use(address) if usage else None
    active = usage is not None and account.status == "active"
    created_days = _days(account.created, now) if account.created else None
    return {
        "last_login": usage.logins.get(address.lower()) if usage else None,
        "last_opened": usage.opened.get(address.lower()) if usage else None,
        "last_used": last, "last_used_days": _days(last, now) if last else None,
        "created": account.created and local_day(account.created),
        "created_days": created_days,
        "unread": active and account.kind == "agency" and (
            last is None or _aware(now) - _aware(last) >= READ_WITHIN),
        "unused": active and account.kind == "person" and last is None
        and created_days is not None and created_days >= period.unused_days,
    }


def _locked_since(account: Account, journal: list[dict]) -> str | None:
    """When the current lock began: the journal's last lock of the address, else the
    account's last change."""
    stamps = [e["at"] for e in journal
              if e.get("address") == account.address and e.get("action") == "lock"]
    return max(stamps) if stamps else account.changed


def _days(stamp: str, now: datetime.datetime) -> int:
    """Whole days from ``stamp`` to ``now``."""
    return max(0, (_aware(now) - _aware(stamp)).days)


def _aware(moment: str | datetime.datetime) -> datetime.datetime:
    """A moment with its zone (naive ones are UTC)."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
