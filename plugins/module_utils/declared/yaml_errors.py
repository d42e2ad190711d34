"""YAML syntax errors as a clerk can act on them, in Vietnamese.

libyaml reports an error as an English problem ("found character that cannot start any
token"), a context ("while scanning a quoted scalar") and two marks. The same problem
covers a tab, an '@' and a backtick, and for an unclosed quote or bracket or a missing ':'
the problem's mark is on a later line (or at the end of the file), not on the line to edit.
``explain`` reads the three together with the text around the marks and gives one finding:
its code (declared/messages.py, "Reading the file"), the line the clerk must edit, a 1-based
column and that line quoted. libyaml's English stays in ``original`` (shown only under -v).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The codes of the kinds told apart here (their texts are in declared/messages.py).
SYNTAX = "HY001"  # any other parser error: line, column and the line quoted
TAB = "HY060"
MISSING_COLON = "HY061"
COLON_IN_VALUE = "HY062"
MAPPING_INDENT = "HY063"
LIST_INDENT = "HY064"
UNCLOSED_DOUBLE = "HY065"
UNCLOSED_SINGLE = "HY066"
UNCLOSED_LIST = "HY067"
UNCLOSED_MAP = "HY068"
ESCAPE = "HY069"
RESERVED_START = "HY070"
UNDEFINED_ALIAS = "HY071"
SECOND_DOCUMENT = "HY072"
DASH_WITHOUT_SPACE = "HY073"
EMPTY_KEY = "HY076"
TEXT_AFTER_QUOTE = "HY077"

# How long a quoted line may be in a message.
SHOWN_LINE = 80
# What YAML reserves a character for, in the clerk's words.
_RESERVED = {
    "@": "ký tự YAML dành riêng",
    "`": "ký tự YAML dành riêng",
    "%": "dấu YAML dùng cho chỉ thị",
    "|": "dấu YAML mở một đoạn văn nhiều dòng",
    ">": "dấu YAML mở một đoạn văn nhiều dòng",
    ",": "dấu YAML ngăn cách các phần tử",
    "]": "dấu YAML đóng danh sách",
    "}": "dấu YAML đóng nhóm mục",
    "&": "dấu YAML đặt neo",
    "-": "dấu YAML mở một phần tử danh sách",
}
_DASH_KEY = re.compile(r"-[^\s-]")


@dataclass(frozen=True)
class Finding:
    """One syntax error as the clerk reads it: the line and 1-based column to edit, the
    code, and the fields its catalog text needs (``source``: that line, quoted)."""

    line: int
    column: int
    code: str
    fields: tuple[tuple[str, object], ...]


def explain(text: str, error: Exception) -> Finding:
    """The finding for a libyaml error raised while composing ``text``."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    problem = str(getattr(error, "problem", "") or "")
    context = str(getattr(error, "context", "") or "")
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    mark = problem_mark or context_mark
    if mark is None:
        return _finding(lines, 0, 0, SYNTAX)
    where = _Where(lines, mark.line, mark.column)
    context_at = _Where(lines, context_mark.line, context_mark.column) if context_mark \
        else where
    for rule in _RULES:
        found = rule(problem, context, where, context_at)
        if found:
            return found
    return where.finding(SYNTAX)


class _Where:
    """A mark (0-based line and column, as libyaml counts: characters) in the text's lines."""

    def __init__(self, lines: list[str], line: int, column: int) -> None:
        self.lines, self.line, self.column = lines, line, column
        self.text = lines[line] if 0 <= line < len(lines) else ""
        self.char = self.text[column] if 0 <= column < len(self.text) else ""

    @property
    def at_start(self) -> bool:
        """The mark is the line's first character that is not a space."""
        return self.column == _indent(self.text)

    def finding(self, code: str, column: int | None = None, **fields: object) -> Finding:
        return _finding(self.lines, self.line, self.column if column is None else column,
                        code, **fields)

    def previous(self) -> _Where | None:
        """The nearest line above that holds something other than a comment."""
        return self._near(range(self.line - 1, -1, -1))

    def following(self) -> _Where | None:
        """The nearest line below that holds something other than a comment."""
        return self._near(range(self.line + 1, len(self.lines)))

    def _near(self, numbers: range) -> _Where | None:
        for number in numbers:
            stripped = self.lines[number].strip()
            if stripped and not stripped.startswith("#"):
                return _Where(self.lines, number, _indent(self.lines[number]))
        return None


def _finding(lines: list[str], line: int, column: int | None, code: str,
             **fields: object) -> Finding:
    """The finding at 0-based ``line`` and ``column``; past the end of the file (or on a
    blank line), the end of the last line above that holds something."""
    while line > 0 and (line >= len(lines) or not lines[line].strip()):
        line, column = line - 1, None
    text = lines[line] if 0 <= line < len(lines) else ""
    if column is None:
        column = len(text.rstrip())
    fields = {"column": column + 1, "source": quoted_line(text), **fields}
    return Finding(line + 1, column + 1, code, tuple(fields.items()))


def quoted_line(text: str) -> str:
    """A line as a message quotes it: without its indentation, tabs as spaces, short."""
    text = text.strip().replace("\t", " ")
    return text if len(text) <= SHOWN_LINE else text[:SHOWN_LINE] + "…"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


# ---------------------------------------------------------------- the kinds, in order


def _tab(problem, context, where, context_at):
    if "tab character" in problem or ("cannot start any token" in problem
                                      and where.char == "\t"):
        column = where.column if where.char == "\t" else where.text.find("\t")
        return where.finding(TAB, max(column, 0))
    return None


def _reserved_start(problem, context, where, context_at):
    """A plain value that starts with a character YAML keeps for itself ('@vanthu', '|x',
    ', x', ']x'): the value quoted is the fix."""
    if ("block scalar" in context or "anchor" in context) and context_at.char in "|>&":
        where = context_at  # '|', '>' or '&' then text that YAML does not expect
    elif "block sequence entries" in problem:
        pass  # 'division: - tckh': a '- ' after a key on its line
    elif not ("cannot start any token" in problem or "expected node content" in problem):
        return None
    if where.char not in _RESERVED:
        return None
    value = _value_from(where.text, where.column)
    return where.finding(RESERVED_START, char=where.char, why=_RESERVED[where.char],
                         value=_single_quoted(value))


def _undefined_alias(problem, context, where, context_at):
    if "alias" in context and context_at.char == "*":
        where = context_at  # '*Chuyên viên': not even an alias's name
        problem = "undefined alias"
    if "undefined alias" in problem:
        value = _value_from(where.text, where.column)
        return where.finding(UNDEFINED_ALIAS, detail=value, value=_single_quoted(value))
    return None


def _second_document(problem, context, where, context_at):
    if "another document" in problem:
        return where.finding(SECOND_DOCUMENT)
    return None


def _unclosed_quote(problem, context, where, context_at):
    if "quoted scalar" in context and ("end of stream" in problem
                                       or "document" in problem):
        code = UNCLOSED_DOUBLE if context_at.char == '"' else UNCLOSED_SINGLE
        return context_at.finding(code)
    return None


def _escape(problem, context, where, context_at):
    if "quoted scalar" in context and ("escape" in problem or "hexdecimal" in problem):
        backslash = where.text.rfind("\\", 0, where.column + 1)
        column = backslash if backslash >= 0 else where.column
        escape = where.text[column:column + 2] if backslash >= 0 else "\\"
        return where.finding(ESCAPE, column, detail=escape)
    return None


def _unclosed_flow(problem, context, where, context_at):
    closing = "]" if "flow sequence" in context else "}" if "flow mapping" in context else ""
    if not closing or f"',' or '{closing}'" not in problem:
        return None
    if where.line > context_at.line or not where.char:
        return context_at.finding(UNCLOSED_LIST if closing == "]" else UNCLOSED_MAP)
    return _after_quote(where)


def _simple_key(problem, context, where, context_at):
    if "could not find expected ':'" in problem:
        return _missing_colon(context_at)
    return None


def _mapping_values(problem, context, where, context_at):
    if "mapping values are not allowed" not in problem:
        return None
    before = where.text[:where.column]
    if ": " in before or before.rstrip().endswith(":"):  # a second ': ' on the same line
        split = before.index(":")
        key, value = where.text[:split].strip(), where.text[split + 1:].strip()
        return where.finding(COLON_IN_VALUE, suggestion=f"{key}: {_single_quoted(value)}")
    above = where.previous()
    if above is not None and _lacks_colon(above.text):
        return _missing_colon(above)
    if above is not None and _DASH_KEY.match(above.text.lstrip()):  # '-name: x' above
        return _dash_without_space(above, above.text.lstrip())
    if above is not None and above.text.lstrip().startswith("- "):
        return _list_indent(where, above)
    return _mapping_indent(where, above)


def _document_start(problem, context, where, context_at):
    """'agency' without its ':' then a comment: libyaml reads a one-word document."""
    if "expected <document start>" not in problem:
        return None
    above = where.previous()
    if above is not None and _lacks_colon(above.text):
        return _missing_colon(above)
    return None


def _block_mapping(problem, context, where, context_at):
    if "expected key" not in problem or "block mapping" not in context:
        return None
    if where.at_start and where.char == ":":  # ': x': the key is missing
        return where.finding(EMPTY_KEY, detail="")
    if where.at_start and (where.char.isalnum() or where.char in "\"'_-"):
        return _mapping_indent(where, where.previous())
    return _after_quote(where)


def _block_sequence(problem, context, where, context_at):
    if "'-' indicator" not in problem:
        return None
    stripped = where.text.lstrip()
    if where.at_start and _DASH_KEY.match(stripped):
        return _dash_without_space(where, stripped)
    if where.at_start:
        above = where.previous()
        if above is None or not above.text.lstrip().startswith("- "):
            above = _Where(where.lines, context_at.line, context_at.column)
        return _list_indent(where, above)
    return _after_quote(where)


_RULES = (_tab, _reserved_start, _undefined_alias, _second_document, _unclosed_quote,
          _escape, _unclosed_flow, _simple_key, _mapping_values, _document_start,
          _block_mapping, _block_sequence)


# ---------------------------------------------------------------- helpers of the kinds


def _missing_colon(where: _Where) -> Finding:
    """The key of ``where``'s line lacks its ':': the column right after the key's word."""
    text = where.text
    start = _indent(text)
    if text[start:start + 2] == "- ":
        start += 2
    word = re.split(r"[\s:]", text[start:], maxsplit=1)[0]
    rest = text[start + len(word):].strip().removeprefix(":").strip()
    suggestion = f"{word}: {rest}" if rest else f"{word}:"
    return _finding(where.lines, where.line, start + len(word), MISSING_COLON,
                    detail=word, suggestion=suggestion)


def _lacks_colon(text: str) -> bool:
    """A line that holds a key but no ':' followed by a space (``name Văn Giang``,
    ``agency``, ``name:Văn Giang``)."""
    stripped = text.strip()
    if stripped.startswith("- "):
        stripped = stripped[2:].lstrip()
    if not stripped or stripped[0] in "\"'[{#|>&*!-":
        return False
    return ": " not in stripped and not stripped.endswith(":")


def _dash_without_space(where: _Where, stripped: str) -> Finding:
    key = stripped[1:].split(":", 1)[0].strip()
    return where.finding(DASH_WITHOUT_SPACE, detail=key)


def _mapping_indent(where: _Where, above: _Where | None) -> Finding:
    """HY063 at ``where``; or at ``above`` when that is the first key of its group and the
    keys after ``where`` are indented as ``where`` is (the group's odd line is above)."""
    if above is not None and _indent(above.text) != _indent(where.text) \
            and _first_of_group(above) and _agrees_below(where, None):
        return _finding(where.lines, above.line, _indent(above.text), MAPPING_INDENT,
                        **_siblings(where))
    return where.finding(MAPPING_INDENT, _indent(where.text), **_siblings(above))


def _list_indent(where: _Where, dash: _Where) -> Finding:
    """HY064 at ``where``; or at the item line ``dash`` right above it when a later item of
    the list puts its keys where ``where`` is (then the odd line is the item's '-' line)."""
    later = _later_item(where, _indent(where.text) - 2)
    above = where.previous()
    if later is not None and above is not None and above.line == dash.line \
            and _indent(dash.text) != _indent(later.text) and _agrees_below(where, later):
        return _finding(where.lines, dash.line, _indent(dash.text), LIST_INDENT,
                        **_list_columns(later))
    return where.finding(LIST_INDENT, _indent(where.text), **_list_columns(dash))


def _first_of_group(line: _Where) -> bool:
    """No sibling above ``line``: the line above is its parent (less indented)."""
    above = line.previous()
    return above is None or _indent(above.text) < _indent(line.text)


def _agrees_below(where: _Where, later: _Where | None) -> bool:
    """The next line is indented as ``where`` is, or is the later item ``later``."""
    below = where.following()
    if below is None:
        return False
    return _indent(below.text) == _indent(where.text) or (
        later is not None and below.line == later.line)


def _later_item(where: _Where, indent: int) -> _Where | None:
    """The next '- ' line indented by ``indent`` below ``where``, within its list."""
    line = where.following()
    while line is not None and _indent(line.text) >= indent:
        if _indent(line.text) == indent and line.text.lstrip().startswith("- "):
            return line
        line = line.following()
    return None


def _siblings(above: _Where | None) -> dict:
    """The indentation of the line above (a fact the message states, not a guess)."""
    if above is None:
        return {"above": 1, "spaces": 0}
    return {"above": above.line + 1, "spaces": _indent(above.text)}


def _list_columns(dash: _Where) -> dict:
    """The column of a list's '-' and of the text after it (where the item's keys go)."""
    column = _indent(dash.text)
    return {"above": dash.line + 1, "dash": column + 1, "keys": column + 3}


def _after_quote(where: _Where) -> Finding:
    """Text right after a closing quote ('Phó' Chủ tịch): the whole value goes in quotes.
    When that quote is the line's first of its kind, it closed a quote left open above: the
    line to edit is the one where that quote opened."""
    before = where.text[:where.column].rstrip()
    if not before.endswith(("'", '"')):
        return where.finding(SYNTAX)
    quote = before[-1]
    if before.count(quote) % 2:
        opened = _opened_above(where, quote)
        if opened is not None:
            return opened
    return where.finding(TEXT_AFTER_QUOTE, detail=where.text[where.column:].strip())


def _opened_above(where: _Where, quote: str) -> Finding | None:
    """The line above with an odd number of ``quote``: its last one opened the value."""
    for number in range(where.line - 1, -1, -1):
        text = where.lines[number]
        if text.count(quote) % 2:
            code = UNCLOSED_DOUBLE if quote == '"' else UNCLOSED_SINGLE
            return _finding(where.lines, number, text.rfind(quote), code)
    return None


def _value_from(text: str, column: int) -> str:
    """The value that starts at ``column``: to the end of the line (no comment), or in a
    flow collection ('[' ',' '{' before it) to the next ',' ']' or '}'."""
    rest = text[column:]
    if text[:column].rstrip().endswith(("[", ",", "{")):
        rest = re.split(r"[,\]}]", rest, maxsplit=1)[0]
    return rest.split(" #", 1)[0].strip()


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
