"""The glossary check: the forms never to write, found in what people read (issue 20).

``findings(text, where)`` returns one line per problem, ``where:line: rule «phrase» …context…``.
``where`` names the output (a file path, or ``plan.md``, ``notice …``, ``report hopthu.csv``):
the allowlist's ``file`` globs match it, and a name ending in ``.csv`` or ``.html`` changes
two rules below. tests/unit/test_glossary.py runs it on every catalogue, template, schema
description and guide page; tests/e2e/test_vietnamese_outputs.py on the rendered outputs.

The text is read after NFC, case folding, folding of tone placement (``hoà`` = ``hòa``,
``uỷ`` = ``ủy``, ``khoá`` = ``khóa``) and with line breaks read as spaces (a phrase wrapped
over two lines is found). The rules, each matching whole words only:

1. ``avoid``: every ``Term.avoid`` of the glossary (``tạo mới``, ``mở khóa``, ``người được
   giao``…), unless the match overlaps a ``glossary.HOMONYMS`` phrase (``tạm khóa hộp thư``
   holds ``khóa hộp thư`` inside ``tạm khóa``).
2. ``khóa``: the word ``khóa`` outside every ``HOMONYMS`` phrase (``tạm khóa``, ``đang tạm
   khóa``, ``lý do tạm khóa``, ``từ khóa``, ``khóa DKIM``…): a lock is ``tạm khóa``, a YAML
   key is a ``mục``.
3. ``capitals``: a word in capitals without a Vietnamese letter (``LOCK``, ``REVOKE``,
   ``PLAY``, ``TASK``, ``RECAP``) that is not in ``glossary.ACRONYMS``. Skipped: a word
   beside a capitalised Vietnamese word (a heading, ``MẬT KHẨU BAN ĐẦU``); a word holding a
   digit (an error code, ``HY010``) or naming a family of codes (``HYB``, ``HP``); a word
   holding a slash, an ``@``, an underscore or an inner dot (a letter's number
   ``15/UBND-VP``, an address, a variable such as ``CI_PROJECT_ID``, a file name). Also
   ``True``, ``False`` and ``None`` as words, quoted or not (a clerk who wrote ``yes`` must
   read ``'yes'``, never ``'True'``).
4. ``ISO date``: ``2026-11-28`` or ``2026-11-28T22:14:05+00:00`` in prose; not in CSV (the
   issue keeps the CSV files' ISO column beside their ``Ngày (ngày/tháng/năm)`` column), nor
   a date followed by the same day as people read it, ``2024-03-01 (ngày 01/03/2024)`` or
   ``2024-03-01 là ngày 01/03/2024``: the value to write in a file, glossed as ``active
   (đang hoạt động)`` is.
5. ``Python``: a Python repr (``['a', 'b']``, ``{'key': …``, ``datetime.date(2024, …``,
   ``<… object at 0x…>``, a traceback, an exception's class name such as ``KeyError``).

Not read, by one rule each (what is quoted is what someone wrote, shown as written):
Markdown code spans and fenced blocks (action codes in backticks, YAML examples); HTML and
Markdown comments ``<!-- … -->`` (never shown); text in single quotes on one line
(``'title'``, ``'1/3/2024'``: the clerk's key or value quoted); text in double quotes
``"…"`` or typographic double quotes of at most 80 characters on one line; Jinja
``{{ … }}``, ``{% … %}``, ``{# … #}``; URLs, e-mail addresses and code points
(``U+FEFF``); and, when ``where`` ends in ``.html`` or ``.html.j2``, HTML tags. Rule 5
and ``True``/``False``/``None`` read quoted text too, but not code spans
(``owners: ['a']`` in a YAML example is the clerk's).

Allowed exceptions: tests/glossary_allowlist.yml, entries ``{file, phrase, reason}``: in an
output whose ``where`` matches the glob ``file``, no finding inside an occurrence of
``phrase`` (compared folded) is reported.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import unicodedata
from pathlib import Path

import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.common import glossary

ALLOWLIST = Path(__file__).with_name("glossary_allowlist.yml")
TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _tone_pairs() -> dict[str, str]:
    """New-style tone placement → the regulation's old style: oà → òa, oé → óe, uỷ → ủy."""
    pairs = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for tone in TONES:
            new = first + unicodedata.normalize("NFC", second + tone)
            old = unicodedata.normalize("NFC", first + tone) + second
            pairs[new] = old
    return pairs


TONE_PAIRS = _tone_pairs()
_TONE = re.compile("|".join(TONE_PAIRS))


def fold(text: str) -> str:
    """NFC, lower case and old-style tone placement, keeping every character's position."""
    text = unicodedata.normalize("NFC", text)
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _TONE.sub(lambda m: TONE_PAIRS[m.group(0)], lowered)


def phrase_pattern(phrase: str) -> re.Pattern:
    """A folded phrase as a whole-word pattern; its words may be separated by any spaces,
    line breaks and a Markdown quote mark (a wrapped line)."""
    words = [re.escape(word) for word in fold(phrase).split()]
    return re.compile(r"(?<!\w)" + r"[\s>]+".join(words) + r"(?!\w)")


# ---------------------------------------------------------------------------------------
# What is not read.

_MASKS = (
    re.compile(r"```.*?```", re.S),  # Markdown fenced blocks
    re.compile(r"<!--.*?-->", re.S),  # HTML and Markdown comments
    re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S),  # Jinja
    re.compile(r"`[^`\n]*`"),  # Markdown code spans
    re.compile(r"https?://\S+"),
    re.compile(r"U\+[0-9A-Fa-f]{4,6}\b"),  # a character's code point: U+FEFF
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*"),  # e-mail addresses (and @domain)
    re.compile(r"(?<!\w)'[^'\n]*'"),  # single quotes: what a clerk wrote
    re.compile('"[^"\n]{0,80}"|\u201c[^\u201d\n]{0,80}\u201d'),  # short double quotes
)
_HTML_TAG = re.compile(r"<[A-Za-z!/][^<>]*>")


def masked(text: str, where: str = "", quotes: bool = True) -> str:
    """``text`` with what the check does not read replaced by spaces (same positions);
    ``quotes=False`` reads quoted text (a Python value is wrong even quoted)."""
    def blank(found: re.Match) -> str:
        return re.sub(r"[^\n]", " ", found.group(0))

    if where.endswith((".html", ".html.j2")):
        text = _HTML_TAG.sub(blank, text)
    for mask in _MASKS if quotes else _MASKS[:-2]:
        text = mask.sub(blank, text)
    return text


# ---------------------------------------------------------------------------------------
# The rules.

@functools.lru_cache(maxsize=1)
def avoided() -> tuple[tuple[str, str, re.Pattern], ...]:
    """(form, concept, pattern) for every ``Term.avoid``."""
    return tuple((form, term.concept, phrase_pattern(form))
                 for term in glossary.TERMS for form in term.avoid)


@functools.lru_cache(maxsize=1)
def homonyms() -> tuple[re.Pattern, ...]:
    return tuple(phrase_pattern(phrase) for phrase, _why in glossary.HOMONYMS)


@functools.lru_cache(maxsize=1)
def allowlist() -> tuple[dict, ...]:
    """The allowed exceptions, each ``{file, phrase, reason}``."""
    entries = yaml.safe_load(ALLOWLIST.read_text("utf-8")) or []
    return tuple(entries)


KHOA = phrase_pattern("khóa")
ACRONYMS = frozenset(glossary.ACRONYMS)
_TOKEN = re.compile(r"[\w&@./-]*\w")
_CODE_FAMILY = re.compile(r"HY[BRHNGDPC]?|HP")  # a family of error codes: (HYB), (HP)
_PY_WORDS = re.compile(r"(?<!\w)(?:True|False|None)(?!\w)")
_ISO = re.compile(r"(?<![\w/.-])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w-])")
_DATE_GLOSS = re.compile(r" (?:\((?:ngày )?(\d{2}/\d{2}/\d{4})\)|là ngày (\d{2}/\d{2}/\d{4}))")
_REPRS = (
    re.compile(r"(?<!')\[\s*'[^'\n]*'(?:\s*,\s*'[^'\n]*')*\s*\](?!')"),  # ['a', 'b']
    re.compile(r"\(\s*'[^'\n]*'\s*,(?:\s*'[^'\n]*'\s*,?)*\s*\)"),  # ('a', 'b')
    re.compile(r"\{\s*'[^'\n]*'\s*:"),  # {'key': …
    re.compile(r"\b(?:datetime\.)?(?:date|datetime|timedelta)\(\d"),
    re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>"),
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"(?<![\w.])[A-Z][A-Za-z]*(?:Error|Exception)\b"),
)


def _glossed_date(text: str, start: int, end: int) -> bool:
    """An ISO date followed by the same day as people read it, ``2024-03-01 (ngày
    01/03/2024)``: a value to write in a file, glossed like ``active (đang hoạt động)``."""
    gloss = _DATE_GLOSS.match(text, end)
    return bool(gloss) and (gloss.group(1) or gloss.group(2)) == glossary.day(text[start:end])


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def _capitals(text: str) -> list[tuple[int, int]]:
    """Words in capitals without a Vietnamese letter, not acronyms, not beside a
    capitalised Vietnamese word (rule 3)."""
    found = []
    for line in re.finditer(r"[^\n]+", text):
        tokens = [(m.start() + line.start(), m.group(0)) for m in _TOKEN.finditer(line.group(0))]
        run: list[tuple[int, str]] = []
        for token in [*tokens, (0, "")]:
            start, word = token
            if word and any(c.isalpha() for c in word) and word == word.upper():
                run.append(token)
                continue
            vietnamese = any(not c.isascii() for _s, w in run for c in w if c.isalpha())
            if not vietnamese:
                found.extend((s, s + len(w)) for s, w in run if _english(w))
            run = []
    return found


def _english(word: str) -> bool:
    if any(c.isdigit() for c in word) or any(c in word for c in "/@_") or "." in word \
            or _CODE_FAMILY.fullmatch(word):
        return False
    parts = [part for part in word.split("-") if part]
    return any(len(part) > 1 and part not in ACRONYMS for part in parts) \
        and word not in ACRONYMS


def findings(text: str, where: str) -> list[str]:
    """Every avoided form in ``text`` (an output named ``where``), one line each."""
    text = unicodedata.normalize("NFC", text)
    shown = masked(text, where)
    folded = fold(shown)
    allowed = [span for entry in allowlist() if fnmatch.fnmatch(where, entry["file"])
               for span in _spans(phrase_pattern(entry["phrase"]), folded)]
    legitimate = [span for pattern in homonyms() for span in _spans(pattern, folded)]
    found: list[tuple[int, int, str]] = []

    for form, concept, pattern in avoided():
        for span in _spans(pattern, folded):
            if not _overlaps(span, legitimate):
                found.append((*span, f"avoid ({concept}: {form})"))
    for span in _spans(KHOA, folded):
        if not _inside(span, legitimate) and not _overlaps(span, [f[:2] for f in found]):
            found.append((*span, "khóa outside a lock phrase"))
    found += [(*span, "capitals") for span in _capitals(shown)]
    unquoted = masked(text, where, quotes=False)
    found += [(*span, "Python value") for span in _spans(_PY_WORDS, unquoted)]
    if not where.endswith(".csv"):
        found += [(*span, "ISO date") for span in _spans(_ISO, shown)
                  if not _glossed_date(shown, *span)]
    found += [(*span, "Python repr") for pattern in _REPRS for span in _spans(pattern, unquoted)]

    lines = []
    for start, end, rule in sorted(found):
        if _inside((start, end), allowed):
            continue
        line = text.count("\n", 0, start) + 1
        context = " ".join(text[max(0, start - 30):end + 30].split())
        phrase = " ".join(text[start:end].split())
        lines.append(f"{where}:{line}: {rule} «{phrase}» …{context}…")
    return lines
