"""The project's own figures for Prometheus, written as a textfile that node exporter's
textfile collector serves (``<state_dir>/metrics/hymail.prom``, issue 17).

What the mail host alone knows is read from the state directory each time the file is
written: pending notices (``outbox/``), the newest verified backup (``backups/``), the
mailboxes by status (the served files), the server certificate's expiry. What a playbook
knows (an apply's start, duration and changes; a drift check's count) is recorded in
``<state_dir>/metrics/events.json`` by the step that knows it, and kept for the next writes.

Only counts and times: no address, no name, nothing a notice carries. The functions that
read or compute are pure (state in, samples out); ``write`` is the one writer.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess

from ..common.files import replace_atomically

TEXTFILE = "hymail.prom"
EVENTS = "events.json"
# node exporter reads the directory as its own user (prometheus): the figures are not secret.
DIR_MODE = 0o755
FILE_MODE = 0o644
# apply_start: when the apply began (its ``at``), for the duration the apply event records.
EVENT_KINDS = ("apply_start", "apply", "drift", "backup")

# name -> (type, help); the order of the file.
METRICS = {
    "hymail_metrics_written_timestamp_seconds": (
        "gauge", "When this file was last written (Unix time)."),
    "hymail_last_apply_timestamp_seconds": (
        "gauge", "When the last apply ended (Unix time); absent before the first."),
    "hymail_last_apply_duration_seconds": ("gauge", "How long the last apply took."),
    "hymail_last_apply_changes": ("gauge", "How many changes the last apply made."),
    "hymail_notices_pending": ("gauge", "Notices waiting in the outbox."),
    "hymail_notices_oldest_pending_timestamp_seconds": (
        "gauge", "When the oldest pending notice was written (Unix time); 0 when none."),
    "hymail_backups_verified": ("gauge", "Complete, verified backups kept."),
    "hymail_backup_newest_verified_timestamp_seconds": (
        "gauge", "When the newest backup was verified (Unix time); 0 when none."),
    "hymail_drift_items": ("gauge", "Drift items found by the last drift check."),
    "hymail_drift_checked_timestamp_seconds": (
        "gauge", "When the last drift check ran (Unix time); absent before the first."),
    "hymail_mailboxes": ("gauge", "Mailboxes on the server by status."),
    "hymail_mailboxes_locked": ("gauge", "Locked mailboxes on the server."),
    "hymail_ssl_cert_expiry_timestamp_seconds": (
        "gauge", "When the server certificate expires (Unix time)."),
}


def metrics_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "metrics")


def unix(stamp: str | None) -> float | None:
    """An ISO 8601 time (Z or an offset) as Unix seconds; None when missing or unreadable."""
    if not stamp:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


# --- reading the state directory (no writes) --------------------------------------------

def pending_notices(outbox: dict[str, list[dict]]) -> tuple[int, float]:
    """(count, oldest created as Unix time or 0) of ``read_outbox``'s result."""
    notices = [notice for lines in outbox.values() for notice in lines]
    times = [t for t in (unix(n.get("created")) for n in notices) if t is not None]
    return len(notices), (min(times) if times else 0.0)


def verified_backups(infos: dict[str, dict]) -> tuple[int, float]:
    """(count, newest verified as Unix time or 0) of the backups' backup.json by name."""
    times = [t for t in (unix(info.get("verified")) for info in infos.values())
             if t is not None]
    return len(times), (max(times) if times else 0.0)


def mailboxes_by_status(statuses: list[str]) -> dict[str, int]:
    counts = {"active": 0, "locked": 0, "revoked": 0}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def cert_not_after(text: str) -> float | None:
    """``openssl x509 -enddate -noout``'s ``notAfter=Dec  6 12:00:00 2027 GMT`` as Unix time."""
    value = text.strip().partition("=")[2].strip()
    try:
        moment = datetime.datetime.strptime(value, "%b %d %H:%M:%S %Y %Z")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.UTC).timestamp()


def read_cert_expiry(cert: str | None) -> float | None:
    if not cert or not os.path.isfile(cert):
        return None
    result = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", cert],
                            capture_output=True, text=True, check=False)
    return cert_not_after(result.stdout) if result.returncode == 0 else None


def read_backup_infos(backup_dir: str) -> dict[str, dict]:
    from ..backup.archive import complete, read_info

    infos = {}
    for name in complete(backup_dir):
        try:
            infos[name] = read_info(os.path.join(backup_dir, name))
        except (OSError, ValueError):
            continue
    return infos


def read_events(state_dir: str) -> dict:
    path = os.path.join(metrics_dir(state_dir), EVENTS)
    try:
        with open(path, encoding="utf-8") as handle:
            events = json.load(handle)
    except (OSError, ValueError):
        return {}
    return events if isinstance(events, dict) else {}


# --- the samples and the text -----------------------------------------------------------

def samples(now: float, events: dict, notices: tuple[int, float], backups: tuple[int, float],
            statuses: dict[str, int] | None, cert_expiry: float | None) -> list[tuple]:
    """(name, labels, value) of every figure, in METRICS' order."""
    found = [("hymail_metrics_written_timestamp_seconds", {}, now)]
    apply = events.get("apply") or {}
    if apply.get("at") is not None:
        found += [("hymail_last_apply_timestamp_seconds", {}, apply["at"]),
                  ("hymail_last_apply_duration_seconds", {}, apply.get("duration", 0)),
                  ("hymail_last_apply_changes", {}, apply.get("changes", 0))]
    found += [("hymail_notices_pending", {}, notices[0]),
              ("hymail_notices_oldest_pending_timestamp_seconds", {}, notices[1]),
              ("hymail_backups_verified", {}, backups[0]),
              ("hymail_backup_newest_verified_timestamp_seconds", {}, backups[1])]
    drift = events.get("drift") or {}
    if drift.get("at") is not None:
        found += [("hymail_drift_items", {}, drift.get("count", 0)),
                  ("hymail_drift_checked_timestamp_seconds", {}, drift["at"])]
    if statuses is not None:
        found += [("hymail_mailboxes", {"status": status}, count)
                  for status, count in sorted(statuses.items())]
        found.append(("hymail_mailboxes_locked", {}, statuses.get("locked", 0)))
    if cert_expiry is not None:
        found.append(("hymail_ssl_cert_expiry_timestamp_seconds", {}, cert_expiry))
    order = list(METRICS)
    return sorted(found, key=lambda sample: order.index(sample[0]))


def render(found: list[tuple]) -> str:
    """The Prometheus text exposition format: HELP and TYPE once per name."""
    lines, seen = [], set()
    for name, labels, value in found:
        if name not in seen:
            kind, text = METRICS[name]
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            seen.add(name)
        label_text = ",".join(f'{key}="{val}"' for key, val in sorted(labels.items()))
        lines.append(f"{name}{{{label_text}}} {_number(value)}" if label_text
                     else f"{name} {_number(value)}")
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def record_event(events: dict, kind: str, fields: dict) -> dict:
    """``events`` with ``kind``'s record replaced by ``fields`` (numbers only)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown metrics event {kind!r}")
    clean = {key: float(value) for key, value in fields.items() if value is not None}
    return {**events, kind: clean}


# --- the one writer ---------------------------------------------------------------------

def record_only(state_dir: str, event: str, fields: dict) -> dict:
    """Record ``event`` and leave the textfile as it is: an apply's start, which no figure
    shows (the apply's end records its duration from it and writes the file), so reading
    every mailbox's status for it (3 s at 100,000) would be wasted."""
    _recorded(state_dir, event, fields)
    return {"path": os.path.join(metrics_dir(state_dir), TEXTFILE), "samples": []}


def _recorded(state_dir: str, event: str | None, fields: dict | None) -> dict:
    """The events with ``event`` (if any) recorded in events.json."""
    directory = metrics_dir(state_dir)
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, DIR_MODE)
    events = read_events(state_dir)
    if event:
        events = record_event(events, event, fields or {})
        replace_atomically(os.path.join(directory, EVENTS),
                           json.dumps(events, sort_keys=True) + "\n", FILE_MODE)
    return events


def write(state_dir: str, now: float, event: str | None = None, fields: dict | None = None,
          backup_dir: str | None = None, cert: str | None = None,
          statuses: list[str] | None = None) -> dict:
    """Record ``event`` (if any), read the state directory, write the textfile; returns
    the path and the samples. ``statuses``: every mailbox's status (None: unknown)."""
    from ..notices.outbox import outbox_dir, read_outbox

    events = _recorded(state_dir, event, fields)
    found = samples(
        now, events, pending_notices(read_outbox(outbox_dir(state_dir))),
        verified_backups(read_backup_infos(backup_dir or os.path.join(state_dir, "backups"))),
        None if statuses is None else mailboxes_by_status(statuses),
        read_cert_expiry(cert))
    path = os.path.join(metrics_dir(state_dir), TEXTFILE)
    replace_atomically(path, render(found), FILE_MODE)
    return {"path": path, "samples": [list(sample) for sample in found]}
