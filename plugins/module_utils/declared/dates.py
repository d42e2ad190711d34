"""Dates as clerks write them: the files keep yyyy-mm-dd; any other form is read day first.

A Vietnamese clerk writes 1 March 2024 as ``1/3/2024``, ``01-03-2024``, ``01.03.2024``,
``1/3/24`` or ``ngày 1 tháng 3 năm 2024``; a spreadsheet may give ``2024/03/01`` or
``2024-3-1``. ``read_date`` says which of these a text is and, when it names a real day,
that day as yyyy-mm-dd, so the message can give the clerk the value to write (HY014)
rather than call a real date impossible. Only a date impossible read day first
(``30/02/2024``, ``2024-02-30``) is impossible (HY034).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

ISO = re.compile(r"\d{4}-\d{2}-\d{2}\Z")

# Each form: its pattern, and the order of its groups (d: day, m: month, y: year).
_SEPARATOR = r"\s*[/.-]\s*"
_FORMS = (
    (re.compile(rf"(\d{{4}}){_SEPARATOR}(\d{{1,2}}){_SEPARATOR}(\d{{1,2}})\Z"), "ymd"),
    (re.compile(rf"(?:ngày\s+)?(\d{{1,2}}){_SEPARATOR}(\d{{1,2}}){_SEPARATOR}(\d{{4}}|\d{{2}})\Z",
                re.IGNORECASE), "dmy"),
    (re.compile(r"(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\Z",
                re.IGNORECASE), "dmy"),
)


@dataclass(frozen=True)
class DateReading:
    """What a date text is: ``iso`` (written as the files keep dates, a real day),
    ``other`` (another form naming a real day), ``impossible`` (a date form naming no real
    day) or ``unknown`` (no date form); ``value`` is the day as yyyy-mm-dd when real."""

    kind: str
    value: str | None = None


def read_date(text: str) -> DateReading:
    """``text`` read day first: ``1/3/2024`` is 1 March 2024, given as ``2024-03-01``."""
    cleaned = " ".join(text.split())
    if ISO.match(cleaned):
        day = _day(int(cleaned[:4]), int(cleaned[5:7]), int(cleaned[8:]))
        if day is None:
            return DateReading("impossible")
        return DateReading("iso" if cleaned == text else "other", day)
    for pattern, order in _FORMS:
        found = pattern.match(cleaned)
        if not found:
            continue
        parts = dict(zip(order, (int(group) for group in found.groups()), strict=True))
        year = parts["y"]
        if year < 100:  # d/m/yy: this century's
            year += 2000
        day = _day(year, parts["m"], parts["d"])
        return DateReading("other", day) if day else DateReading("impossible")
    return DateReading("unknown")


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None
