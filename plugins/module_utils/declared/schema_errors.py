"""JSON Schema errors said in Vietnamese: where in words, what is wrong, one fix per rule.

Every rule of every field has its own text and fix (HY010–HY015): a missing mục, an unknown
one (or a Vietnamese name of a known one: one message proposing the rename, not a second
"missing"), a value not among those allowed (glossed: ``active (đang hoạt động)``), a date in
another form (the same day as yyyy-mm-dd), a value of the wrong form for its field. What the
clerk wrote is quoted as written (``yes``, ``~``), never as Python's True or None.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from ..common.glossary import day, glossed, key_alias, number
from . import yamlsafe
from .dates import read_date
from .messages import render, shown
from .yamlsafe import MAX_FILE_PROBLEMS, line_of


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
    """(line, message) for every schema violation in ``data``, in document order (see
    ``schema_findings``); the message is the rendered ``CODE where: what. Cách sửa: fix``."""
    for line, code, fields in schema_findings(check, data, skip):
        yield line, render(code, **fields)


def schema_findings(check, data: object, skip=None) -> Iterator[tuple[int, str, dict]]:
    """(line, code, fields) for every schema violation in ``data``, in document order, each
    once; a file with more than MAX_FILE_PROBLEMS of them gives only the first found (no
    more are made: a list of a million wrong items would cost minutes and gigabytes).
    ``skip(error)`` leaves out errors the caller reports with a code of its own."""
    if check.is_valid(data):
        return
    found = itertools.islice(check.iter_errors(data), MAX_FILE_PROBLEMS + 1)
    errors = sorted((e for e in found if not (skip and skip(e))),
                    key=lambda e: list(map(str, e.absolute_path)))
    renamed = {(tuple(e.absolute_path), key_alias(str(key)))
               for e in errors if e.validator == "additionalProperties"
               for key in _extra_keys(e)}
    seen = set()
    for error in errors:
        for line, code, fields in _explain(error, data, renamed):
            mark = (line, code, tuple(sorted(fields.items())))
            if mark not in seen:
                seen.add(mark)
                yield line, code, fields


def _explain(error, data, renamed) -> list[tuple[int, str, dict]]:
    path = tuple(error.absolute_path)
    line = line_of(data, path)
    where = where_words(data, path)
    kind = error.validator
    if kind == "not" and error.validator_value == {"required": ["request", "basis"]}:
        return [(line_of(data, path + ("basis",)), "HY052", {"where": where})]  # both letters
    if kind == "required":  # one message for the mục missing from one record
        missing = [key for key in error.validator_value
                   if key not in (error.instance or {}) and (path, key) not in renamed]
        if not missing:
            return []
        return [(line, "HY011", {"where": where, "detail": " và ".join(missing),
                                 "fix": "; ".join(_required_fix(path, key) for key in missing)})]
    if kind == "additionalProperties":
        return [_unknown_key(error, data, path, key) for key in _extra_keys(error)]
    if kind == "enum" or (kind == "type" and error.validator_value == "boolean"):
        field = _field(path)
        allowed = error.validator_value if kind == "enum" else (True, False)
        value = written(data, path, error.instance)
        return [(line, "HY015", {"where": where, "allowed": allowed_words(field, allowed),
                                 "detail": f"'{value}'" if value else "để trống"})]
    if kind == "pattern" and _field(path) == "date" and isinstance(error.instance, str):
        return [date_finding(line, where, error.instance)]
    detail, fix = _form(error, data, path)
    return [(line, "HY010", {"where": where, "detail": detail, "fix": fix})]


def date_finding(line: int, where: str, text: str) -> tuple[int, str, dict]:
    """A date not written yyyy-mm-dd, read day first: the same day to write (HY014), an
    impossible day (HY034) or no date at all (HY010)."""
    reading = read_date(text)
    if reading.value:
        return line, "HY014", {"where": where, "detail": text, "iso": reading.value,
                               "day": day(reading.value)}
    if reading.kind == "impossible":
        return line, "HY034", {"where": where, "detail": text}
    return line, "HY010", {"where": where, "detail": f"ngày văn bản '{shown(text)}' không "
                           "phải là một ngày", "fix": _FORMAT_FIX["date"]}


def _extra_keys(error) -> list:
    if not isinstance(error.instance, dict):
        return []
    return sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)


def _unknown_key(error, data, path: tuple, key) -> tuple[int, str, dict]:
    allowed = sorted(error.schema.get("properties", {}))
    line = line_of(data, path + (key,))
    where = where_words(data, path)
    shown_key = yamlsafe.key_source_of(data, path + (key,)) if not isinstance(key, str) else key
    target = key_alias(str(key))
    if target in allowed and target not in error.instance:
        return line, "HY013", {"where": where, "detail": shown_key, "key": target}
    return line, "HY012", {"where": where, "detail": shown_key or str(key),
                           "allowed": ", ".join(allowed)}


# ---------------------------------------------------------------- where, in words

def where_words(data: object, path: tuple) -> str:
    """The record and the mục of ``path`` as a clerk reads them: ``Lê Văn An (người thứ 2
    trong people), mục title``, ``phòng thứ 1 trong divisions (Văn phòng), mục address``,
    ``mục status của cơ quan``; "" for the file itself."""
    if not path:
        return ""
    head, rest = path[0], path[1:]
    if head == "agency":
        return f"{_inner_words(rest)} của cơ quan" if rest else "cơ quan (mục agency)"
    if head in ("people", "divisions") and rest and isinstance(rest[0], int):
        record = record_words(data, head, rest[0])
        inner = _inner_words(rest[1:])
        return f"{record}, {inner}" if inner else record
    return _inner_words(path)


def record_words(data: object, section: str, index: int) -> str:
    """``Lê Văn An (người thứ 2 trong people)`` or ``phòng thứ 1 trong divisions (Văn
    phòng)``: the record named, and counted from 1 as the clerk sees it."""
    items = data.get(section) if isinstance(data, dict) else None
    item = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
    return record_phrase(section, index, item.get("name") if isinstance(item, dict) else None)


def record_phrase(section: str, index: int, name: object) -> str:
    """``Lê Văn An (người thứ 2 trong people)``, ``phòng thứ 1 trong divisions (Văn
    phòng)``: a record of ``section`` at ``index`` (from 0), named when it has a name."""
    name = shown(name, 60) if isinstance(name, str) and name.strip() else ""
    if section == "people":
        counted = f"người thứ {index + 1} trong people"
        return f"{name} ({counted})" if name else counted
    counted = f"phòng thứ {index + 1} trong divisions"
    return f"{counted} ({name})" if name else counted


def _inner_words(steps: tuple) -> str:
    """``("request", "date")`` → ``mục date trong request``; ``("owners", 2)`` → ``giá trị
    thứ 3 trong mục owners``."""
    keys = [shown(str(step), 40) for step in steps if not isinstance(step, int)]
    if not keys:
        return ""
    words = "mục " + " trong ".join(reversed(keys))
    if isinstance(steps[-1], int):
        words = f"giá trị thứ {steps[-1] + 1} trong {words}"
    return words


def written(data: object, path: tuple, value: object) -> str:
    """The value at ``path`` as the clerk wrote it: ``yes`` for True, ``~`` for None."""
    source = yamlsafe.source_of(data, path) if hasattr(yamlsafe, "source_of") else None
    if source is not None:
        return shown(source)
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "[…]"
    if isinstance(value, dict):
        return "{…}"
    return str(value)


def allowed_words(field: str, values) -> str:
    """``active (đang hoạt động), locked (đang tạm khóa) hoặc revoked (đã thu hồi)``."""
    texts = [glossed(field, _plain(value)) for value in values]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " hoặc " + texts[-1]


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- each field's rules

def _field(path: tuple) -> str:
    """The schema key a path ends at (for an item of a list, the list's key)."""
    keys = [step for step in path if isinstance(step, str)]
    return keys[-1] if keys else ""


# What each field is, as a clerk calls it.
_WORDS = {
    "title": "chức vụ", "phone": "số điện thoại", "code": "mã đơn vị hành chính",
    "parent": "địa chỉ cơ quan cấp trên", "address": "địa chỉ",
    "address_reason": "lý do đặt địa chỉ", "previous_addresses": "địa chỉ cũ",
    "delegates": "địa chỉ người được ủy quyền", "owners": "tài khoản GitLab người duyệt",
    "abbreviation": "tên viết tắt", "division": "tên viết tắt của phòng, ban",
    "number": "số văn bản", "date": "ngày văn bản", "issuer": "cơ quan ban hành",
    "reason": "lý do", "approved_by": "tài khoản người duyệt",
    "max_destructive": "số hộp thư tối đa",
}
_NAMES = {"people": "họ tên", "divisions": "tên phòng, ban", "agency": "tên cơ quan"}
_LOCAL_PART = "chỉ dùng chữ thường a–z không dấu, chữ số và dấu chấm đơn, tối đa 64 ký tự"
_FORMAT_FIX = {
    "phone": "ghi số điện thoại trong dấu ngoặc kép, chỉ gồm chữ số, dấu cách, dấu chấm, "
             "gạch ngang và ngoặc đơn, có thể bắt đầu bằng +, ví dụ \"0221 3865 555\"; "
             "không ghi số máy lẻ",
    "code": "ghi mã đơn vị hành chính của Tổng cục Thống kê, từ 2 đến 5 chữ số, trong dấu "
            "ngoặc kép, ví dụ \"12345\"",
    "owners": "ghi tên tài khoản GitLab như trên trang cá nhân GitLab: chữ không dấu, chữ số "
              "và các dấu . _ -, không có dấu cách",
    "abbreviation": "chỉ dùng chữ thường a–z không dấu và chữ số, tối đa 30 ký tự, ví dụ "
                    "'ptckh'",
    "division": "ghi tên viết tắt của một phòng, ban trong divisions: chữ thường a–z không "
                "dấu và chữ số, ví dụ 'ptckh'",
    "date": "ghi ngày văn bản theo dạng năm-tháng-ngày, ví dụ '2024-03-01' cho ngày "
            "01/03/2024",
    "number": "ghi số, ký hiệu như trên văn bản, trong dấu ngoặc đơn, ví dụ '15/UBND-VP'",
    "parent": _LOCAL_PART, "address": _LOCAL_PART, "previous_addresses": _LOCAL_PART,
    "delegates": _LOCAL_PART,
}
_REQUIRED_FIX = {
    "title": "thêm dòng 'title: <chức vụ>' cho người này",
    "kind": "thêm dòng 'kind: <loại cơ quan>', loại là " + allowed_words(
        "kind", ("department", "district", "commune", "unit")),
    "owners": "thêm dòng 'owners: [<tài khoản GitLab của người duyệt>]'",
    "abbreviation": "thêm dòng 'abbreviation: <tên viết tắt không dấu, chữ thường>', ví dụ "
                    "'abbreviation: ptckh'",
    "number": "thêm dòng 'number: <số, ký hiệu văn bản>', ví dụ 'number: 15/UBND-VP'",
    "date": "thêm dòng 'date: <ngày văn bản theo dạng năm-tháng-ngày>'",
    "agency": "bắt đầu tệp bằng dòng 'agency:' rồi các mục name, kind, owners của cơ quan, "
              "thụt vào hai dấu cách",
    "issuer": "thêm dòng 'issuer: <tên đầy đủ của cơ quan ban hành>'",
    "approved_by": "thêm dòng 'approved_by: <tài khoản GitLab của người duyệt>'",
    "reason": "thêm dòng 'reason: <lý do phê duyệt>'",
    "max_destructive": "thêm dòng 'max_destructive: <số hộp thư tối đa được thu hồi, đổi tên "
                       "hoặc xóa khỏi khai báo>'",
}


def field_words(path: tuple) -> str:
    """What the field at ``path`` is: ``họ tên``, ``số điện thoại``, ``ngày văn bản``."""
    field = _field(path)
    if field == "name":
        return _NAMES.get(path[0], "tên") if path else "tên"
    return _WORDS.get(field, f"mục {field}" if field else "tệp")


def _required_fix(path: tuple, key: str) -> str:
    if key == "name":
        return f"thêm dòng 'name: <{_NAMES.get(path[0] if path else '', 'tên')} đầy đủ, có dấu>'"
    return _REQUIRED_FIX.get(key, f"thêm mục '{key}'")


def _form(error, data, path: tuple) -> tuple[str, str]:
    """(what is wrong, the fix) for a value of the wrong form for its field."""
    field, words, kind = _field(path), field_words(path), error.validator
    value = written(data, path, error.instance)
    if kind == "type":
        return _wrong_type(error, path, field, words, value)
    if kind in ("minLength", "pattern") and error.schema.get("pattern") in (None, "\\S"):
        return f"{words} đang để trống", _empty_fix(field, words)
    if kind == "maxLength":
        return (f"{words} dài {len(error.instance)} ký tự, quá {error.validator_value} ký tự",
                f"viết gọn lại, tối đa {error.validator_value} ký tự")
    if kind == "pattern":
        return (f"{words} '{value}' không đúng cách ghi",
                _FORMAT_FIX.get(field, f"ghi {words} như trong tệp mẫu"))
    if kind in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        return (f"{words} {value} nằm ngoài khoảng cho phép",
                f"ghi một số từ {number(low)} đến {number(high)}" if low is not None
                and high is not None else f"ghi {words} trong khoảng cho phép")
    if kind == "minItems":
        return f"danh sách {field} đang trống", f"ghi ít nhất một {words}"
    if kind == "uniqueItems":
        return (f"danh sách {field} có giá trị ghi hai lần",
                "xóa giá trị ghi lặp lại, mỗi giá trị ghi một lần")
    return (f"{words} không đúng quy định của tệp khai báo",
            f"sửa {words} theo mẫu trong hướng dẫn cho văn thư (docs/huong-dan-van-thu.md)")


# The mục every record of its kind must hold: an empty one is filled in, never deleted.
_REQUIRED = frozenset({"name", "title", "kind", "owners", "abbreviation", "number", "date",
                       "issuer", "approved_by", "reason", "max_destructive"})


def _empty_fix(field: str, words: str) -> str:
    if field in _REQUIRED:
        return _FORMAT_FIX.get(field, f"ghi {words}")
    return f"ghi {words}, hoặc xóa cả dòng nếu không cần"


def _wrong_type(error, path: tuple, field: str, words: str, value: str) -> tuple[str, str]:
    expected, instance = error.validator_value, error.instance
    if expected == "string":
        if instance is None:
            return f"{words} đang để trống", _empty_fix(field, words)
        if isinstance(instance, (dict, list)):
            return (f"{words} phải là một giá trị trên một dòng, không phải danh sách hay "
                    "nhóm mục", f"ghi '{field}: <{words}>' trên một dòng")
        return (f"{words} {value} phải đặt trong dấu ngoặc kép (không đặt, giá trị được hiểu "
                "là số hoặc đúng/sai)",
                f"ghi {field}: \"{value}\" (giữ số 0 ở đầu nếu có)")
    if expected == "object":
        return _wrong_object(path, field, words)
    if expected == "array":
        if path and path[-1] in ("people", "divisions"):
            return (f"mục {field} phải là danh sách",
                    f"viết mỗi {'người' if field == 'people' else 'phòng, ban'} thành một "
                    f"nhóm mục dưới '{field}:', dòng đầu bắt đầu bằng '- ', ví dụ '- name: …'")
        shown_value = value if value and not isinstance(instance, dict) else "…"
        return (f"mục {field} phải là danh sách",
                f"ghi dạng danh sách trong ngoặc vuông, ví dụ '{field}: [{shown_value}]'")
    if expected == "integer":
        return (f"{words} '{value}' phải là một số nguyên",
                f"ghi một số nguyên, không đặt trong dấu ngoặc, ví dụ '{field}: 12'")
    return f"{words} {value} không đúng kiểu", f"ghi {words} như trong tệp mẫu"


def _wrong_object(path: tuple, field: str, words: str) -> tuple[str, str]:
    if not path:
        return ("tệp phải bắt đầu bằng mục agency (không phải danh sách hay một giá trị)",
                _REQUIRED_FIX["agency"])
    if field in ("request", "password_reset", "basis"):
        return (f"mục {field} phải là một nhóm mục con (mỗi dòng dạng tên: giá trị)",
                f"ghi {field} gồm các mục con number (số văn bản) và date (ngày, dạng "
                "năm-tháng-ngày), mỗi mục một dòng thụt vào hai dấu cách")
    if isinstance(path[-1], int):
        return ("mỗi mục của danh sách phải là một nhóm mục con (mỗi dòng dạng tên: giá trị)",
                "viết '- name: …' rồi các mục khác ở các dòng sau, thụt thẳng hàng với name")
    return (f"mục {field} phải là một nhóm mục con (mỗi dòng dạng tên: giá trị)",
            f"viết các mục con của {field} ở các dòng sau '{field}:', thụt vào hai dấu cách")
