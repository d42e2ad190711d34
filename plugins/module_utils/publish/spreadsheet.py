"""The one way the project writes a CSV file: safe to open in Excel or LibreOffice.

Excel evaluates a cell that starts with ``= + - @`` (and a tab or CR start hides one). A
Vietnamese Excel splits a file on ``;`` (the list separator), LibreOffice may split on a
tab: text that is one quoted cell for ``,`` becomes several cells for them. So every cell
is quoted, and every piece of a cell that some separator could make a cell of (its start,
and what follows each ``, ; tab CR LF``) is prefixed with ``'`` when its first non-space
character, after NFKC (fullwidth ``＝`` is ``=``), starts a formula.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a spreadsheet may split a cell on (``, ; tab``, the line ends) or open a quoted one
# with (``"``), kept by split.
_SEPARATOR = re.compile(r"([,;\t\r\n\"])")


def safe_cell(value) -> str:
    """``value`` as text no spreadsheet evaluates, whatever separator it splits on."""
    pieces = _SEPARATOR.split("" if value is None else str(value))
    pieces[::2] = [_neutral(piece) for piece in pieces[::2]]
    return _neutral("".join(pieces))  # a cell starting with a tab or CR, too


def _neutral(piece: str) -> str:
    """``'`` before a piece whose first non-space character, after NFKC (``＝`` is
    ``=``), starts a formula."""
    if unicodedata.normalize("NFKC", piece).lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + piece
    return piece


def csv_bytes(header: tuple, rows) -> bytes:
    """UTF-8 with a BOM (Excel reads Vietnamese right) and CRLF rows, every cell quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
