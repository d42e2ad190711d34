"""Every CSV the project writes opens safely in Excel or LibreOffice, whatever list separator
they split on (a Vietnamese Excel uses ``;``): every cell quoted, no cell starting a formula
(issue 21, item 10; the security review's M7)."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.publish import directory as d
from ansible_collections.hungyen.mail.plugins.module_utils.publish import report_render
from ansible_collections.hungyen.mail.plugins.module_utils.publish.spreadsheet import (
    csv_bytes,
    safe_cell,
)

DOMAIN = "hungyen.gov.vn"
HOSTILE = (
    "12/UBND;=1+1;", " =1+1", "＝2+2", "＋84", "－1", "＠SUM(A1)", "=HYPERLINK(\"x\")",
    "X;=cmd|' /C calc'!A0;", "a\t=2+2", "\t=3", "\r=4", "a,=5", "a; -6", "a;\u00a0@7",
    "a;\u3000=8", "@all https://evil.example", "+84 221 3871 234", "-2-3", "a\n=9",
    "ok;\"=10\"", "\"=11", "a;'=12",
)
SEPARATORS = (",", ";", "\t")
FORMULA_CHARACTERS = ("=", "+", "-", "@")


def cells(raw: bytes, separator: str) -> list[str]:
    text = raw.decode("utf-8-sig")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    return [cell for row in rows for cell in row]


def formula_starts(raw: bytes) -> list[tuple[str, str]]:
    """Cells some separator makes of ``raw`` that a spreadsheet would evaluate."""
    found = []
    for separator in SEPARATORS:
        for cell in cells(raw, separator):
            # blanks and a quote the parser kept of a cell it split inside are skipped
            start = unicodedata.normalize("NFKC", cell).lstrip(" \t\r\n\"")
            if start.startswith(FORMULA_CHARACTERS):
                found.append((separator, cell))
    return found


def report_with(value: str) -> dict:
    """A one-change report whose free text (request number, name, approver) is ``value``."""
    entry = {"at": "2026-11-01T00:00:00+00:00", "action": "create", "address": "tvan",
             "agency": "tienlu", "name": value, "request": {"number": value,
                                                            "date": "2026-10-30"},
             "commit": value, "approved_by": value, "from_agency": value}
    return report_render.changes_csv([entry], DOMAIN)


def directory_with(value: str) -> bytes:
    listing = d.Listing(kind="person", name=value, email=f"tvan@{DOMAIN}", agency_id="tienlu",
                        agency_name=value, title=value, division=value, phone=value)
    return d.render_csv((listing,))


WRITERS = {"thaydoi.csv": report_with, "danhba.csv": directory_with,
           "csv_bytes": lambda value: csv_bytes(("a", "b"), [(value, value)])}


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("value", HOSTILE)
def test_no_separator_makes_a_formula_cell(writer, value):
    assert formula_starts(WRITERS[writer](value)) == []


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_cell_is_quoted(writer):
    text = WRITERS[writer]("Nguyễn Văn A").decode("utf-8-sig")
    for line in text.splitlines():
        row = next(csv.reader([line]))
        assert line == ",".join('"' + cell.replace('"', '""') + '"' for cell in row)


@pytest.mark.parametrize(("value", "expected"), [
    ("12/UBND-VP", "12/UBND-VP"),
    ("Phòng Tài chính - Kế hoạch", "Phòng Tài chính - Kế hoạch"),
    ("=1", "'=1"),
    (" =1", "' =1"),
    ("＝1", "'＝1"),
    ("12/UBND;=1+1;", "12/UBND;'=1+1;"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("", ""),
    (None, ""),
    (7, "7"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_the_comma_reading_keeps_the_text():
    row = cells(report_with("12/UBND-VP"), ",")
    assert "12/UBND-VP" in row and "tvan@hungyen.gov.vn" in row
