"""Load an agency file that may be hostile or broken, keeping the line of every value.

Only plain YAML is accepted: no anchors or aliases (so no alias bombs), no duplicate keys,
no custom tags, no control, zero-width or bidirectional characters, no letters of other
scripts that look Latin, no value broken over lines or holding a tab, and no nesting deep
enough to exhaust the C parser's stack. The characters are screened twice: in the raw text,
and in every value a YAML escape (``"\\u200b"``, ``"\\n"``) could have made. Problems are
returned, never raised, so one bad file cannot stop the validation of the others.

A syntax error is explained in Vietnamese by yaml_errors (one code per kind, the line to
edit, its column); libyaml's English stays in ``LoadProblem.original`` for -v. Keys must be
text; every text value and key is NFC-normalised (the file is not rewritten); the text as
written of a value that is not a string (``yes``, ``~``) is kept for messages (``source_of``).
A BOM at the very start of the file is accepted (Notepad writes it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import yaml
from yaml.cyaml import CParser as _Parser  # libyaml: part of the pinned PyYAML wheel

from ..common.glossary import number as _number
from . import yaml_errors
from .messages import render as _render

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
# libyaml composes recursively in C: some 20,000 levels overflow an 8 MiB stack (a segfault,
# not an exception). Text that might nest deeper than this is measured event by event first;
# a real agency file (a flow mapping per letter, short lines) stays below it.
SAFE_NESTING = 4000
# A file is reported with at most this many problems (and a line saying there are more):
# a hostile file must not make millions of messages, nor the memory to hold them.
MAX_FILE_PROBLEMS = 100
# Longer runs of digits stay text: Python refuses to convert more than 4,300 digits.
MAX_INTEGER_DIGITS = 18

# C0/C1 controls but tab and newline; zero-width and bidirectional formatting characters.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


# Anything outside ASCII, Latin letters, combining marks and common punctuation is looked at
# closely; a file without any such character (nearly all of them) is screened in one search.
# U+034F COMBINING GRAPHEME JOINER is a combining mark that shows nothing: looked at too.
_SUSPICIOUS = re.compile(
    "[^\t\n\r\x20-\x7e\u00a0-\u00ac\u00ae-\u024f\u0300-\u034e\u0350-\u036f"
    "\u1e00-\u1eff\u2010-\u2027\u2030-\u205e]"
)
# Inside a value (after YAML escapes are read), a line break or a tab is refused too.
_VALUE_SUSPICIOUS = re.compile(_SUSPICIOUS.pattern.replace("\t\n\r", "", 1))
_LINE_BREAKS = frozenset("\t\n\r\x85\u2028\u2029")
# Unicode categories that never belong in a declaration: controls, format characters
# (zero-width, bidirectional, tags), private use, unassigned, surrogates, line separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
_SPACES = frozenset(" \u00a0")


_PLAIN, _STR = "plain", "tag:yaml.org,2002:str"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")


class _Loader(_Parser, yaml.resolver.BaseResolver):
    """libyaml's parser with a resolver that only tells plain from quoted scalars.

    PyYAML's resolver runs a dozen regular expressions in Python for every scalar; our
    files hold text, a few booleans and no numbers, so ``_scalar`` decides plain values.
    """

    def __init__(self, stream) -> None:
        _Parser.__init__(self, stream)
        yaml.resolver.BaseResolver.__init__(self)

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    # No path resolvers: libyaml calls these for every node, so they do nothing cheaply.
    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


@dataclass(frozen=True)
class LoadProblem:
    """A problem found while reading a file: its line, stable code and the offending detail.

    ``extra`` holds the other fields of the code's text (a syntax error's ``column`` and
    ``source`` line, a duplicate key's ``first`` line); ``fields()`` gives them all and
    ``message()`` the rendered text. ``original`` is libyaml's English message for a syntax
    error: never shown to clerks, only under -v (the module's verbose output).
    """

    line: int
    code: str
    detail: str = ""
    column: int = 0
    extra: tuple[tuple[str, object], ...] = ()
    original: str = ""

    def fields(self) -> dict:
        """The fields of the code's catalog text (declared/messages.py)."""
        return {"detail": self.detail, **dict(self.extra)}

    def message(self) -> str:
        """``CODE <what is wrong>. Cách sửa: <fix>.`` in Vietnamese."""
        return _render(self.code, **self.fields())


# Shared by every collection without a value to remember (nearly all): never written to.
_NO_SOURCES: dict = {}
_NO_ITEM_SOURCES: tuple = ()


class YDict(dict):
    """A mapping that remembers its own line, the line of each key, and the text as written
    of each value that is not a string (``yes``, ``~``, ``1_000``): a message quotes
    what the clerk typed, never Python's ``True`` or ``None``.

    ``value_sources`` holds only those (key → text); it is a shared empty dict, never to be
    written to, when there is none. Read it with ``source_of``. Keys are always text (any
    other key is refused on load, HY076).
    """

    __slots__ = ("line", "key_lines", "value_sources")


class YList(list):
    """A sequence that remembers its own line, the line of each item and, when one of its
    items is a scalar that is not a string, ``item_sources``: the text as written of each
    item (None for the others). Empty when every item is a string or a collection."""

    __slots__ = ("line", "item_lines", "item_sources")


def load_text(raw: bytes, screen_values: bool = False) -> tuple[object, list[LoadProblem]]:
    """Decode, screen and parse one file; returns (data or None, problems).

    ``screen_values`` also screens every value as read (HY039, and HY005/HY006 for what an
    escape made): the agency files' validation asks for it; a reader that only picks some
    values it checks itself (CODEOWNERS' user names) need not.
    """
    if len(raw) > MAX_FILE_BYTES:
        return None, [LoadProblem(1, "HY004", size_detail(len(raw)))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [LoadProblem(line, "HY007", _number(error.start + 1))]
    if text.startswith(BOM):  # Notepad's "UTF-8 with BOM": harmless at the very start only
        text = text[1:]
    problems = screen_characters(text)
    if problems:
        return None, problems
    return parse(text, screen_values)


BOM = "\ufeff"
_MIB = 1024 * 1024


def size_detail(size: int) -> str:
    """HY004's detail for a file of ``size`` bytes: "9 MiB, tối đa 8 MiB"."""
    whole, tenths = divmod(round(size * 10 / _MIB), 10)
    shown = _number(whole) + (f",{tenths}" if tenths else "")
    return f"{shown} MiB, tối đa {_number(MAX_FILE_BYTES // _MIB)} MiB"


DEPTH_DETAIL = f"lồng sâu hơn {MAX_DEPTH} cấp"


def screen_characters(text: str) -> list[LoadProblem]:
    """Forbidden invisible characters and look-alike letters of other scripts, per line."""
    if not _SUSPICIOUS.search(text):
        return []
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.isascii() and not _FORBIDDEN.search(line):
            continue
        problems += _screen_line(number, line)
        if len(problems) > MAX_FILE_PROBLEMS:
            break
    return problems


def _screen_line(number: int, line: str) -> list[LoadProblem]:
    found = []
    for char in line:
        code = char_problem(char) if char not in "\t\r" else None
        if code == "HY039":  # in the raw text, NEL and the Unicode separators are hidden
            code = "HY005"
        if code:
            found.append(LoadProblem(number, code, describe(char, code)))
            if len(found) == 3:
                break
    return found


def char_problem(char: str) -> str | None:
    """HY039 for a line break or tab, HY005 for an invisible or control character, HY006 for
    a letter or mark of another script; None for what a Vietnamese declaration may hold."""
    if char in _LINE_BREAKS:
        return "HY039"
    if _FORBIDDEN.match(char):
        return "HY005"
    category = unicodedata.category(char)
    if category in _INVISIBLE_CATEGORIES or (category == "Zs" and char not in _SPACES):
        return "HY005"
    if category[0] == "M":  # combining: Latin's own (not the invisible joiner) only
        if "\u0300" <= char <= "\u036f" and char != "\u034f":
            return None
        return "HY005" if category == "Mn" and _shows_nothing(char) else "HY006"
    if char.isalpha() and not _is_latin(char):
        return "HY006"
    return None


def _shows_nothing(char: str) -> bool:
    """Variation selectors and joiners: marks that change nothing one can see."""
    name = unicodedata.name(char, "")
    return "VARIATION SELECTOR" in name or "GRAPHEME JOINER" in name or "FREE VARIATION" in name


def describe(char: str, code: str) -> str:
    """How a refused character is named in a message: its code point and what it is in
    Vietnamese words, never the character itself when it is invisible (it would hide, or
    break the message line): "U+200B (dấu cách độ rộng 0)", "'а' (U+0430, chữ Kirin)"."""
    point = f"U+{ord(char):04X}"
    if code == "HY006":
        return f"'{char}' ({point}, {_script_words(char)})"
    if code == "HY039":  # "giá trị có ký tự xuống dòng (U+000A)"
        return f"{_invisible_words(char)} ({point})"
    return f"{point} ({_invisible_words(char)})"


# Invisible and control characters a file may hold, in words (by code point, then range).
_CHAR_WORDS = {
    "\t": "ký tự tab", "\n": "ký tự xuống dòng", "\r": "ký tự về đầu dòng",
    "\x00": "ký tự rỗng", "\x7f": "ký tự điều khiển xóa", "\x85": "ký tự xuống dòng",
    "\u00ad": "dấu gạch nối ẩn", "\u200b": "dấu cách độ rộng 0",
    "\u200c": "ký tự ngăn nối độ rộng 0", "\u200d": "ký tự nối độ rộng 0",
    "\u2060": "ký tự nối từ ẩn", "\u034f": "dấu nối ẩn",
    "\u2028": "ký tự ngắt dòng", "\u2029": "ký tự ngắt đoạn",
    BOM: "dấu BOM, ký tự ẩn đánh dấu tệp UTF-8, chỉ được có ở đầu tệp",
}
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")


def _invisible_words(char: str) -> str:
    if char in _CHAR_WORDS:
        return _CHAR_WORDS[char]
    if char in _BIDI:
        return "ký tự ẩn đổi chiều viết"
    category = unicodedata.category(char)
    name = unicodedata.name(char, "")
    if "VARIATION SELECTOR" in name:
        return "bộ chọn biến thể, ký tự ẩn"
    if category == "Cc":
        return "ký tự điều khiển"
    if category == "Co":
        return "ký tự dùng riêng, không có trong bảng mã chung"
    if category in ("Cn", "Cs"):
        return "mã chưa được gán ký tự"
    if category == "Zs":
        return "dấu cách đặc biệt, không phải dấu cách thường"
    if category[0] == "M":
        return "dấu phụ ẩn"
    return "ký tự định dạng ẩn"


# The scripts whose letters look Latin, in words (by the first word of the Unicode name).
_SCRIPT_WORDS = {
    "CYRILLIC": "chữ Kirin", "GREEK": "chữ Hy Lạp", "FULLWIDTH": "chữ toàn độ rộng",
    "HALFWIDTH": "chữ bán độ rộng", "ARMENIAN": "chữ Armenia", "CHEROKEE": "chữ Cherokee",
    "MATHEMATICAL": "ký hiệu toán học", "COPTIC": "chữ Copt", "CJK": "chữ Hán",
    "HANGUL": "chữ Hàn", "HIRAGANA": "chữ Nhật", "KATAKANA": "chữ Nhật",
    "ARABIC": "chữ Ả Rập", "HEBREW": "chữ Do Thái", "THAI": "chữ Thái Lan",
    "LAO": "chữ Lào", "KHMER": "chữ Khmer", "GEORGIAN": "chữ Gruzia",
    "COMBINING": "dấu phụ không dùng trong tiếng Việt",
}


def _script_words(char: str) -> str:
    first = unicodedata.name(char, "").split(" ", 1)[0]
    return _SCRIPT_WORDS.get(first, "chữ không thuộc bảng chữ Latinh")


def screen_value(value: str) -> list[tuple[str, str]]:
    """(code, detail) of the first three refused characters of one value, as read (escapes
    done): a line break or tab, an invisible character, a letter of another script."""
    found: list[tuple[str, str]] = []
    for char in value:
        code = char_problem(char)
        if code and (code, describe(char, code)) not in found:
            found.append((code, describe(char, code)))
            if len(found) == 3:
                break
    return found


def _is_latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN ")


def parse(text: str, screen_values: bool = False) -> tuple[object, list[LoadProblem]]:
    """Compose with libyaml (never expanding aliases) and build line-aware Python values."""
    try:
        deep = _too_deep_line(text) if _may_nest_deeply(text) else None
        if deep:
            return None, [LoadProblem(deep, "HY004", DEPTH_DETAIL)]
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        return None, [syntax_problem(text, error)]
    if node is None:
        return None, []
    if ("&" in text or "*" in text) and _MAYBE_ANCHOR.search(text):
        line = _first_anchor_line(text)
        if line:
            return None, [LoadProblem(line, "HY003")]
    # Only an escape (which needs a backslash) can put in a quoted value what the raw-text
    # screen did not see; line breaks and tabs show in ``isprintable`` whatever made them.
    builder = _Builder(screen_values, escapes="\\" in text, text=text)
    try:
        data = builder.build(node, 0)
    except _TooManyProblems:
        return None, builder.problems
    return data, builder.problems


def syntax_problem(text: str, error: Exception) -> LoadProblem:
    """A libyaml error as the clerk reads it (yaml_errors): its own code, the line to edit,
    the column; libyaml's English kept in ``original`` for -v."""
    found = yaml_errors.explain(text, error)
    fields = dict(found.fields)
    return LoadProblem(found.line, found.code, str(fields.pop("detail", "")), found.column,
                       tuple(fields.items()), str(error).strip())


def _may_nest_deeply(text: str) -> bool:
    """A bound on the nesting, cheap enough for every file: flow collections nest at most
    once per '[' or '{'; block collections need a deeper column at least every second
    level, and no column is beyond the longest line."""
    flow = text.count("[") + text.count("{")
    if flow >= SAFE_NESTING:
        return True
    return flow + 2 * max(map(len, text.split("\n"))) + 2 >= SAFE_NESTING


def _too_deep_line(text: str) -> int | None:
    """The line where the nesting first goes beyond MAX_DEPTH, counted on the event stream
    (iterative: no stack to exhaust); None when it never does or the text is not YAML."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                depth -= 1
    except yaml.YAMLError:
        return None  # compose reports the syntax error, with its line
    return None


# A cheap screen: only text that may hold an anchor or alias pays for an event scan.
_MAYBE_ANCHOR = re.compile(r"(^|[\s\[{,:-])[&*][^\s,\]}]", re.MULTILINE)


def _first_anchor_line(text: str) -> int | None:
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return event.start_mark.line + 1
    return None


class _TooManyProblems(Exception):
    """More than MAX_FILE_PROBLEMS: the file is refused, the rest need not be built."""


class _Builder:
    """Turns a composed node tree into YDict/YList/scalars, refusing what YAML allows too much.

    Called for every one of a province's millions of nodes: node types are compared by
    identity (compose makes exactly these classes) and lines are computed only when kept.
    """

    def __init__(self, screen_values: bool = False, escapes: bool = True,
                 text: str = "") -> None:
        self.problems: list[LoadProblem] = []
        self.screen_values, self.escapes, self.text = screen_values, escapes, text

    def _refuse(self, line: int, code: str, detail: str, **extra: object) -> None:
        column = extra.get("column", 0)
        self.problems.append(LoadProblem(line, code, detail, column, tuple(extra.items())))
        if len(self.problems) > MAX_FILE_PROBLEMS:
            raise _TooManyProblems

    def _refuse_at(self, node: yaml.Node, code: str, detail: str = "") -> None:
        """A problem at ``node``, with its column and its line quoted."""
        mark = node.start_mark
        self._refuse(mark.line + 1, code, detail, column=mark.column + 1,
                     source=yaml_errors.quoted_line(self._line_at(mark)))

    def _line_at(self, mark: yaml.Mark) -> str:
        """The line of ``mark`` (its index counts characters of the text composed)."""
        text, index = self.text, mark.index
        end = text.find("\n", index)
        return text[text.rfind("\n", 0, index) + 1:end if end >= 0 else len(text)]

    def _tag(self, node: yaml.Node) -> None:
        """HY074: a tag (!!binary, !!python/…) as written, else as resolved."""
        mark = node.start_mark
        written = self._line_at(mark)[mark.column:].split(" ", 1)[0]
        if not written.startswith("!"):
            written = node.tag.replace("tag:yaml.org,2002:", "!!")
        self._refuse_at(node, "HY074", written)

    def build(self, node: yaml.Node, depth: int) -> object:
        if depth > MAX_DEPTH:
            self._refuse(node.start_mark.line + 1, "HY004", DEPTH_DETAIL)
            return None
        kind = type(node)
        if kind is _ScalarNode:
            return self._scalar(node)
        if kind is _MappingNode:
            return self._mapping(node, depth)
        if kind is _SequenceNode:
            return self._sequence(node, depth)
        if isinstance(node, yaml.MappingNode):  # subclasses, should a loader ever make them
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, depth)
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YDict:
        if node.tag != _MAP:
            self._tag(node)
        result = YDict()
        key_lines: dict = {}
        result.line, result.key_lines = node.start_mark.line + 1, key_lines
        sources: dict = _NO_SOURCES
        build, depth = self.build, depth + 1
        for key_node, value_node in node.value:
            key = build(key_node, depth)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str) or not key:
                if key_node.tag in _UNTAGGED:  # a tagged key was refused as such (HY074)
                    self._bad_key(key_node)
                continue
            if key[0] in "<-" and key_node.tag == _PLAIN and self._odd_key(key_node, key):
                continue
            if key in result:
                self._refuse(key_line, "HY002", key, first=key_lines[key],
                             column=key_node.start_mark.column + 1)
                continue
            value = result[key] = build(value_node, depth)
            key_lines[key] = key_line
            # Only the few plain scalars that are not text keep their source (yes, ~, 1).
            if not isinstance(value, str) and isinstance(value_node, _ScalarNode):
                if sources is _NO_SOURCES:
                    sources = {}
                sources[key] = value_node.value
        result.value_sources = sources
        return result

    def _bad_key(self, key_node: yaml.Node) -> None:
        """HY076: a key that is empty, null, a number, yes/no, a list or a mapping."""
        if isinstance(key_node, _ScalarNode):
            self._refuse_at(key_node, "HY076", key_node.value)
        else:
            mark = key_node.start_mark
            written = yaml_errors.quoted_line(self._line_at(mark)[mark.column:])
            self._refuse_at(key_node, "HY076", written.split(":", 1)[0])

    def _odd_key(self, key_node: yaml.Node, key: str) -> bool:
        """HY075 for a '<<' merge key, HY073 for '-name' (a list item without its space);
        True when the key was refused."""
        if key == "<<":
            self._refuse_at(key_node, "HY075", key)
            return True
        if len(key) > 1 and key[0] == "-" and not key[1].isspace() and key[1] != "-":
            self._refuse_at(key_node, "HY073", key[1:])
            return True
        return False

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> YList:
        if node.tag != _SEQ:  # a tagged collection (!!python/object ...) is not data either
            self._tag(node)
        build, depth = self.build, depth + 1
        items = node.value
        result = YList([build(item, depth) for item in items])
        result.line = node.start_mark.line + 1
        result.item_lines = [item.start_mark.line + 1 for item in items]
        result.item_sources = _NO_ITEM_SOURCES
        for value in result:
            if not isinstance(value, (str, YDict, YList)):
                result.item_sources = [
                    items[index].value if isinstance(items[index], _ScalarNode)
                    and not isinstance(result[index], str) else None
                    for index in range(len(items))]
                break
        return result

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag, value = node.tag, node.value
        # Every value is printable text but for a few (NBSP, line breaks, what escapes or
        # the raw screen's gaps could make): only those are looked at character by character.
        if self.screen_values and (not value.isprintable() or (
                self.escapes and node.style == '"' and _VALUE_SUSPICIOUS.search(value))):
            self._screen(node, value)
        if not value.isascii():  # text is compared as NFC (the file is not rewritten)
            value = _nfc("NFC", value)
        if tag == _STR:
            return value
        if tag != _PLAIN:
            self._tag(node)
            return None
        return plain_value(value)

    def _screen(self, node: yaml.ScalarNode, value: str) -> None:
        for code, detail in screen_value(value):
            self._refuse(node.start_mark.line + 1, code, detail)


_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
_nfc = unicodedata.normalize
_UNTAGGED = frozenset({_PLAIN, _STR, _MAP, _SEQ})
# A plain scalar longer than this that does not start like a number can only be text.
_LONGEST_SPECIAL = max(len(word) for word in (*_BOOL, *_NULL))
_NUMBER_START = frozenset("-+0123456789")


def plain_value(value: str) -> object:
    """An unquoted scalar: booleans, null and decimal integers; anything else (dates, phone
    numbers with a leading zero, numbers with dots) stays text for the schema to judge."""
    if len(value) > _LONGEST_SPECIAL and value[0] not in _NUMBER_START:
        return value  # most values (names, titles): no bool, null or integer is this long
    if value.lower() in _BOOL:
        return _BOOL[value.lower()]
    if value in _NULL:
        return None
    if len(value) <= MAX_INTEGER_DIGITS and _INT.fullmatch(value):
        return int(value.replace("_", ""))
    return value


def line_of(data: object, path: tuple) -> int:
    """The line of the deepest value of ``path`` that exists (1 when nothing does)."""
    line = getattr(data, "line", 1)
    node = data
    for step in path:
        if isinstance(node, YDict) and step in node:
            line, node = node.key_lines.get(step, line), node[step]
        elif isinstance(node, YList) and isinstance(step, int) and step < len(node):
            line, node = node.item_lines[step], node[step]
        else:
            break
    return line


def source_of(data: object, path: tuple) -> str | None:
    """The text as the clerk wrote it of the value at ``path`` (``'yes'`` for True, ``'~'``
    for None, ``'1_000'`` for 1000); None when that value is a string, a collection, or is
    not there. (A key that is not a string is refused on load: keys are always text.)"""
    if not path:
        return None
    parent = data
    for step in path[:-1]:
        parent = _child(parent, step)
        if parent is None:
            return None
    last = path[-1]
    if isinstance(parent, YDict):
        return getattr(parent, "value_sources", _NO_SOURCES).get(last)
    if isinstance(parent, YList) and isinstance(last, int) and 0 <= last < len(parent):
        sources = getattr(parent, "item_sources", _NO_ITEM_SOURCES)
        return sources[last] if sources else None
    return None


def _child(node: object, step: object) -> object:
    if isinstance(node, dict):
        return node.get(step) if _hashable(step) else None
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _hashable(step: object) -> bool:
    try:
        hash(step)
    except TypeError:
        return False
    return True
