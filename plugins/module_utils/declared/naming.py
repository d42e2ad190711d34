"""Điều 5: how every address (local part) of the province is formed.

One rule per function. Every rule folds Vietnamese to lowercase ASCII the same way
(``fold``), so NFC and NFD input, mixed case and stray spaces give the same answer.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

MAX_LOCAL_PART = 64
LOCAL_PART_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*\Z")  # \Z: "$" would allow a final "\n"

# Words the province never issues as an address, nor anything that reads as one of them
# (``reserved_word``): RFC 2142 and system names, and the Vietnamese words for the roles an
# official mail would be trusted as coming from (quản trị, hỗ trợ, bảo mật, không trả lời,
# liên hệ, thông báo, văn thư, lãnh đạo).
RESERVED = frozenset({
    "abuse", "admin", "administrator", "hostmaster", "info", "mailer-daemon", "mailerdaemon",
    "noc", "nobody", "noreply", "no-reply", "postmaster", "root", "security", "support",
    "sysadmin", "system", "webmaster", "www", "ftp", "uucp", "usenet", "news", "daemon",
    "dovecot", "postfix", "vmail", "mail", "test", "operator",
    "quantri", "quantrivien", "hotro", "baomat", "khongtraloi", "lienhe", "thongbao",
    "vanthu", "lanhdao",
})

# Administrative prefixes of a place name, longest first. They are matched with their
# diacritics: 'Phương Chiểu' is a commune's name, 'Phường' a level (folded, both are 'phuong').
PLACE_PREFIXES = (
    ("thành phố", "tp"), ("thị xã", "tx"), ("thị trấn", "tt"), ("huyện", "h"),
    ("quận", "q"), ("xã", "xa"), ("phường", "p"), ("tỉnh", "t"),
)
COUNCIL_PREFIXES = ("ủy ban nhân dân", "ubnd")

# Words left out of an abbreviation: Sở Thông tin và Truyền thông → sotttt (Điều 5.1.a).
ABBREVIATION_SKIP = frozenset({"va", "cac", "&"})


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lowercase ASCII with single spaces: 'ĐỖ  Đức' → 'do duc' (Đ → d, NFC = NFD)."""
    # Imported where used: the modules and the filter that import this file must load where
    # Unidecode is not installed (ansible-test's validate-modules, import and ansible-doc).
    from unidecode import unidecode

    ascii_text = unidecode(unicodedata.normalize("NFC", text))
    return " ".join(ascii_text.lower().split())


def words(text: str) -> list[str]:
    """Folded words, punctuation (hyphens, commas, apostrophes) treated as separators."""
    return list(_words(text))


_WORD = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@functools.lru_cache(maxsize=1 << 16)  # a province repeats names: computed once each
def person_local_part(full_name: str) -> str:
    """Initials of family and middle names + the whole given name: Nguyễn Hoàng Phúc → nhphuc.

    Compound family names (Tôn Thất, Âu Dương) are initials like any other word; a
    one-word name is taken whole.
    """
    parts = _words(full_name)
    if not parts:
        return ""
    return "".join(word[0] for word in parts[:-1]) + parts[-1]


def _lower_nfc(text: str) -> str:
    """NFC, lowercase, single spaces, the old tone placement 'uỷ' read as 'ủy'."""
    text = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return text.replace("uỷ", "ủy")


def strip_place_prefix(name: str) -> tuple[str, str]:
    """Split 'UBND Thị trấn Văn Giang' into ('thị trấn', 'van giang'); the prefix may be ''."""
    text = _lower_nfc(name)
    for council in COUNCIL_PREFIXES:
        if text.startswith(council + " "):
            text = text[len(council) + 1:]
            break
    for prefix, _short in PLACE_PREFIXES:
        if text.startswith(prefix + " "):
            return prefix, " ".join(words(text[len(prefix) + 1:]))
    return "", " ".join(words(text))


def place_local_part(name: str) -> str:
    """A district's or commune's name without its level, joined: Huyện Tiên Lữ → tienlu."""
    return strip_place_prefix(name)[1].replace(" ", "")


def abbreviate(name: str) -> str:
    """Initials of the words that count: Phòng Tài chính - Kế hoạch → ptckh."""
    return "".join(word[0] for word in words(name) if word not in ABBREVIATION_SKIP)


def division_local_part(name: str, parent_local_part: str) -> str:
    """A division's address: its abbreviation, a dot, its parent's address (Điều 5.1.d)."""
    return f"{abbreviate(name)}.{parent_local_part}"


def agency_abbreviation(name: str) -> str:
    """A suggested address for a department or unit (Điều 5.1.a).

    'Sở' stays whole (Sở Thông tin và Truyền thông → sotttt); other names give their
    initials, without 'và', 'các' or a trailing 'tỉnh'; an answer shorter than three
    letters spells the words out instead (Thanh tra tỉnh → thanhtra).
    """
    parts = [word for word in words(name) if word not in ABBREVIATION_SKIP]
    if len(parts) > 1 and parts[-1] == "tinh":
        parts = parts[:-1]
    if parts[:1] == ["so"]:
        return "so" + "".join(word[0] for word in parts[1:])
    initials = "".join(word[0] for word in parts)
    return initials if len(initials) >= 3 else "".join(parts)


def local_part_problem(address: str) -> str | None:
    """Why a local part breaks the format rule (a–z, 0–9, single dots, ≤ 64), or None."""
    if len(address) > MAX_LOCAL_PART:
        return f"dài {len(address)} ký tự, tối đa {MAX_LOCAL_PART}"
    if not LOCAL_PART_RE.match(address):
        return "chỉ được dùng chữ a–z, chữ số 0–9 và dấu chấm đơn (không ở đầu hoặc cuối)"
    return None


def digits_only(text: str) -> bool:
    """True for digits without a letter ('123', '1 2 3', '5'): a number names no one, so
    no address, nor any part of one, is built from it alone (Điều 5). Text with neither
    ('---') is not digits: it gives no address at all."""
    return "".join(_words(text)).isdigit()


_TRAILING_DIGITS = re.compile(r"[0-9]+\Z")


def reserved_stem(local_part: str) -> str:
    """What a local part reads as: without its dots and trailing digits (ho.tro2 → hotro)."""
    return _TRAILING_DIGITS.sub("", local_part.replace(".", ""))


def reserved_word(address: str, agency_address: str = "") -> str | None:
    """The reserved word ``address`` reads as, or None.

    Whole (``hotro``, ``ho.tro``, ``hotro2``) or as its first part (``hotro.xyz``):
    only ``<word>.<agency_address>``, the agency's own role mailbox, is free to it.
    """
    if reserved_stem(address) in RESERVED:
        return reserved_stem(address)
    head, _dot, rest = address.partition(".")
    if rest and rest != agency_address and reserved_stem(head) in RESERVED:
        return reserved_stem(head)
    return None


def is_reserved(address: str) -> bool:
    """True for addresses that read as a word kept for the system (postmaster, hotro, …)."""
    return reserved_stem(address) in RESERVED


def agency_label_owner(address: str, agency_ids, own: str) -> str | None:
    """The other agency whose address ``address`` ends in (``pnv.tienlu`` → tienlu), or
    None: ``<anything>.<agency>`` is that agency's to declare (Điều 5.1.d)."""
    if address.endswith("." + own):
        return None
    parts = address.split(".")
    return next((suffix for suffix in (".".join(parts[i:]) for i in range(1, len(parts)))
                 if suffix in agency_ids and suffix != own), None)


def person_name_token(full_name: str) -> str:
    """The part of a person's name an address must keep (Điều 5.3): the given name."""
    parts = _words(full_name)
    return parts[-1] if parts else ""


def person_suggestions(full_name: str, agency_address: str = "", taken=frozenset(),
                       limit: int = 3) -> list[str]:
    """Free addresses that keep the person's name, most memorable first (Điều 5.3).

    Never dotted (HY042): ``<x>.<agency>`` is a division's form, and the agency's to give.
    ``agency_address`` is unused since then; callers still name it.
    """
    parts = words(full_name)
    if not parts:
        return []
    base = person_local_part(full_name)
    candidates = []
    if len(parts) > 1:
        candidates.append(parts[0] + "".join(w[0] for w in parts[1:-1]) + parts[-1])
    if len(parts) > 2:
        candidates.append(parts[0][0] + "".join(parts[1:]))
    numbered = (f"{base}{n}" for n in range(1, 1000))
    return _first_free(itertools.chain(candidates, numbered), base, taken, limit)


def place_suggestions(name: str, parent_address: str | None, taken=frozenset(),
                      limit: int = 3) -> list[str]:
    """Free addresses that keep a place's name: ttvangiang, thitranvangiang, … (Điều 5.3).

    Never ``<place>.<parent>``: an address ending in an agency's is that agency's (HY043).
    ``parent_address`` is unused since then; callers still name it.
    """
    prefix, place = strip_place_prefix(name)
    base = place.replace(" ", "")
    candidates = []
    if prefix:
        candidates.append(dict(PLACE_PREFIXES)[prefix] + base)
        candidates.append(fold(prefix).replace(" ", "") + base)
    numbered = (f"{base}{n}" for n in range(1, 1000))
    return _first_free(itertools.chain(candidates, numbered), base, taken, limit)


def _first_free(candidates, base: str, taken, limit: int) -> list[str]:
    """The first ``limit`` valid, unreserved candidates other than ``base``, not in ``taken``."""
    result: list[str] = []
    for candidate in candidates:
        if candidate == base or candidate in taken or candidate in result:
            continue
        if local_part_problem(candidate) is None and not is_reserved(candidate):
            result.append(candidate)
            if len(result) == limit:
                break
    return result
