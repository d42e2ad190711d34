"""The product's one clock: every moment it writes down or compares with comes from ``now()``.

Backup names and their retention, the journal's and the backup log's ``at``, the notices'
``created``, the holds, the apply's history and the report's default period all read it, so
a test or a rehearsal can move the clock for all of them at once, and nothing else does.

``HYMAIL_NOW`` (environment) moves it. It is read at every call, so it reaches the modules
that Ansible starts on the controller (a play on another host passes it with
``environment:``):

- unset or empty: the system clock, in UTC (production);
- an offset, a sign then one or more of ``<n>d``, ``<n>h``, ``<n>m``, ``<n>s``
  (``+365d``, ``-2h30m``): the system clock moved by that much, still running;
- a moment, ISO 8601 with its zone (``2026-11-29T12:00:00+00:00``): the clock stands
  there (two backups then need two moments: a backup name is its second).

Any other value is refused (HYC001), never replaced by the system clock in silence.
File modification times that Postfix and Dovecot compare with the real clock are not
moments of the product: they keep ``time.time``.
"""

from __future__ import annotations

import datetime
import os
import re

from .operation_messages import render

ENV = "HYMAIL_NOW"
# Vietnam's time (UTC+7, no daylight saving): the local days of notices and reports.
VIETNAM = datetime.timezone(datetime.timedelta(hours=7))
_OFFSET = re.compile(r"^([+-])((?:\d+[dhms])+)$")
_PART = re.compile(r"(\d+)([dhms])")
_UNIT = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class ClockError(ValueError):
    """``HYMAIL_NOW`` holds something that is neither an offset nor a moment."""


def system() -> datetime.datetime:
    """The system clock, in UTC (the only place the product reads it)."""
    return datetime.datetime.now(datetime.UTC)


def now() -> datetime.datetime:
    """Now, in UTC, to the second: the system clock, or as ``HYMAIL_NOW`` sets it."""
    return read(os.environ.get(ENV, "")).replace(microsecond=0)


def read(setting: str) -> datetime.datetime:
    """The time ``HYMAIL_NOW=setting`` gives (see the module's text); a standing moment
    does not look at the system clock at all."""
    setting = setting.strip()
    if not setting:
        return system()
    offset = _OFFSET.match(setting)
    if offset:
        delta = datetime.timedelta()
        for number, unit in _PART.findall(offset.group(2)):
            delta += datetime.timedelta(**{_UNIT[unit]: int(number)})
        return system() + delta if offset.group(1) == "+" else system() - delta
    try:
        moment = datetime.datetime.fromisoformat(setting)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ClockError(render("HYC001", env=ENV, setting=setting))
    return moment.astimezone(datetime.UTC)


def local_day(stamp: str) -> str:
    """The ISO date, in Vietnam's time, of an ISO timestamp (naive ones are UTC)."""
    moment = datetime.datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(VIETNAM).date().isoformat()


def vietnam_time(stamp: str) -> str:
    """An ISO timestamp as ``10:00 ngày 30/11/2026`` in Vietnam's time (UTC when it names no
    zone); text that is not a timestamp comes back as it is."""
    try:
        moment = datetime.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(VIETNAM).strftime("%H:%M ngày %d/%m/%Y")
