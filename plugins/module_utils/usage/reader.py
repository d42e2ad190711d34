"""Reads the usage records Dovecot writes on the mail host (the report's edge; the report's
core, ``publish/report.py``, receives a ``Usage`` and reads nothing).

- ``<state_dir>/usage/last-login/<address>``: Dovecot's ``last_login`` plugin, through the
  ``fs:posix`` dict, one small file per account holding the Unix time of its last login
  (100,000 accounts: 100,000 files, each rewritten alone at its own login).
- ``<state_dir>/usage/mailbox-open.log`` (and its rotated copies, ``.1``, ``.2.gz``...):
  Dovecot's debug log restricted by ``log_debug`` to the SELECT/EXAMINE commands that
  succeeded on ``shared/...`` folders, one line each: when a delegate opened an agency
  mailbox's folders. The line holds who, when and the folder's name, never a message.
  Its moments are the host's local time without a year (Dovecot's ``log_timestamp``): the
  year is the one that puts the moment at most a day after ``now``.
"""

from __future__ import annotations

import datetime
import gzip
import os
import re

from ..common.operation_messages import reason, render
from .data import Usage

USAGE_DIR = "usage"
LAST_LOGIN_DIR = "last-login"
OPEN_LOG = "mailbox-open.log"
SHARED_PREFIX = "shared/"
MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
LINE = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d) "
    r"imap\((?P<user>[^)]*)\)(?:<[^>]*>)*: Debug: Command finished: (?:SELECT|EXAMINE) "
    r"(?P<args>.*)$")


def usage_dir(state_dir: str) -> str:
    return os.path.join(state_dir, USAGE_DIR)


def read_usage(state_dir: str, now: datetime.datetime,
               tz: datetime.tzinfo | None = None) -> Usage | None:
    """Every record under ``<state_dir>/usage``; None when the directory is missing (the
    role has not configured the records yet: the report then says so, HYR020).
    ``tz``: the zone of the open log's moments (default: the host's local time)."""
    root = usage_dir(state_dir)
    if not os.path.isdir(root):
        return None
    warnings: list[str] = []
    logins = read_last_logins(os.path.join(root, LAST_LOGIN_DIR), warnings)
    opened, since = read_open_logs(root, now, tz, warnings)
    return Usage(logins, opened, since, tuple(warnings))


def read_last_logins(directory: str, warnings: list[str]) -> dict[str, str]:
    """address -> ISO moment (UTC) of its last login, one file per address."""
    found: dict[str, str] = {}
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return found
    for entry in entries:
        if not entry.is_file() or entry.name.startswith("."):
            continue  # fs:posix writes a temporary dot-file, then renames it
        try:
            with open(entry.path, encoding="ascii") as handle:
                seconds = int(handle.read().strip())
        except (OSError, ValueError, UnicodeDecodeError) as error:
            warnings.append(render("HYR021", path=entry.path, why=_why(error)))
            continue
        found[entry.name.lower()] = _iso(datetime.datetime.fromtimestamp(seconds, datetime.UTC))
    return found


def read_open_logs(root: str, now: datetime.datetime, tz: datetime.tzinfo | None,
                   warnings: list[str]) -> tuple[dict[str, str], str | None]:
    """owner address -> ISO moment (UTC) a delegate last opened its shared folders, and the
    oldest moment the logs hold."""
    opened: dict[str, str] = {}
    oldest: str | None = None
    for name in sorted(os.listdir(root)):
        if not name.startswith(OPEN_LOG):
            continue
        path = os.path.join(root, name)
        try:
            lines = _lines(path)
        except (OSError, EOFError, UnicodeDecodeError) as error:
            warnings.append(render("HYR021", path=path, why=_why(error)))
            continue
        for line in lines:
            found = parse_open_line(line, now, tz)
            if found is None:
                continue
            owner, moment = found
            if moment > opened.get(owner, ""):
                opened[owner] = moment
            oldest = moment if oldest is None or moment < oldest else oldest
    return opened, oldest


def _why(error: Exception) -> str:
    return reason(error) if isinstance(error, OSError) else "nội dung không đọc được"


def _lines(path: str) -> list[str]:
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read().splitlines()


def parse_open_line(line: str, now: datetime.datetime,
                    tz: datetime.tzinfo | None = None) -> tuple[str, str] | None:
    """(owner address, ISO moment in UTC) of one line where a user opened another's folder
    under ``shared/``; None for any other line."""
    match = LINE.match(line)
    if not match or match["month"] not in MONTHS:
        return None
    folder = first_argument(match["args"])
    if not folder.lower().startswith(SHARED_PREFIX):
        return None
    owner = folder[len(SHARED_PREFIX):].split("/", 1)[0].lower()
    if not owner or owner == match["user"].lower():
        return None
    moment = _moment(MONTHS[match["month"]], int(match["day"]), match["time"], now, tz)
    return (owner, _iso(moment)) if moment else None


def first_argument(args: str) -> str:
    """The folder's name: the first argument, unquoted (``"shared/a@b/Văn bản" (...)``)."""
    args = args.strip()
    if args.startswith('"'):
        end = re.search(r'(?<!\\)"', args[1:])
        return (args[1:end.start() + 1] if end else args[1:]).replace('\\"', '"')
    return args.split(" ", 1)[0]


def _moment(month: int, day: int, clock: str, now: datetime.datetime,
            tz: datetime.tzinfo | None) -> datetime.datetime | None:
    """The moment of a year-less local stamp: this year, or last year when this year's
    would be more than a day after ``now``."""
    hour, minute, second = (int(part) for part in clock.split(":"))
    for year in (now.year, now.year - 1):
        try:
            naive = datetime.datetime(year, month, day, hour, minute, second)
        except ValueError:  # 29 February of another year
            continue
        moment = naive.replace(tzinfo=tz) if tz else naive.astimezone()
        if moment <= now + datetime.timedelta(days=1):
            return moment
    return None


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat()
