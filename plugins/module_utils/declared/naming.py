"""Điều 5: how every address (local part) of the province is formed.

One rule per function. Every rule folds Vietnamese to lowercase ASCII the same way
(``fold``), so NFC and NFD input, mixed case and stray spaces give the same answer.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from ..common.glossary import RESERVED_ROLE_WORDS

MAX_LOCAL_PART = 64
LOCAL_PART_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*\Z")  # \Z: "$" would allow a final "\n"

# Words the province never issues as an address, nor anything that reads as one of them
# (``reserved_word``): RFC 2142 and system names here, and the Vietnamese words for the roles
# an official mail would be trusted as coming from (quản trị, hỗ trợ, bảo mật, không trả lời,
# liên hệ, thông báo, văn thư, lãnh đạo), which the glossary keeps (one place).
SYSTEM_NAMES = frozenset({
    "abuse", "admin", "administrator", "hostmaster", "info", "mailer-daemon", "mailerdaemon",
    "noc", "nobody", "noreply", "no-reply", "postmaster", "root", "security", "support",
    "sysadmin", "system", "webmaster", "www", "ftp", "uucp", "usenet", "news", "daemon",
    "dovecot", "postfix", "vmail", "mail", "test", "operator",
})
RESERVED = SYSTEM_NAMES | frozenset(word for word, _said in RESERVED_ROLE_WORDS)

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


# ---------------------------------------------------------------------------------------
# Names typed in a legacy Vietnamese encoding (TCVN3, VNI) and shown as Unicode.
#
# Before Unicode, Vietnamese was typed with fonts whose bytes stood for Vietnamese letters:
# TCVN3 (ABC, the .Vn fonts) gives each lower-case letter one byte; VNI Windows (the VNI-
# fonts) writes most letters as a base letter and a mark byte. Copied from such a document,
# the bytes are read as Windows-1252 and the name arrives as 'NguyÔn' (TCVN3) or 'Nguyeãn'
# (VNI) for Nguyễn: a valid string that derives a wrong address. The tables below are the
# two encodings' own; the detector is built from them.

_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # ngang, huyền, sắc, hỏi, ngã, nặng
_VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", letter) for vowel in _VOWELS for tone in _TONES
    for letter in (vowel + tone, vowel.upper() + tone)) | frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZđĐ")

# TCVN3 (TCVN 5712:1993, VN3): byte → the Vietnamese letter it stands for. Upper-case
# letters with a tone have no byte of their own (the .VnXxxH fonts draw these bytes in
# capitals).
TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}

# VNI Windows: the letters of one byte, and the mark bytes that follow a base letter.
VNI_LETTERS = {
    0xD1: "Đ", 0xF1: "đ", 0xD4: "Ơ", 0xF4: "ơ", 0xD6: "Ư", 0xF6: "ư",
    0xCD: "Í", 0xED: "í", 0xCC: "Ì", 0xEC: "ì", 0xC6: "Ỉ", 0xE6: "ỉ",
    0xD3: "Ĩ", 0xF3: "ĩ", 0xD2: "Ị", 0xF2: "ị", 0xCE: "Ỵ", 0xEE: "ỵ",
}
# mark byte (lower case; the upper-case byte is 0x20 less) → (bases, what it adds)
VNI_MARKS = {
    0xE2: ("aeo", "\u0302"),                              # â ê ô
    0xEA: ("a", "\u0306"),                                # ă
    0xF9: ("aeouyơư", "\u0301"), 0xF8: ("aeouyơư", "\u0300"), 0xFB: ("aeouyơư", "\u0309"),
    0xF5: ("aeouyơư", "\u0303"), 0xEF: ("aeouyơư", "\u0323"),
    0xE1: ("aeo", "\u0302\u0301"), 0xE0: ("aeo", "\u0302\u0300"), 0xE5: ("aeo", "\u0302\u0309"),
    0xE3: ("aeo", "\u0302\u0303"), 0xE4: ("aeo", "\u0302\u0323"),
    0xE9: ("a", "\u0306\u0301"), 0xE8: ("a", "\u0306\u0300"), 0xFA: ("a", "\u0306\u0309"),
    0xFC: ("a", "\u0306\u0303"), 0xEB: ("a", "\u0306\u0323"),
}


def _cp1252(byte: int) -> str:
    return bytes([byte]).decode("cp1252")


def _vni_base(letter: str) -> str:
    """How VNI writes a base letter: ơ and ư are single bytes."""
    single = {v: k for k, v in VNI_LETTERS.items()}
    return _cp1252(single[letter]) if letter in single else letter


def _vni_pairs() -> frozenset[str]:
    """Every base letter and mark byte VNI writes, as read in Windows-1252 ('eã' for ễ)."""
    pairs = set()
    for byte, (bases, _marks) in VNI_MARKS.items():
        for base in bases:
            pairs.add(_vni_base(base) + _cp1252(byte))
            pairs.add(_vni_base(base.upper()) + _cp1252(byte - 0x20))
    return frozenset(pairs)


# A mark byte after its base that Vietnamese also writes: hoà, hoá, hoã (a tone placed on
# the second vowel) read the same in Unicode and in VNI, and stay allowed.
_VIETNAMESE_PAIRS = frozenset({"oà", "oá", "oã", "OÀ", "OÁ", "OÃ"})
VNI_PAIRS = _vni_pairs() - _VIETNAMESE_PAIRS

_TCVN3_CHARS = frozenset(_cp1252(byte) for byte in TCVN3)
_VNI_CHARS = frozenset(_cp1252(byte) for byte in VNI_LETTERS) | frozenset(
    _cp1252(byte - shift) for byte in VNI_MARKS for shift in (0, 0x20))
# What the legacy encodings leave that Vietnamese in Unicode never holds (Ô, ã stay: they are
# Vietnamese letters too).
TCVN3_ONLY = _TCVN3_CHARS - VIETNAMESE_LETTERS
VNI_ONLY = _VNI_CHARS - VIETNAMESE_LETTERS
# TCVN3 writes a lower-case letter as a Latin-1 capital: 'NguyÔn', 'HuyÒn'.
_TCVN3_CAPITALS = frozenset(c for c in _TCVN3_CHARS if c.isupper())


@dataclass(frozen=True)
class Legacy:
    """What betrays a legacy encoding in a name: the encoding(s) and the characters."""

    encoding: str  # "TCVN3", "VNI" or "TCVN3 hoặc VNI"
    chars: tuple[str, ...]


def legacy_encoding(text: str) -> Legacy | None:
    """The legacy encoding (TCVN3, VNI) ``text`` was typed in and read as Windows-1252,
    or None for Vietnamese in Unicode (NFC or NFD alike) and for other Latin text."""
    tcvn3, vni = _legacy_marks(unicodedata.normalize("NFC", text))
    if not (tcvn3 or vni):
        return None
    # A character both tables hold tells nothing; the other characters decide.
    only_tcvn3 = [c for c in tcvn3 if c not in vni]
    only_vni = [c for c in vni if c not in tcvn3]
    encoding = "TCVN3 hoặc VNI"
    if only_tcvn3 and not only_vni:
        encoding = "TCVN3"
    elif only_vni and not only_tcvn3:
        encoding = "VNI"
    return Legacy(encoding, tuple(dict.fromkeys(tcvn3 + vni))[:5])


def _legacy_marks(text: str) -> tuple[list[str], list[str]]:
    """The characters (and VNI letter pairs) of ``text`` that betray TCVN3, and VNI."""
    tcvn3, vni = [], []
    padded = f" {text} "
    for before, char, after in zip(padded, padded[1:], padded[2:], strict=False):
        if not (before.isalpha() or after.isalpha()):
            continue  # a legacy letter stands in a word ('Nguyễn Văn ¹²³' has none)
        if char in TCVN3_ONLY or (char in _TCVN3_CAPITALS and before.islower()):
            tcvn3.append(char)
        if char in VNI_ONLY:
            vni.append(char)
        if before + char in VNI_PAIRS:
            vni.append(before + char)
    return tcvn3, vni


# ---------------------------------------------------------------------------------------
# A person's name in capitals or in lower case (agency names are never re-cased).

_CASED_WORD = re.compile(r"[^\W\d_]+")


def recased_name(full_name: str) -> str | None:
    """'NGUYỄN VĂN AN' or 'nguyễn văn an' → 'Nguyễn Văn An'; None when the name is already
    written with capitals and small letters (or has fewer than two letters)."""
    text = " ".join(unicodedata.normalize("NFC", full_name).split())
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2 or not (all(c.isupper() for c in letters)
                                or all(c.islower() for c in letters)):
        return None
    return _CASED_WORD.sub(lambda found: found.group(0).capitalize(), text)
