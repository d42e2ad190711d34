"""The rules of Điều 8 a password chosen by its user must meet, one rule a row.

Pure: the caller hands in what a rule needs (the current password, already verified; the
recent hashes and a function that checks one; the mailbox's local part and holder's name).
Each rule has its own code (password/messages.py) so the page shows every problem at once,
each in its own sentence; nothing here ever puts the password into a message.

The common-password rule compares two forms with a list: the whole password in lower case,
and its "core", the letters left once the digits and signs at both ends are taken off and
look-alike signs read as letters (``P@ssw0rd#2026`` → ``password``; ``Matkhau@123`` →
``matkhau``). The list is Debian's python3-zxcvbn ``passwords`` frequency list when that
package is importable, else the vendored extract of the same list (common_passwords.py),
both with the province's own few words (LOCAL_WORDS).
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import common_passwords
from .messages import render

MIN_LENGTH = 8  # Điều 8; the inventory may ask more (mailserver_password_min_length)
MAX_LENGTH = 128  # no rule of Điều 8: a bound on what the service hashes
RECENT = 5  # how many earlier passwords of an account are remembered (password-history)
# Any printable ASCII character that is neither a letter nor a digit (space excluded).
SPECIALS = frozenset(string.punctuation)
# Read as letters when looking for a common word under a password (``p@ssw0rd``).
LOOK_ALIKES = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e",
                             "$": "s", "5": "s", "7": "t", "+": "t"})
EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
# Words of the province's own passwords that no international list has (our own choice).
LOCAL_WORDS = frozenset({
    "abc", "abcd", "admin", "matkhau", "hungyen", "hungyentinh", "vietnam", "congvu",
    "thudientu", "email", "ubnd", "sotttt", "quantri", "anhyeuem", "xinchao", "hanoi",
})
# A name word shorter than this is not looked for (``An``, ``Lê`` are inside many words).
NAME_WORD_MIN = 3
LOCAL_PART_MIN = 3


@dataclass(frozen=True)
class Problem:
    """One rule the password does not meet: its code and the message people read."""

    code: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Context:
    """What the rules look at besides the new password (never shown to anyone)."""

    min_length: int = MIN_LENGTH
    current: str | None = None
    recent_hashes: tuple[str, ...] = ()
    verify: Callable[[str, str], bool] | None = None  # (hash, password) -> matches
    local_part: str = ""
    name: str = ""


def _printable_ascii(password: str, _context: Context) -> bool:
    return all(" " <= c <= "~" for c in password) and password == password.strip()


# (code, the check that must hold, the message's fields): in the order the page lists them.
RULES: tuple[tuple[str, Callable[[str, Context], bool], Callable[[Context], dict]], ...] = (
    ("HYM001", lambda p, c: len(p) >= c.min_length, lambda c: {"min_length": c.min_length}),
    ("HYM012", lambda p, c: len(p) <= MAX_LENGTH, lambda c: {"max_length": MAX_LENGTH}),
    ("HYM011", _printable_ascii, lambda c: {}),
    ("HYM002", lambda p, c: any("A" <= ch <= "Z" for ch in p), lambda c: {}),
    ("HYM003", lambda p, c: any("a" <= ch <= "z" for ch in p), lambda c: {}),
    ("HYM004", lambda p, c: any("0" <= ch <= "9" for ch in p), lambda c: {}),
    ("HYM005", lambda p, c: any(ch in SPECIALS for ch in p), lambda c: {}),
    ("HYM006", lambda p, c: c.current is None or p != c.current, lambda c: {}),
    ("HYM007", lambda p, c: not _recent(p, c), lambda c: {"count": RECENT}),
    ("HYM008", lambda p, c: not _has_local_part(p, c.local_part),
     lambda c: {"local_part": c.local_part}),
    ("HYM009", lambda p, c: not _has_name(p, c.name), lambda c: {}),
    ("HYM010", lambda p, c: not is_common(p), lambda c: {}),
)
CODES = tuple(code for code, _check, _fields in RULES)


def check(password: str, context: Context = Context()) -> list[Problem]:
    """Every rule ``password`` breaks, in the table's order; empty: it may be used."""
    return [Problem(code, render(code, **fields(context)))
            for code, holds, fields in RULES if not holds(password, context)]


def ascii_fold(text: str) -> str:
    """Lower case, no diacritics (``đ`` as ``d``): the project's folding of Vietnamese
    (as render.ascii_text and glossary.fold_key do), with no third-party module."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _recent(password: str, context: Context) -> bool:
    if context.verify is None:
        return False
    return any(context.verify(hashed, password) for hashed in context.recent_hashes[-RECENT:])


def _forms(password: str) -> set[str]:
    """The password in lower case, and read with look-alike signs as letters."""
    lower = password.lower()
    return {lower, lower.translate(LOOK_ALIKES)}


def _has_local_part(password: str, local_part: str) -> bool:
    local = local_part.lower()
    pieces = {local, *re.split(r"[._+-]", local)}
    wanted = {piece for piece in pieces if len(piece) >= LOCAL_PART_MIN}
    return any(piece in form for form in _forms(password) for piece in wanted)


def _has_name(password: str, name: str) -> bool:
    """The holder's name, without diacritics: any word of it of NAME_WORD_MIN letters or
    more, or the whole name written together."""
    words = re.findall(r"[a-z]+", ascii_fold(name))
    wanted = {word for word in words if len(word) >= NAME_WORD_MIN}
    if len(words) > 1:
        wanted.add("".join(words))
    return any(word in form for form in _forms(password) for word in wanted)


def is_common(password: str) -> bool:
    """Whether the password, or the word under its digits and signs, is a common one."""
    lower = password.lower()
    if lower in _full_list():
        return True
    core = EDGES.sub("", lower).translate(LOOK_ALIKES)
    core = EDGES.sub("", core)
    return core.isalpha() and (core in LOCAL_WORDS or core in _word_list())


@functools.lru_cache(maxsize=1)
def _zxcvbn_passwords() -> tuple[str, ...] | None:
    """Debian's python3-zxcvbn ``passwords`` frequency list, when installed."""
    try:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS
    except ImportError:
        return None
    return tuple(FREQUENCY_LISTS.get("passwords", ()))


def list_source() -> str:
    """Which list the common-password rule uses on this host (for the helper's log)."""
    return "python3-zxcvbn" if _zxcvbn_passwords() is not None else "vendored"


@functools.lru_cache(maxsize=1)
def _word_list() -> frozenset[str]:
    found = _zxcvbn_passwords()
    if found is None:
        return common_passwords.WORDS
    return common_passwords.WORDS | _words_of(found)


def _words_of(entries: Iterable[str]) -> frozenset[str]:
    return frozenset(entry for entry in entries if re.fullmatch(r"[a-z]{4,}", entry))


@functools.lru_cache(maxsize=1)
def _full_list() -> frozenset[str]:
    found = _zxcvbn_passwords()
    return common_passwords.FULL | frozenset(found or ())
