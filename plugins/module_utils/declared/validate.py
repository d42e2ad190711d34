"""Province-wide validation of the declared mailboxes: every problem at once, one line each.

``validate_tree(directory, schema)`` reads ``<directory>/*.yml`` and returns every problem
as ``path:line: CODE message``, plus the agency files it could read. The rules of Điều 5
come from ``naming``; this module only decides which rule applies where.
"""

from __future__ import annotations

import datetime
import errno
import os
import re
import stat
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ..common.glossary import VALUE_GLOSS, glossed
from ..common.parallel import fork_map
from . import naming, yamlsafe
from .dates import ISO
from .messages import render, shown
from .quota import quota_problem
from .schema_errors import date_finding, record_phrase, schema_findings
from .yamlsafe import MAX_FILE_BYTES, MAX_FILE_PROBLEMS, YDict, load_text

MODELINE = "# yaml-language-server: $schema=../schemas/agency.schema.json"
# The schema beside the files, however deep they lie; never a URL (an editor would fetch it).
MODELINE_RE = re.compile(r"# yaml-language-server: \$schema=(\.\./)+schemas/agency\.schema\.json\Z")
PLACE_KINDS = ("district", "commune")

# How official letters are numbered ('15/UBND-VP', 'số 3/QĐ-UBND'): nothing a spreadsheet,
# a GitLab note or a mail reader would act on (=, +, @, ;, :, <, back-tick, …).
LETTER_NUMBER_RE = re.compile(r"[0-9A-Za-zÀ-ỹĐđ][0-9A-Za-zÀ-ỹĐđ/._ -]{0,59}\Z")
_LETTER_NUMBER_CHAR = re.compile(r"[0-9A-Za-zÀ-ỹĐđ/._ -]")
# A division's abbreviation, as the schema writes it (divisions[].abbreviation).
ABBREVIATION_RE = re.compile(r"[a-z0-9]{1,30}\Z")
LETTER_KEYS = ("request", "password_reset", "basis")


@dataclass(frozen=True, order=True)
class Problem:
    """One problem of one file, at one line, with its stable code."""

    path: str
    line: int
    code: str
    message: str
    # libyaml's English message behind a syntax error: for -v only, never for clerks.
    original: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Entry:
    """One address claimed in the province: a mailbox, or a previous address kept as alias."""

    address: str
    role: str  # agency, division, person or previous
    agency: str
    name: str
    path: str
    line: int
    derived: bool = False
    token: str = ""
    item: dict = field(default_factory=dict, repr=False)
    address_line: int = 0  # where the address is written: its 'address' key, if declared
    section: str = "agency"  # agency, divisions or people: where the record is written
    index: int = 0  # its place in that list

    def place(self) -> str:
        """Who holds the address and where: ``Nguyễn Hoàng Phúc (mailboxes/sotttt.yml,
        dòng 10)``."""
        return f"{shown(self.name, 60)} ({self.path}, dòng {self.line})"

    def words(self, key: str | None = None) -> tuple:
        """The record, and its mục ``key``: the ``where`` of a message (see ``Place``)."""
        return Place(self.section, self.index, self.name, key)


def where_of(section: str, index: int, name: object, key: str | None = None) -> str:
    """``mục status của cơ quan``, ``Lê Văn An (người thứ 2 trong people), mục title``;
    "" for the file itself (no section). A key (name, 2) is the third value of the list
    ``name``; a key (date, request) the mục date of the letter request."""
    if isinstance(key, tuple):
        inner, outer = key
        key = (f"{inner} (giá trị thứ {outer + 1})" if isinstance(outer, int)
               else f"{inner} trong {outer}")
    if not section:
        return f"mục {key}" if key else ""
    if section == "agency":
        return f"mục {key} của cơ quan" if key else "cơ quan (mục agency)"
    record = record_phrase(section, index, name)
    return f"{record}, mục {key}" if key else record


class Place(tuple):
    """Where a message points, said in words only when a message is made: (section, index,
    name, key) as ``where_of`` takes them (validating a province names 100,000 records that
    have nothing to report)."""

    __slots__ = ()

    def __new__(cls, section: str, index: int, name: object, key: str | None = None):
        return tuple.__new__(cls, (section, index, name, key))

    def __str__(self) -> str:
        return where_of(*self)


@dataclass
class AgencyFile:
    """A readable agency file: its id (file stem), data and the addresses it claims."""

    id: str
    path: str
    data: dict
    address: str = ""
    entries: list[Entry] = field(default_factory=list)

    def light(self) -> AgencyFile:
        """Only what the province-wide rules read (check_tree): the ``agency`` mapping and
        each entry without its item, but an agency's own (its ``parent``). Cheap to pickle.
        """
        head = self.data["agency"]
        data = YDict(agency=head)
        data.line = self.data.line
        data.key_lines = {"agency": self.data.key_lines.get("agency", head.line)}
        entries = [entry if entry.item is head else replace(entry, item={})
                   for entry in self.entries]
        return AgencyFile(self.id, self.path, data, self.address, entries)


class Report:
    """Collects problems for one file."""

    def __init__(self, path: str, sink: list[Problem]) -> None:
        self.path, self.sink = path, sink

    def __call__(self, line: int, code: str, original: str = "", **fields: object) -> None:
        if isinstance(fields.get("where"), Place):
            fields["where"] = str(fields["where"])
        self.sink.append(Problem(self.path, line, code, render(code, **fields), original))


@dataclass
class Result:
    problems: list[Problem]
    agencies: list[AgencyFile]
    extras: list = field(default_factory=list)  # each(agency file), in file order


@dataclass
class FileOutcome:
    """What reading one file gave: its problems, the agency (or None), ``each``'s answer."""

    stem: str
    problems: list[Problem]
    agency: AgencyFile | None
    extra: object = None


def validate_tree(directory: str, validator, label: str | None = None, *, each=None,
                  workers: int = 1) -> Result:
    """Validate every agency file under ``directory``; ``label`` prefixes the reported paths.

    ``each(agency_file)`` is called on every file read without a problem, right after it
    is read; its answers are kept in ``Result.extras`` (None for the other files). With
    ``workers`` > 1 the files are read by that many forked processes and come back light
    (``AgencyFile.light``), so whatever needs a file's full data belongs in ``each``.
    """
    label = directory if label is None else label
    problems: list[Problem] = []
    names = sorted(os.listdir(directory))
    for name in names:
        if name.lower().endswith((".yaml", ".yml")) and not name.endswith(".yml"):
            Report(_label_path(label, name), problems)(1, "HY009", detail=name)
    job = _FileJob(directory, label, validator, each, light=workers > 1)
    outcomes = fork_map(job, [name for name in names if name.endswith(".yml")], workers)
    agencies, unreadable, extras = [], set(), []
    for outcome in outcomes:
        problems += outcome.problems
        if outcome.agency:
            agencies.append(outcome.agency)
            extras.append(outcome.extra)
        else:
            unreadable.add(outcome.stem)
    check_tree(agencies, problems, unreadable)
    problems = sorted(set(problems))  # one message per mistake, however it was found
    return Result(capped(problems), agencies, extras)


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_FILE_PROBLEMS problems of each file (sorted), then one HY041 line."""
    kept, counts = [], defaultdict(int)
    for problem in problems:
        counts[problem.path] += 1
        if counts[problem.path] <= MAX_FILE_PROBLEMS:
            kept.append(problem)
        elif counts[problem.path] == MAX_FILE_PROBLEMS + 1:
            Report(problem.path, kept)(problem.line, "HY041", detail=MAX_FILE_PROBLEMS)
    return kept


def _label_path(label: str, name: str) -> str:
    """The path a message names: a file name an attacker chose is shown escaped."""
    name = shown(name, None)
    return os.path.join(label, name) if label else name


class _FileJob:
    """Read and check one file (in a worker process when the tree is read in parallel)."""

    def __init__(self, directory, label, validator, each, light: bool) -> None:
        self.directory, self.label, self.validator = directory, label, validator
        self.each, self.light = each, light

    def __call__(self, name: str) -> FileOutcome:
        problems: list[Problem] = []
        path, raw = _label_path(self.label, name), None
        if naming.local_part_problem(name[:-4]):  # not even opened
            why = "tên tệp phải là địa chỉ của cơ quan (chữ a–z, chữ số, dấu chấm đơn)"
        else:
            raw, why = read_bounded(os.path.join(self.directory, name))
        if why:
            Report(path, problems)(1, "HY038", detail=name, why=why)
            return FileOutcome(name[:-4], problems, None)
        if raw is None or len(raw) > MAX_FILE_BYTES:
            size = os.stat(os.path.join(self.directory, name)).st_size
            Report(path, problems)(1, "HY004", detail=yamlsafe.size_detail(size))
            return FileOutcome(name[:-4], problems, None)
        agency = read_agency_file(name[:-4], path, raw, self.validator, problems)
        extra = self.each(agency) if agency and self.each and not problems else None
        if agency and self.light:
            agency = agency.light()
        return FileOutcome(name[:-4], problems, agency, extra)


def read_bounded(path: str) -> tuple[bytes | None, str | None]:
    """(content, None) of a regular file, None as content when it is over MAX_FILE_BYTES;
    (None, why) for anything else. Never follows a link, never waits on a pipe, never
    reads more than MAX_FILE_BYTES + 1 bytes (a link to /dev/zero cannot fill memory)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None, "là liên kết tượng trưng (symlink)"
        return None, f"không mở được ({error.strerror})"
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        os.close(descriptor)
        if stat.S_ISDIR(info.st_mode):
            return None, "là thư mục"
        if not stat.S_ISREG(info.st_mode):
            return None, "không phải tệp thường (thiết bị, ống dẫn hoặc socket)"
        return None, None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1), None


def read_agency_file(stem, path, raw: bytes, validator, problems) -> AgencyFile | None:
    """Load, screen and schema-check one file; returns what can be checked further."""
    report = Report(path, problems)
    data, load_problems = load_text(raw, screen_values=True)
    for problem in load_problems:
        report(problem.line, problem.code, getattr(problem, "original", ""), **problem.fields())
    if load_problems:
        return None
    first_line = raw.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    first_line = first_line.removeprefix(yamlsafe.BOM)  # Notepad's BOM is accepted
    if not MODELINE_RE.match(first_line):
        report(1, "HY008", detail=MODELINE)
    for line, code, fields in schema_findings(validator, data if data is not None else {},
                                              skip=letter_number_error):
        report(line, code, **fields)
    check_texts(data, report)
    check_letters(data, report)
    check_booleans(data, report)
    agency = data.get("agency") if isinstance(data, dict) else None
    if not isinstance(agency, dict) or not _text(agency.get("name")):
        return None
    agency.line = data.key_lines.get("agency", agency.line)  # report at 'agency:'
    agency_file = AgencyFile(stem, path, data)
    collect_entries(agency_file, report)
    return agency_file


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _items(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _line(item: dict, key: str | None = None) -> int:
    if key and key in getattr(item, "key_lines", {}):
        return item.key_lines[key]
    return getattr(item, "line", 1)


# ---------------------------------------------------------------- one file

# What a name or title may hold besides letters: ASCII digits, spaces, Latin combining marks
# and a few punctuation marks. Never ':' ';' '@' '<' '|' '#' '"' ... (separators of the
# server's files and of the formats names are published in).
_NAME_PUNCTUATION = " \u00a0-,.'()/&\u2013\u2019"
_NAME_ODD = re.compile(  # a character that is not a letter, an ASCII digit or one of those
    rf"[^\w{re.escape(_NAME_PUNCTUATION)}\u0300-\u036f]|_|(?![0-9])\d")
_TEXT_FIELDS = (("agency", "name", "tên cơ quan"), ("divisions", "name", "tên phòng, ban"),
                ("people", "name", "họ tên"), ("people", "title", "chức vụ"))


def check_texts(data: object, report: Report) -> None:
    """HY040: names and titles hold only letters, digits, spaces and a few marks."""
    if not isinstance(data, dict):
        return
    for section, key, label in _TEXT_FIELDS:
        items = [data.get(section)] if section == "agency" else data.get(section)
        for index, item in enumerate(items if isinstance(items, list) else []):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str):
                continue
            if legacy := naming.legacy_encoding(value):  # HY050: TCVN3 or VNI, not Unicode
                report(_line(item, key), "HY050", detail=value, field=label,
                       where=where_of(section, index, item.get("name"), key),
                       encoding=legacy.encoding, chars=", ".join(f"'{c}'" for c in legacy.chars))
                continue
            if _NAME_ODD.search(value):
                report(_line(item, key), "HY040", detail=value, field=label,
                       where=where_of(section, index, item.get("name"), key),
                       chars=", ".join(f"'{c}'" for c in _odd_characters(value)))
            if section == "people" and key == "name" and (recased := naming.recased_name(value)):
                report(_line(item, key), "HY051", detail=value, expected=recased,
                       where=where_of(section, index, item.get("name"), key),
                       case="in hoa" if value.isupper() else "thường")


def _odd_characters(value: str) -> list[str]:
    odd = [c for c in dict.fromkeys(value) if _NAME_ODD.match(c)]
    return [shown(c) for c in odd[:5]]


def check_letters(data: object, report: Report) -> None:
    """Every letter (request, password_reset, basis) of a file: its number written the way
    official letters are numbered (HY044), its date, written yyyy-mm-dd, a real day (HY034;
    the other forms are the schema's pattern, said by schema_errors.date_finding)."""
    for place, letter in _placed_letters(data):
        number, date = letter.get("number"), letter.get("date")
        why = letter_number_problem(number) if isinstance(number, str) else None
        if why:
            report(_line(letter, "number"), "HY044", detail=number, why=why,
                   where=Place(*place[:3], ("number", place[3])))
        if isinstance(date, str) and ISO.match(date) and not _real_day(date):
            line, code, fields = date_finding(_line(letter, "date"),
                                              Place(*place[:3], ("date", place[3])), date)
            report(line, code, **fields)


def _real_day(iso: str) -> bool:
    try:
        datetime.date.fromisoformat(iso)
    except ValueError:
        return False
    return True


def letter_number_findings(data: object) -> list[tuple[int, str, str]]:
    """(line, number, why) for every letter number of an agency file or an approval record
    that breaks HY044; a number that is not text is the schema's (HY010)."""
    found = []
    for letter in _letters(data):
        number = letter.get("number")
        why = letter_number_problem(number) if isinstance(number, str) else None
        if why:
            found.append((_line(letter, "number"), number, why))
    return found


def check_booleans(data: object, report: Report) -> None:
    """HY015 for ``publish: yes`` (or on, off, no): YAML reads them as true or false, but
    the files write only true and false, as the clerk's guide shows."""
    people = data.get("people") if isinstance(data, dict) else None
    for index, person in enumerate(people if isinstance(people, list) else ()):
        if not isinstance(person, dict) or not isinstance(person.get("publish"), bool):
            continue
        source = getattr(person, "value_sources", {}).get("publish")
        if source is not None and source.lower() not in ("true", "false"):
            report(_line(person, "publish"), "HY015",
                   where=Place("people", index, person.get("name"), "publish"),
                   detail=f"'{shown(source)}'",
                   allowed=f"{glossed('publish', 'true')} hoặc {glossed('publish', 'false')}")


def _listed(data: object, section: str) -> list:
    """The items of a list at the top of ``data``, [] when there is none (every item, so
    that an item's index is its place in the file)."""
    items = data.get(section) if isinstance(data, dict) else None
    return [item if isinstance(item, dict) else {} for item in items] if isinstance(
        items, list) else []


def letter_number_problem(number: str) -> str | None:
    """Why ``number`` is not written as an official letter's number, or None."""
    if unicodedata.normalize("NFC", number) != number:
        return "chữ không ở dạng Unicode dựng sẵn"
    if LETTER_NUMBER_RE.match(number):
        return None
    odd = [shown(c) for c in dict.fromkeys(number) if not _LETTER_NUMBER_CHAR.match(c)]
    if odd:
        return "có ký tự " + ", ".join(f"'{c}'" for c in odd[:5]) + " không dùng được"
    if len(number) > 60:
        return f"dài {len(number)} ký tự, tối đa 60"
    return "phải bắt đầu bằng chữ hoặc chữ số"


def letter_number_error(error) -> bool:
    """A schema error HY044 says better: the pattern or length of a letter's number."""
    path = tuple(error.absolute_path)
    return (len(path) >= 2 and path[-1] == "number" and path[-2] in LETTER_KEYS
            and isinstance(error.instance, str)
            and error.validator in ("pattern", "minLength", "maxLength"))


def _letters(data: object) -> list[dict]:
    """The letter mappings of a file: of the agency, divisions and people, or at the top
    (an approval record)."""
    if not isinstance(data, dict):
        return []
    holders = [data, data.get("agency"), *_items(data, "divisions"), *_items(data, "people")]
    return [letter for holder in holders if isinstance(holder, dict)
            for letter in (holder.get(key) for key in LETTER_KEYS) if isinstance(letter, dict)]


def _placed_letters(data: object):
    """((section, index, name, letter key), letter) for every letter mapping of a file:
    what a ``Place`` needs to name the letter's mục (``mục date trong request của cơ
    quan``)."""
    if not isinstance(data, dict):
        return
    holders = [("", 0, data), ("agency", 0, data.get("agency"))]
    for section in ("divisions", "people"):
        items = data.get(section)
        if isinstance(items, list):
            holders += [(section, index, item) for index, item in enumerate(items)]
    for section, index, holder in holders:
        if not isinstance(holder, dict):
            continue
        for key in LETTER_KEYS:
            letter = holder.get(key)
            if isinstance(letter, dict):
                yield (section, index, holder.get("name"), key), letter


def collect_entries(agency_file: AgencyFile, report: Report) -> None:
    """Resolve every address the file claims and check the rules local to the file."""
    agency = agency_file.data["agency"]
    agency_file.address = agency_address(agency, agency_file.id, report)
    if agency_file.address and agency_file.address != agency_file.id and not (
            naming.local_part_problem(agency_file.address)):  # else HY021 alone says it
        report(_line(agency), "HY020", detail=agency_file.id, expected=agency_file.address)
    add = agency_file.entries.append
    add(_entry(agency_file, agency, "agency", agency_file.address, agency["name"]))
    divisions = {}
    for index, division in enumerate(_listed(agency_file.data, "divisions")):
        entry = division_entry(agency_file, division, index, report) if division else None
        if entry:
            add(entry)
        # None: a division whose abbreviation is missing or broken (the schema's HY010 or
        # HY011), so that no person is blamed for naming it (HY036).
        abbreviation = _text(division.get("abbreviation"))
        divisions[abbreviation if ABBREVIATION_RE.match(abbreviation) else None] = entry
    for index, person in enumerate(_listed(agency_file.data, "people")):
        entry = person_entry(agency_file, person, index, divisions, report) if person else None
        if entry:
            add(entry)
    for entry in list(agency_file.entries):
        check_mailbox(entry, agency_file.address, report)
        _previous_entries(agency_file, entry, report)
    check_delegates(agency_file, report)


_SECTIONS = {"agency": "agency", "division": "divisions", "person": "people"}


def _entry(agency_file, item, role, address, name, derived=True, token="", index=0) -> Entry:
    line = _line(item)
    return Entry(address, role, agency_file.id, name, agency_file.path, line, derived, token, item,
                 _line(item, "address") if "address" in item else line, _SECTIONS[role], index)


def agency_address(agency: dict, stem: str, report: Report) -> str:
    """The agency mailbox's address: derived from a place name, or declared (Điều 5.1)."""
    name, kind = agency["name"], agency.get("kind")
    where = Place("agency", 0, name, "name")
    if naming.legacy_encoding(name):  # HY050: no address derived from a mis-encoded name
        return _text(agency.get("address"))
    if kind in PLACE_KINDS:
        derived = naming.place_local_part(name)
        if not derived:
            report(_line(agency, "name"), "HY027", detail=name, where=where)
            return ""
        if not check_name(agency, "name", "tên cơ quan", derived, report, where):
            return ""
        return resolve_override(
            agency, derived, derived,
            lambda: naming.place_suggestions(name, _text(agency.get("parent"))), report,
            "tên địa danh", Place("agency", 0, name, "address"))
    abbreviation = naming.agency_abbreviation(name)
    named = check_name(agency, "name", "tên cơ quan", abbreviation, report, where)
    declared = _text(agency.get("address"))
    if not declared and kind in ("department", "unit") and named:
        report(_line(agency), "HY028", detail=kind, expected=abbreviation,
               kind=VALUE_GLOSS["kind"][kind], where=where_of("agency", 0, name))
    return declared


def check_name(item: dict, key: str, field: str, kept: str, report: Report,
               where: str = "") -> bool:
    """HY029: False when ``kept``, the part of ``item[key]`` an address keeps (a given name,
    a place, an abbreviation), is digits alone: a number names no one (Điều 5)."""
    if not naming.digits_only(kept):
        return True
    report(_line(item, key), "HY029", field=field, detail=item[key], part=kept, where=where)
    return False


def division_entry(agency_file, division, index, report) -> Entry | None:
    name, abbreviation = _text(division.get("name")), _text(division.get("abbreviation"))
    if name:
        check_name(division, "name", "tên phòng, ban", naming.abbreviate(name), report,
                   Place("divisions", index, name, "name"))
    if abbreviation and not ABBREVIATION_RE.match(abbreviation):
        return None  # the schema's pattern (HY010): no address from it
    if abbreviation and not check_name(division, "abbreviation", "tên viết tắt",
                                       abbreviation, report,
                                       Place("divisions", index, name, "abbreviation")):
        return None
    if not (name and abbreviation and agency_file.address):
        return None
    derived = f"{abbreviation}.{agency_file.address}"
    address = resolve_override(
        division, derived, abbreviation,
        lambda: [f"{abbreviation}{n}.{agency_file.address}" for n in range(1, 4)], report,
        "tên viết tắt", Place("divisions", index, name, "address"))
    return _entry(agency_file, division, "division", address, name, address == derived,
                  abbreviation, index)


def person_entry(agency_file, person, index, divisions, report) -> Entry | None:
    name = _text(person.get("name"))
    if not name or naming.legacy_encoding(name):  # HY050: no address from a mis-encoded name
        return None
    derived = naming.person_local_part(name)
    if not derived:
        report(_line(person, "name"), "HY027", detail=name,
               where=where_of("people", index, name, "name"))
        return None
    token = naming.person_name_token(name)
    if not check_name(person, "name", "họ tên", token, report,
                      Place("people", index, name, "name")):
        return None
    address = resolve_override(
        person, derived, token, lambda: naming.person_suggestions(name, agency_file.address),
        report, "tên", Place("people", index, name, "address"))
    if "." in address and not naming.local_part_problem(address):  # else HY021 says it
        report(_line(person, "address"), "HY042", detail=address,
               suggestions=", ".join(naming.person_suggestions(name)),
               where=where_of("people", index, name, "address"))
    division = person.get("division")
    if isinstance(division, str) and ABBREVIATION_RE.match(division) and (
            division not in divisions and None not in divisions):
        report(_line(person, "division"), "HY036", detail=division,
               where=where_of("people", index, name, "division"))
    return _entry(agency_file, person, "person", address, name, address == derived, token,
                  index)


def resolve_override(item: dict, derived: str, token: str, suggestions, report,
                     part: str = "tên", where: str = "") -> str:
    """The declared address when it overrides the derived one under Điều 5.3, else derived.

    ``suggestions()`` is asked only when the override loses the name (rare, and costly);
    ``part`` says what of the name the address must keep (tên, tên viết tắt, tên địa danh).
    """
    declared = item.get("address")
    if not isinstance(declared, str) or declared == derived:
        return derived
    line = _line(item, "address")
    if not _text(item.get("address_reason")).strip():
        report(line, "HY025", detail=declared, expected=derived, where=where)
    if token and token not in declared.replace(".", ""):
        report(line, "HY026", detail=declared, expected=token, part=part, where=where,
               suggestions=", ".join(suggestions()[:3]))
    return declared


def check_mailbox(entry: Entry, agency_address: str, report: Report) -> None:
    """Format, reserved names, lock reason and request letter of one mailbox."""
    item, line = entry.item, entry.line
    declared = "address" in item
    check_address(entry.address, _line(item, "address") if declared else line, report, declared,
                  agency_address, entry.words("address") if declared else entry.words())
    status, reason = item.get("status", "active"), item.get("lock_reason")
    if status == "locked" and not reason:
        report(_line(item, "status"), "HY030", where=entry.words("status"))
    if reason and status != "locked":
        report(_line(item, "lock_reason"), "HY031", where=entry.words("lock_reason"),
               detail=glossed("status", status) if isinstance(status, str) else status)
    check_request(item, "request", report, required="basis" not in item, where=entry.words())
    check_request(item, "basis", report, required=False, where=entry.words())
    if "request" in item and "basis" in item:  # exactly one letter: a request or a basis
        report(_line(item, "basis"), "HY052", where=entry.words("basis"))
    check_request(item, "password_reset", report, required=False)
    check_quota(item, report, entry.words("quota"))


def check_quota(item: dict, report: Report, where: str = "") -> None:
    """HY053: a mailbox's own quota is a size the server can take (declared/quota.py)."""
    value = item.get("quota")
    if isinstance(value, str) and (why := quota_problem(value)):  # not text: the schema's
        report(_line(item, "quota"), "HY053", detail=value, why=why, where=where)


def check_address(address: str, line: int, report: Report, declared: bool = True,
                  agency_address: str = "", where: str = "") -> None:
    """Format (HY021), reserved names (HY022; ``<word>.<agency_address>`` is the agency's
    own), and for a declared address no part of digits alone (HY029; a derived one keeps a
    name already checked)."""
    if not address:
        return
    why = naming.local_part_problem(address)
    if why:
        report(line, "HY021", detail=address, why=why, where=where)
    elif word := naming.reserved_word(address, agency_address):
        report(line, "HY022", detail=address, word=word, where=where)
    elif declared and (digits := [p for p in address.split(".") if naming.digits_only(p)]):
        report(line, "HY029", field="địa chỉ", detail=address, part=digits[0], where=where)


def check_request(item: dict, key: str, report: Report, required: bool,
                  where: str = "") -> None:
    """HY033: a mailbox cites the letter that asked for it (its date is check_letters')."""
    if required and item.get(key) is None:
        report(_line(item), "HY033", where=where)


def _previous_entries(agency_file: AgencyFile, entry: Entry, report: Report) -> None:
    previous = entry.item.get("previous_addresses")
    if entry.role not in ("agency", "division") or not isinstance(previous, list):
        return
    for index, old in enumerate(previous):
        if not isinstance(old, str):
            continue
        line = previous.item_lines[index] if hasattr(previous, "item_lines") else entry.line
        where = entry.words(("previous_addresses", index))
        check_address(old, line, report, agency_address=agency_file.address, where=where)
        if old == entry.address:
            report(line, "HY037", detail=old, where=where)
            continue
        agency_file.entries.append(Entry(old, "previous", agency_file.id, entry.name,
                                         agency_file.path, line, False, "", entry.item,
                                         line, entry.section, entry.index))


def check_delegates(agency_file: AgencyFile, report: Report) -> None:
    """Delegates must be active people of the same agency (Điều 9.1)."""
    active = {e.address for e in agency_file.entries
              if e.role == "person" and e.item.get("status", "active") == "active"}
    for entry in agency_file.entries:
        delegates = entry.item.get("delegates") if entry.role != "previous" else None
        if not isinstance(delegates, list):
            continue
        for index, delegate in enumerate(delegates):
            if isinstance(delegate, str) and delegate not in active:
                report(delegates.item_lines[index], "HY032", detail=delegate,
                       where=entry.words(("delegates", index)))


# ---------------------------------------------------------------- the province


def check_tree(agencies: list[AgencyFile], problems: list[Problem], unreadable=()) -> None:
    """Rules across files: the agency tree and one namespace for every address.

    Files that could not be read are already reported; they are not blamed twice.
    """
    by_id = {agency.id: agency for agency in agencies}
    cycles = parent_cycles(by_id)
    for agency in agencies:
        parent = agency.data["agency"].get("parent")
        if parent is None or (isinstance(parent, str) and parent not in unreadable):
            check_parent(agency, by_id, Report(agency.path, problems), cycles)
    check_namespace([e for a in agencies for e in a.entries], problems)
    check_agency_labels(agencies, problems, unreadable)


def check_agency_labels(agencies: list[AgencyFile], problems: list[Problem],
                        unreadable=()) -> None:
    """HY043: ``<anything>.<agency>`` is declared only in that agency's file: outsiders
    write to ``pnv.tienlu`` trusting it is Tiên Lữ's (Điều 5.1.d)."""
    ids = {agency.id for agency in agencies} | set(unreadable)
    for agency in agencies:
        for entry in agency.entries:
            owner = "." in entry.address and naming.agency_label_owner(
                entry.address, ids, agency.id)
            if owner:
                Report(entry.path, problems)(entry.address_line or entry.line, "HY043",
                                             detail=entry.address, owner=owner,
                                             where=entry.words("address"))


def check_parent(agency_file: AgencyFile, by_id: dict, report: Report,
                 cycles: dict | None = None) -> None:
    agency = agency_file.data["agency"]
    parent, kind = agency.get("parent"), agency.get("kind")
    line = _line(agency, "parent") if parent else _line(agency)
    where = "mục parent của cơ quan" if parent else "cơ quan (mục agency)"
    district = ("ghi parent là địa chỉ của UBND cấp huyện quản lý xã (tên tệp "
                "mailboxes/<địa chỉ huyện>.yml, không có đuôi .yml)")
    if parent is None:
        if kind == "commune":
            report(line, "HY035", where=where, fix=district,
                   why="UBND cấp xã (xã, phường, thị trấn) chưa khai báo parent")
        return
    target = by_id.get(parent)
    if target is None:
        report(line, "HY035", where=where, fix="ghi parent là địa chỉ của một cơ quan có tệp "
               "trong mailboxes/, đúng như tên tệp bỏ đuôi .yml",
               why=f"không có cơ quan '{shown(parent)}', vì không có tệp "
                   f"mailboxes/{shown(parent)}.yml")
    elif agency_file.id in (cycles or {}):
        report(line, "HY035", where=where,
               why="các cơ quan lấy nhau làm cấp trên: " + " → ".join(cycles[agency_file.id]),
               fix="UBND cấp huyện và sở, ban, ngành không khai báo parent; xóa parent ở "
                   "cơ quan không phải UBND cấp xã")
    elif kind == "commune" and target.data["agency"].get("kind") in (
            "department", "commune", "unit"):
        report(line, "HY035", where=where, fix=district,
               why=f"cấp trên của UBND cấp xã phải là UBND cấp huyện, không phải "
                   f"'{shown(parent)}'")


def parent_cycles(by_id: dict) -> dict[str, list[str]]:
    """Agencies that are their own parent, directly or through others: id -> the loop
    (a → b → a). Each agency is walked once (a hostile tree may hold many files)."""
    cycles: dict[str, list[str]] = {}
    done: set[str] = set()
    for start in by_id:
        chain, seen = [], {}
        current = start
        while isinstance(current, str) and current in by_id and current not in done:
            if current in seen:
                loop = chain[seen[current]:] + [current]
                cycles.update({member: loop for member in loop})
                break
            seen[current] = len(chain)
            chain.append(current)
            current = by_id[current].data["agency"].get("parent")
        done.update(chain)
    return cycles


def check_namespace(entries: list[Entry], problems: list[Problem]) -> None:
    """Every address is issued once in the province (Điều 5.3), naming both places."""
    holders = defaultdict(list)
    for entry in entries:
        if entry.address:
            holders[entry.address].append(entry)
    taken = set(holders)
    for address, claims in holders.items():
        if len(claims) < 2:
            continue
        for entry in claims:
            other = next(c for c in claims if c is not entry)
            report = Report(entry.path, problems)
            if entry.derived:
                report(entry.line, "HY024", detail=address, other=other.place(),
                       where=entry.words(), suggestions=", ".join(_suggestions(entry, taken)))
            else:
                report(entry.line, "HY023", detail=address, other=other.place(),
                       where=entry.words())


def _suggestions(entry: Entry, taken: set[str]) -> list[str]:
    if entry.role == "person":
        return naming.person_suggestions(entry.name, entry.agency, taken)
    if entry.role == "agency":
        return naming.place_suggestions(entry.name, _text(entry.item.get("parent")), taken)
    parent = entry.address.split(".", 1)[-1]
    return [f"{entry.token}{n}.{parent}" for n in range(1, 4)]
