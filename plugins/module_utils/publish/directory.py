"""The province's published directory (danh bạ thư điện tử công vụ, Điều 10.1.đ, 11.3).

From the desired mailboxes to a directory model (agencies, their agency and division
mailboxes, and the people marked ``publish``, active only) and to what is published:
HTML pages (Jinja2 templates from ``playbooks/templates/directory/``), CSV, vCard 4.0
and JSON. Everything here is pure except ``render_site`` (reads the templates) and
``sync_files`` (writes the site).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from ..common.files import replace_atomically
from ..common.glossary import Operator, Regulation, capitalised, label, number
from ..declared.model import Mailbox
from .spreadsheet import csv_bytes

# The kinds of mailbox (Điều 5), one label each for the directory and the report.
KIND_LABELS = {"agency": capitalised(label("agency_mailbox")),
               "division": capitalised(label("division_mailbox")),
               "person": capitalised(label("personal_mailbox"))}
SAFE_ID = re.compile(r"[a-z0-9][a-z0-9.]{0,63}")  # fullmatch: no trailing newline
AGENCY_DIR = "coquan"


# ---------------------------------------------------------------- Vietnamese order

# Dictionary order: ă and â after a, đ after d...; letters Vietnamese does not use keep
# their Latin place. Tones sort after letters: none, huyền, hỏi, ngã, sắc, nặng.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _letters(text: str) -> list[list[str]]:
    """``text`` as [letter, tone] pairs: letter marks stay on the letter, tones come apart."""
    letters: list[list[str]] = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if letters and char in LETTER_MARKS:
            letters[-1][0] += char
        elif letters and char in TONES:
            letters[-1][1] = char
        elif not unicodedata.combining(char):
            letters.append([char, ""])
    return letters


def _rank(letter: str) -> tuple[int, int]:
    composed = unicodedata.normalize("NFC", letter)
    if composed in ALPHABET:
        return (2, ALPHABET.index(composed))
    return (1, ord(composed[0])) if composed.isdigit() else (0, ord(composed[0]))


def vietnamese_key(text: str) -> tuple:
    """Sort key in Vietnamese dictionary order (letters first, then tones, then the text)."""
    letters = _letters(text)
    return (tuple(_rank(letter) for letter, _tone in letters),
            tuple(TONES.get(tone, 0) for _letter, tone in letters), text)


def person_key(name: str) -> tuple:
    """Vietnamese lists sort people by given name (the last word), then family and middle."""
    words = name.split()
    return (vietnamese_key(words[-1] if words else ""), vietnamese_key(name))


# ---------------------------------------------------------------- model


@dataclass(frozen=True)
class Listing:
    """One line of the directory: a person, or an agency or division mailbox."""

    kind: str
    name: str
    email: str
    agency_id: str
    agency_name: str
    title: str = ""
    division: str = ""
    phone: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def unit(self) -> str:
        """Đơn vị công tác: the division when there is one, else the agency."""
        return self.division or self.agency_name

    @property
    def tel(self) -> str:
        """The ``tel:`` link of the phone number (empty without one)."""
        if not self.phone:
            return ""
        return tel_uri(self.phone) or "tel:" + "".join(re.findall(r"\d+", self.phone))


@dataclass(frozen=True)
class AgencyListing:
    """An agency with its listed mailboxes (its own one is ``None`` when not active)."""

    id: str
    name: str
    mailbox: Listing | None
    divisions: tuple[Listing, ...]
    people: tuple[Listing, ...]

    @property
    def listings(self) -> tuple[Listing, ...]:
        return ((self.mailbox,) if self.mailbox else ()) + self.divisions + self.people


@dataclass(frozen=True)
class Directory:
    domain: str
    agencies: tuple[AgencyListing, ...]

    @property
    def listings(self) -> tuple[Listing, ...]:
        return tuple(listing for agency in self.agencies for listing in agency.listings)


def is_listed(mailbox: Mailbox) -> bool:
    """Active agency and division mailboxes; people only when active and marked publish."""
    if mailbox.status != "active":
        return False
    return mailbox.kind != "person" or bool(mailbox.directory.get("publish"))


def to_listing(mailbox: Mailbox, domain: str) -> Listing:
    data = mailbox.directory
    if not SAFE_ID.fullmatch(mailbox.agency):
        raise ValueError(f"agency id {mailbox.agency!r} is not a mailbox local part")
    return Listing(kind=mailbox.kind, name=mailbox.name, email=f"{mailbox.address}@{domain}",
                   agency_id=mailbox.agency, agency_name=data.get("agency_name") or mailbox.agency,
                   title=data.get("title") or "", division=_division(mailbox),
                   phone=data.get("phone") or "")


def _division(mailbox: Mailbox) -> str:
    """The phòng, ban: a person's, or the division mailbox's own name."""
    if mailbox.kind == "division":
        return mailbox.name
    return mailbox.directory.get("division") or ""


def build_directory(mailboxes: list[Mailbox], domain: str) -> Directory:
    """The directory model, agencies and their entries in Vietnamese order."""
    by_agency: dict[str, list[Listing]] = {}
    for mailbox in mailboxes:
        if is_listed(mailbox):
            by_agency.setdefault(mailbox.agency, []).append(to_listing(mailbox, domain))
    agencies = [agency_listing(agency_id, listings) for agency_id, listings in by_agency.items()]
    return Directory(domain, tuple(sorted(agencies, key=lambda a: vietnamese_key(a.name))))


def agency_listing(agency_id: str, listings: list[Listing]) -> AgencyListing:
    def of_kind(kind: str) -> list[Listing]:
        return [listing for listing in listings if listing.kind == kind]

    own = of_kind("agency")
    return AgencyListing(
        id=agency_id, name=listings[0].agency_name, mailbox=own[0] if own else None,
        divisions=tuple(sorted(of_kind("division"), key=lambda d: vietnamese_key(d.name))),
        people=tuple(sorted(of_kind("person"), key=lambda p: person_key(p.name))))


def read_desired(text: str) -> tuple[str, list[Mailbox]]:
    """The domain and mailboxes of a desired-state document (``desired_document``)."""
    data = json.loads(text)
    return data["domain"], [Mailbox.from_dict(item) for item in data.get("mailboxes", [])]


# ---------------------------------------------------------------- CSV

CSV_HEADER = ("Tên", "Loại", "Chức vụ", "Phòng, ban", "Cơ quan", "Điện thoại",
              "Thư điện tử")


def render_csv(listings: tuple[Listing, ...]) -> bytes:
    """CSV with a UTF-8 BOM and CRLF rows, so Excel opens Vietnamese text correctly."""
    return csv_bytes(CSV_HEADER, [
        (item.name, item.kind_label, item.title, item.division, item.agency_name,
         item.phone, item.email) for item in listings])


# ---------------------------------------------------------------- vCard 4.0 (RFC 6350)

PRODID = "-//Hưng Yên//Danh bạ thư điện tử công vụ//VI"


def vcard_escape(value: str) -> str:
    """Escape a text value (RFC 6350 §3.4): backslash, comma, semicolon, newline."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def vcard_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 §3.2), never inside a UTF-8 character."""
    parts, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            parts.append(current.decode("utf-8"))
            current, limit = b"", 74  # continuation lines start with a space
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def split_name(name: str) -> tuple[str, str, str]:
    """Family, given and middle names of a Vietnamese full name (family name first)."""
    words = name.split()
    if len(words) < 2:
        return "", name.strip(), ""
    return words[0], words[-1], " ".join(words[1:-1])


def tel_uri(phone: str) -> str | None:
    """A global ``tel:`` URI (RFC 3966) for a Vietnamese number, or None if it is not one."""
    groups = re.findall(r"\d+", phone)
    if phone.strip().startswith("+"):
        return "tel:+" + "-".join(groups)
    if groups and groups[0].startswith("0") and len(groups[0]) > 1:
        return "tel:+84-" + "-".join([groups[0][1:], *groups[1:]])
    return None


def _tel_line(phone: str) -> str:
    uri = tel_uri(phone)
    return (f"TEL;VALUE=uri;TYPE=work,voice:{uri}" if uri
            else f"TEL;VALUE=text;TYPE=work,voice:{vcard_escape(phone)}")


def vcard(item: Listing) -> str:
    """One vCard 4.0 for a listing: people are individuals, mailboxes of units are orgs."""
    family, given, middle = split_name(item.name) if item.kind == "person" else ("", "", "")
    org = [item.agency_name] + ([item.division] if item.division else [])
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"PRODID:{vcard_escape(PRODID)}",
             "KIND:individual" if item.kind == "person" else "KIND:org",
             f"FN:{vcard_escape(item.name)}",
             "N:" + ";".join(vcard_escape(part) for part in (family, given, middle, "", "")),
             "ORG:" + ";".join(vcard_escape(part) for part in org)]
    if item.title:
        lines.append(f"TITLE:{vcard_escape(item.title)}")
    if item.phone:
        lines.append(_tel_line(item.phone))
    lines += [f"EMAIL;TYPE=work:{item.email}",
              f"UID:urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'mailto:' + item.email)}",
              "END:VCARD"]
    return "".join(vcard_fold(line) + "\r\n" for line in lines)


def render_vcards(listings: tuple[Listing, ...]) -> bytes:
    return "".join(vcard(item) for item in listings).encode("utf-8")


# ---------------------------------------------------------------- JSON


def _person_json(item: Listing) -> dict:
    return {"name": item.name, "title": item.title, "division": item.division or None,
            "phone": item.phone or None, "email": item.email}


def agency_json(agency: AgencyListing) -> dict:
    return {"id": agency.id, "name": agency.name,
            "email": agency.mailbox.email if agency.mailbox else None,
            "divisions": [{"name": d.name, "email": d.email} for d in agency.divisions],
            "people": [_person_json(person) for person in agency.people]}


def render_json(directory: Directory, agencies: tuple[AgencyListing, ...] | None = None) -> bytes:
    """The directory as JSON: domain, then agencies with divisions and people."""
    chosen = directory.agencies if agencies is None else agencies
    payload = {"domain": directory.domain, "agencies": [agency_json(a) for a in chosen]}
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------- HTML


def _environment(templates_dir: str):
    import jinja2  # the controller always has it (ansible-core needs it)

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    environment.filters["number"] = number  # 10.000, as Vietnamese read figures
    return environment


def _inline_assets(environment) -> dict:
    """The page's CSS and JS, inlined, with their hashes for the Content-Security-Policy."""
    assets = {}
    for key, name in (("style", "directory.css"), ("script", "directory.js")):
        text = environment.loader.get_source(environment, name)[0]
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assets[key], assets[key + "_hash"] = text, f"'sha256-{digest}'"
    return assets


@dataclass(frozen=True)
class Publisher:
    """Who publishes the directory and under which regulation: the inventory's
    ``operator`` and ``regulation`` (never written in the templates or the code)."""

    operator: Operator
    regulation: Regulation

    @classmethod
    def from_vars(cls, operator: dict | None = None,
                  regulation: dict | None = None) -> Publisher:
        return cls(Operator.from_vars(operator), Regulation.from_vars(regulation))

    @property
    def reference(self) -> str:
        """The regulation as a page names it at first mention."""
        return self.regulation.reference()

    @property
    def area(self) -> str:
        """``tỉnh Hưng Yên``: the province, from the regulation's issuer (empty without)."""
        issuer = self.regulation.issuer.strip()
        for prefix in ("Ủy ban nhân dân ", "UBND "):
            if issuer.startswith(prefix):
                return issuer[len(prefix):]
        return ""

    def mailbox(self, domain: str) -> str:
        """The operator's address, or empty when the inventory names none."""
        box = self.operator.mailbox.strip()
        return "" if not box else box if "@" in box else f"{box}@{domain}"


def render_pages(directory: Directory, templates_dir: str,
                 publisher: Publisher | None = None) -> dict[str, bytes]:
    """The province page and one page per agency, by path relative to the site."""
    environment = _environment(templates_dir)
    common = {"directory": directory, "assets": _inline_assets(environment),
              "publisher": publisher or Publisher.from_vars()}
    pages = {"index.html": environment.get_template("index.html.j2").render(
        root="", **common)}
    agency_page = environment.get_template("agency.html.j2")
    for agency in directory.agencies:
        pages[f"{AGENCY_DIR}/{agency.id}.html"] = agency_page.render(
            root="../", agency=agency, **common)
    return {path: text.encode("utf-8") for path, text in pages.items()}


def render_site(directory: Directory, templates_dir: str,
                publisher: Publisher | None = None) -> dict[str, bytes]:
    """Every file of the site: pages, and CSV, vCard and JSON for the province and each agency."""
    files = render_pages(directory, templates_dir, publisher)
    files.update({"danhba.csv": render_csv(directory.listings),
                  "danhba.vcf": render_vcards(directory.listings),
                  "danhba.json": render_json(directory)})
    for agency in directory.agencies:
        base = f"{AGENCY_DIR}/{agency.id}"
        files[f"{base}.csv"] = render_csv(agency.listings)
        files[f"{base}.vcf"] = render_vcards(agency.listings)
        files[f"{base}.json"] = render_json(directory, (agency,))
    return dict(sorted(files.items()))


# ---------------------------------------------------------------- writing (the only I/O)

GENERATED = re.compile(rf"^{AGENCY_DIR}/[a-z0-9.]+\.(html|csv|vcf|json)$")
PUBLISHED_MODE = 0o644  # a published site: world-readable


def _current(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def stale_files(output_dir: str, files: dict[str, bytes]) -> list[str]:
    """Pages and exports of agencies no longer listed (they must not stay published)."""
    folder = os.path.join(output_dir, AGENCY_DIR)
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    return [f"{AGENCY_DIR}/{name}" for name in names
            if GENERATED.match(f"{AGENCY_DIR}/{name}") and f"{AGENCY_DIR}/{name}" not in files]


def sync_files(output_dir: str, files: dict[str, bytes], check_mode: bool = False) -> dict:
    """Write the files whose content changed (atomically) and remove stale ones."""
    changed = [path for path, content in files.items()
               if _current(os.path.join(output_dir, path)) != content]
    removed = stale_files(output_dir, files)
    if not check_mode:
        for path in changed:
            target = os.path.join(output_dir, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            replace_atomically(target, files[path], PUBLISHED_MODE)
        for path in removed:
            os.remove(os.path.join(output_dir, path))
    return {"changed": bool(changed or removed), "files": sorted(files),
            "changed_files": changed, "removed_files": removed}
