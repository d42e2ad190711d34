"""JSON Schema errors said in Vietnamese, with the path of the offending key."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from .messages import shown
from .yamlsafe import MAX_FILE_PROBLEMS, line_of

_TYPES = {
    "string": "chuỗi (đặt trong dấu ngoặc kép nếu là số)", "object": "nhóm khóa",
    "array": "danh sách (mỗi mục bắt đầu bằng '- ')", "boolean": "true hoặc false",
    "integer": "số nguyên", "null": "để trống",
}


class SchemaCheck:
    """A compiled check for the common case (a valid file) and jsonschema to explain failures.

    fastjsonschema answers "valid?" about ten times faster than jsonschema; only a file that
    fails pays for jsonschema's complete list of errors.
    """

    def __init__(self, schema: dict) -> None:
        import fastjsonschema
        from jsonschema import Draft202012Validator

        self._fast = _compile_fast(schema)
        self._invalid = fastjsonschema.JsonSchemaException
        self._full = Draft202012Validator(schema)

    def is_valid(self, data: object) -> bool:
        try:
            self._fast(data)
        except self._invalid:
            return False
        return True

    def iter_errors(self, data: object):
        return self._full.iter_errors(data)


def _compile_fast(schema: dict):
    """fastjsonschema's check, without the error names it formats for every array item.

    The generated code builds each item's name (``data.people[{i}]``) with
    ``.format(**locals())`` before it knows whether the item is wrong: half its time on a
    large file. Only "valid?" is asked of it (jsonschema explains failures), so the names
    stay unformatted; the checks themselves are untouched.
    """
    import fastjsonschema

    code = fastjsonschema.compile_to_code(schema)
    root = re.search(r"^def (validate\w*)\(", code, re.MULTILINE)
    if root is None:
        return fastjsonschema.compile(schema)
    namespace: dict = {}
    exec(compile(code.replace(".format(**locals())", ""), "<agency schema>", "exec"), namespace)
    return namespace[root.group(1)]


def schema_problems(check, data: object, skip=None) -> Iterator[tuple[int, str]]:
    """(line, detail) for every schema violation in ``data``, in document order; a file
    with more than MAX_FILE_PROBLEMS of them gives only the first found (no more are made:
    a list of a million wrong items would cost minutes and gigabytes). ``skip(error)``
    leaves out errors the caller reports with a code of its own."""
    if check.is_valid(data):
        return
    found = itertools.islice(check.iter_errors(data), MAX_FILE_PROBLEMS + 1)
    errors = sorted((e for e in found if not (skip and skip(e))),
                    key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        path = tuple(error.absolute_path)
        line = line_of(data, path + _first_extra_key(error))
        yield line, f"{_where(path)}: {_say(error)}"


def _first_extra_key(error) -> tuple:
    """For an unknown key, point at the key itself rather than at its mapping."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ()
    extra = sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)
    return (extra[0],) if extra else ()


def _where(path: tuple) -> str:
    text = ""
    for step in path:
        text += f"[{step + 1}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "tệp"


def _say(error) -> str:
    saying = _SAYINGS.get(error.validator)
    return saying(error) if saying else f"không hợp lệ ({error.validator})"


def _required(error) -> str:
    missing = [key for key in error.validator_value if key not in (error.instance or {})]
    return "thiếu khóa bắt buộc " + ", ".join(missing)


def _additional(error) -> str:
    allowed = sorted(error.schema.get("properties", {}))
    extra = sorted(set(error.instance) - set(allowed), key=str)
    extra_keys = ", ".join(shown(str(key), 40) for key in extra[:5])
    return f"khóa không được khai báo: {extra_keys} (hợp lệ: {', '.join(allowed)})"


def _value(error) -> str:
    """The offending value as a message may quote it (short, one line)."""
    return shown(error.instance if isinstance(error.instance, str) else repr(error.instance))


_SAYINGS = {
    "required": _required,
    "additionalProperties": _additional,
    "enum": lambda e: f"'{_value(e)}' không thuộc {', '.join(map(str, e.validator_value))}",
    "type": lambda e: f"phải là {_TYPES.get(e.validator_value, e.validator_value)}",
    "pattern": lambda e: f"'{_value(e)}' sai định dạng",
    "minItems": lambda e: f"cần ít nhất {e.validator_value} mục",
    "uniqueItems": lambda e: "có mục bị lặp lại",
    "minLength": lambda e: "không được để trống",
    "maxLength": lambda e: f"dài quá {e.validator_value} ký tự",
}
