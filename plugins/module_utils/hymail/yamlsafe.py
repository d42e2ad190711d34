"""Load an agency file that may be hostile or broken, keeping the line of every value.

Only plain YAML is accepted: no anchors or aliases (so no alias bombs), no duplicate keys,
no custom tags, no control, zero-width or bidirectional characters, no letters of other
scripts that look Latin. Problems are returned, never raised, so one bad file cannot stop
the validation of the others.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import yaml
from yaml.cyaml import CParser as _Parser  # libyaml: part of the pinned PyYAML wheel

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32

# C0/C1 controls but tab and newline; zero-width and bidirectional formatting characters.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


# Anything outside ASCII, Latin letters, combining marks and common punctuation is looked at
# closely; a file without any such character (nearly all of them) is screened in one search.
_SUSPICIOUS = re.compile(
    "[^\t\n\r\x20-\x7e\u00a0-\u00ac\u00ae-\u024f\u0300-\u036f\u1e00-\u1eff"
    "\u2010-\u2027\u2030-\u205e]"
)


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
    """A problem found while reading a file: its line, stable code and the offending detail."""

    line: int
    code: str
    detail: str


class YDict(dict):
    """A mapping that remembers its own line and the line of each key."""

    __slots__ = ("line", "key_lines")


class YList(list):
    """A sequence that remembers its own line and the line of each item."""

    __slots__ = ("line", "item_lines")


def load_text(raw: bytes) -> tuple[object, list[LoadProblem]]:
    """Decode, screen and parse one file; returns (data or None, problems)."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [LoadProblem(1, "HY004", f"{len(raw)} byte > {MAX_FILE_BYTES}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [LoadProblem(line, "HY007", f"byte {error.start}")]
    problems = screen_characters(text)
    if problems:
        return None, problems
    return parse(text)


def screen_characters(text: str) -> list[LoadProblem]:
    """Forbidden invisible characters and look-alike letters of other scripts, per line."""
    if not _SUSPICIOUS.search(text):
        return []
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.isascii() and not _FORBIDDEN.search(line):
            continue
        problems += _screen_line(number, line)
    return problems


def _screen_line(number: int, line: str) -> list[LoadProblem]:
    found = []
    for char in line:
        if _FORBIDDEN.match(char):
            found.append(LoadProblem(number, "HY005", f"U+{ord(char):04X}"))
        elif char.isalpha() and not _is_latin(char):
            name = unicodedata.name(char, "?")
            found.append(LoadProblem(number, "HY006", f"'{char}' U+{ord(char):04X} {name}"))
    return found[:3]


def _is_latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN ")


def parse(text: str) -> tuple[object, list[LoadProblem]]:
    """Compose with libyaml (never expanding aliases) and build line-aware Python values."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, [LoadProblem(line, "HY001", str(error.problem or error).strip())]
    except yaml.YAMLError as error:
        return None, [LoadProblem(1, "HY001", str(error).strip())]
    if node is None:
        return None, []
    if ("&" in text or "*" in text) and _MAYBE_ANCHOR.search(text):
        line = _first_anchor_line(text)
        if line:
            return None, [LoadProblem(line, "HY003", "anchor/alias")]
    builder = _Builder()
    data = builder.build(node, 0)
    return data, builder.problems


# A cheap screen: only text that may hold an anchor or alias pays for an event scan.
_MAYBE_ANCHOR = re.compile(r"(^|[\s\[{,:-])[&*][^\s,\]}]", re.MULTILINE)


def _first_anchor_line(text: str) -> int | None:
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return event.start_mark.line + 1
    return None


class _Builder:
    """Turns a composed node tree into YDict/YList/scalars, refusing what YAML allows too much.

    Called for every one of a province's millions of nodes: node types are compared by
    identity (compose makes exactly these classes) and lines are computed only when kept.
    """

    def __init__(self) -> None:
        self.problems: list[LoadProblem] = []

    def build(self, node: yaml.Node, depth: int) -> object:
        if depth > MAX_DEPTH:
            line = node.start_mark.line + 1
            self.problems.append(LoadProblem(line, "HY004", f"depth > {MAX_DEPTH}"))
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
        result = YDict()
        key_lines: dict = {}
        result.line, result.key_lines = node.start_mark.line + 1, key_lines
        build, depth = self.build, depth + 1
        for key_node, value_node in node.value:
            key = build(key_node, depth)
            key_line = key_node.start_mark.line + 1
            merge = key_node.tag == _PLAIN and key_node.value == "<<"
            if merge or not isinstance(key, (str, int, bool)):
                self.problems.append(LoadProblem(key_line, "HY001", f"key {key!r}"))
                continue
            if key in result:
                first = key_lines[key]
                self.problems.append(LoadProblem(key_line, "HY002", f"{key} ({first})"))
                continue
            result[key] = build(value_node, depth)
            key_lines[key] = key_line
        return result

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> YList:
        build, depth = self.build, depth + 1
        result = YList([build(item, depth) for item in node.value])
        result.line = node.start_mark.line + 1
        result.item_lines = [item.start_mark.line + 1 for item in node.value]
        return result

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag != _PLAIN:
            self.problems.append(LoadProblem(node.start_mark.line + 1, "HY001", f"tag {tag}"))
            return None
        return plain_value(value)


_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
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
    if _INT.fullmatch(value):
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
