"""The glossary: the one source of the Vietnamese words people read, in the regulation's terms.

Clerks, Sở TTTT's reviewers and officials read what this project writes; one act has one
name everywhere, the regulation's own (Quy chế ban hành kèm theo Quyết định số
08/2017/QĐ-UBND). Here, as data the code and the tests read:

- ``TERMS``: each concept's label, its unaccented ASCII form (SMTP and IMAP replies must be
  ASCII), the forms never to write and why; ``label(concept)`` reads it.
- ``cite``: an article reference ("6.2.a") in the full form people read ("điểm a khoản 2
  Điều 6"), from one structured ``Ref``.
- ``VALUE_GLOSS``: the values a clerk writes in a file (``active``, ``department``) glossed.
- ``KEY_ALIASES``: the Vietnamese names clerks give a YAML key (``chucvu`` → ``title``).
- ``RESERVED_ROLE_WORDS``: the Vietnamese role words never issued as an address.
- ``HOMONYMS``: the legitimate phrases that hold an avoided word (``tạm khóa``, ``từ khóa``).
- ``ACRONYMS``: the capitalised words allowed inside Vietnamese text.
- ``LEVELS``: the administrative levels and the dates they exist (no district level from
  01/07/2025).
- ``number``/``percent``: figures as Vietnamese read them (``10.000``, ``84,6%``).

``docs/thuat-ngu.md`` is generated from this module (``make glossary``); a test fails when
it differs. The operator's and the regulation's own names are not here: they come from the
inventory (``Operator``, ``Regulation``), so that no output names them from the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# What the regulation calls the operator when no inventory names it (Điều 3, Điều 10).
GENERIC_OPERATOR = "đơn vị quản lý hệ thống thư điện tử công vụ"


@dataclass(frozen=True)
class Term:
    """One concept: what people read, its ASCII form, and the forms never to write."""

    concept: str
    label: str
    ascii: str
    avoid: tuple[str, ...] = ()
    reason: str = ""


TERMS = (
    # Actions on a mailbox (common/lifecycle.py reads its labels from here).
    Term("create", "cấp mới", "cap moi", ("tạo mới",),
         "Điều 6 and Điều 11.1 say cấp mới; tạo mới is only the technical act (Điều 10.1.đ)"),
    Term("unlock", "khôi phục", "khoi phuc", ("mở khóa", "gỡ khóa"),
         "Điều 7's title and khoản 2 say khôi phục"),
    Term("lock", "tạm khóa", "tam khoa", ("khóa hộp thư",),
         "Điều 7.1 says tạm khóa; a bare khóa also means a YAML key or a DKIM key"),
    Term("locked", "đang tạm khóa", "dang tam khoa", (),
         "the state after tạm khóa"),
    Term("revoke", "thu hồi", "thu hoi", ("xóa hộp thư", "hủy hộp thư"),
         "Điều 6.2.c says thu hồi; the mail is kept until a backed-up purge"),
    Term("revoked", "đã thu hồi", "da thu hoi", (), "the state after thu hồi"),
    Term("reinstate", "cấp lại hộp thư đã thu hồi", "cap lai hop thu da thu hoi", (),
         "not named by the regulation; khôi phục is Điều 7's (a locked mailbox)"),
    Term("move", "thuyên chuyển công tác trong tỉnh", "thuyen chuyen cong tac trong tinh",
         ("chuyển cơ quan",),
         "Điều 6.2.b; a bare chuyển công tác also means leaving the province (6.2.c)"),
    Term("delegate", "ủy quyền sử dụng", "uy quyen su dung",
         ("người được giao", "giao sử dụng"), "Điều 9.1, 9.2 and 12.2.a say ủy quyền"),
    Term("delegate_person", "người được ủy quyền", "nguoi duoc uy quyen",
         ("người được giao",), "Điều 9.1"),
    Term("rename", "đổi tên hộp thư", "doi ten hop thu", (), "Điều 6.2.d"),
    Term("reset_password", "cấp lại mật khẩu", "cap lai mat khau", (), "Điều 9.2, 12.1"),
    Term("update", "cập nhật thông tin danh bạ", "cap nhat thong tin danh ba", (),
         "Điều 10.1.đ: the operator keeps the directory"),
    Term("drift", "có trên máy chủ nhưng chưa khai báo (giữ nguyên)",
         "co tren may chu nhung chua khai bao", ("không được khai báo",),
         "không được + verb reads both as 'must not' and 'was not'"),
    Term("purge", "xóa thư của hộp thư đã thu hồi, sau khi đã sao lưu",
         "xoa thu cua hop thu da thu hoi", (), "Điều 6.2.c, 10.2.đ"),
    # Statuses.
    Term("active", "đang hoạt động", "dang hoat dong", ("trạng thái active",),
         "one label for the state everywhere; active only as the value a clerk writes"),
    # Why a mailbox is locked (Điều 7.1.a-c).
    Term("violation", "vi phạm quy định tại Điều 4", "vi pham quy dinh tai Dieu 4", (),
         "Điều 7.1.a"),
    Term("compromised", "bị chiếm dụng", "bi chiem dung", ("bị chiếm quyền sử dụng",
                                                           "bị chiếm quyền"),
         "Điều 7.1.b; glossed once in notices (người khác chiếm quyền sử dụng)"),
    Term("spam_malware", "tham gia phát tán thư rác, mã độc",
         "tham gia phat tan thu rac, ma doc", (), "Điều 7.1.c"),
    # The operator's emergency measure (Điều 10.1.g).
    Term("emergency", "biện pháp khẩn cấp", "bien phap khan cap", ("tạm giữ",),
         "tạm giữ is a legal word for detaining persons or property"),
    Term("emergency_lock", "tạm khóa khẩn cấp", "tam khoa khan cap", ("lock khẩn cấp",), ""),
    Term("emergency_revoke", "thu hồi khẩn cấp", "thu hoi khan cap", ("revoke khẩn cấp",),
         "Điều 10.1.g"),
    # Words of the files and the review.
    Term("yaml_key", "mục", "muc", ("nhóm khóa", "thiếu khóa"),
         "khóa is a lock (tạm khóa); a YAML key is a mục, a list item is named (người thứ 2)"),
    Term("merge_request", "yêu cầu hợp nhất (merge request)", "yeu cau hop nhat", (),
         "at first mention; never yêu cầu or thay đổi alone, which are the regulation's"),
    Term("head", "Thủ trưởng cơ quan, đơn vị", "Thu truong co quan, don vi", (),
         "the regulation capitalises Thủ trưởng"),
    Term("request", "văn bản đề nghị", "van ban de nghi", (), "Điều 6.1"),
    Term("basis", "căn cứ", "can cu", (),
         "a decision that is not a request letter (the initial import, a reorganisation)"),
    Term("mailbox", "hộp thư điện tử công vụ", "hop thu dien tu cong vu", (),
         "the full term in titles and subjects; hộp thư in running text"),
    Term("division_mailbox", "hộp thư phòng, ban", "hop thu phong, ban", ("hộp thư đơn vị",),
         "Điều 5.1.d; đơn vị is also a đơn vị sự nghiệp (kind: unit)"),
    Term("personal_mailbox", "hộp thư cá nhân", "hop thu ca nhan", (), "Điều 5.2"),
    Term("agency_mailbox", "hộp thư cơ quan, đơn vị", "hop thu co quan, don vi", (),
         "Điều 5.1"),
    Term("manual", "thủ công", "thu cong", ("bằng tay", "sửa tay"), "register"),
)
BY_CONCEPT = {term.concept: term for term in TERMS}


def label(concept: str) -> str:
    """What people read for ``concept`` (a ``TERMS`` entry)."""
    return BY_CONCEPT[concept].label


def ascii_label(concept: str) -> str:
    """``concept``'s unaccented form, for SMTP and IMAP replies."""
    return BY_CONCEPT[concept].ascii


# Phrases that hold an avoided word and stay legitimate: the glossary test does not flag them.
HOMONYMS = (
    ("tạm khóa", "Điều 7.1's lock"),
    ("đang tạm khóa", "the locked state"),
    ("từ khóa", "a search keyword (the directory)"),
    ("khóa DKIM", "a signing key"),
    ("khóa riêng", "a private key"),
    ("khóa tệp", "a file lock taken by the apply"),
    ("khôi phục dữ liệu từ bản sao lưu", "a restore from a backup"),
    ("khôi phục từ bản sao lưu", "a restore from a backup"),
    ("xóa khỏi khai báo", "an address dropped from the files (Điều 10.1.đ)"),
)


# ---------------------------------------------------------------------------------------
# Citations: "6.2.a" → "điểm a khoản 2 Điều 6".

POINT_LETTERS = ("a", "b", "c", "d", "đ", "e", "g", "h", "i", "k")
_REF = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.([a-zđ]))?$")


@dataclass(frozen=True)
class Ref:
    """One point of the regulation: Điều ``article``, khoản ``clause``, điểm ``point``."""

    article: int
    clause: int | None = None
    point: str | None = None

    @classmethod
    def parse(cls, text: str) -> Ref:
        """``"6.2.a"``, ``"7.1"`` or ``"4"``; a malformed reference is a ValueError."""
        found = _REF.match(text.strip())
        if not found or (found.group(3) and found.group(3) not in POINT_LETTERS):
            raise ValueError(f"not an article reference: {text!r}")
        clause = int(found.group(2)) if found.group(2) else None
        return cls(int(found.group(1)), clause, found.group(3))

    def words(self) -> str:
        """The full form people read: ``điểm a khoản 2 Điều 6``."""
        parts = []
        if self.point:
            parts.append(f"điểm {self.point}")
        if self.clause is not None:
            parts.append(f"khoản {self.clause}")
        parts.append(f"Điều {self.article}")
        return " ".join(parts)


def cite(*refs: str) -> str:
    """Article references in the full form people read, joined by commas:
    ``cite("6.2.a")`` → ``điểm a khoản 2 Điều 6``; ``cite("9.2", "12.1")`` →
    ``khoản 2 Điều 9, khoản 1 Điều 12``. No reference: an empty string."""
    return ", ".join(Ref.parse(ref).words() for ref in refs)


def with_citation(text: str, *refs: str) -> str:
    """``text (điểm a khoản 2 Điều 6)``, or ``text`` alone when nothing governs it."""
    return f"{text} ({cite(*refs)})" if refs else text


def capitalised(text: str) -> str:
    """``text`` with its first letter in capitals (a label at the start of a line)."""
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------
# What clerks write in the files.

# The values of the schema's enumerations, glossed where they are quoted: active (đang hoạt
# động). The keys are the schema's property names.
VALUE_GLOSS = {
    "status": {"active": "đang hoạt động", "locked": "đang tạm khóa", "revoked": "đã thu hồi"},
    "lock_reason": {"violation": label("violation"), "compromised": label("compromised"),
                    "spam_malware": label("spam_malware")},
    "kind": {"department": "sở, ban, ngành", "district": "UBND cấp huyện",
             "commune": "UBND cấp xã (xã, phường, thị trấn)",
             "unit": "đơn vị sự nghiệp"},
    "publish": {"true": "công khai trong danh bạ", "false": "không công khai"},
}


def glossed(field: str, value: str) -> str:
    """``value (its gloss)`` for an enumeration's value, ``value`` when it has none."""
    gloss = VALUE_GLOSS.get(field, {}).get(value)
    return f"{value} ({gloss})" if gloss else value


# Vietnamese names clerks give a YAML key → the schema's key. Looked up folded (``fold_key``):
# lower case, no diacritics, no spaces, underscores or hyphens.
KEY_ALIASES = {
    "hoten": "name", "hovaten": "name", "ten": "name", "tencoquan": "name",
    "chucvu": "title", "chucdanh": "title",
    "sdt": "phone", "sodienthoai": "phone", "dienthoai": "phone", "sodt": "phone",
    "trangthai": "status", "tinhtrang": "status",
    "diachi": "address", "diachithu": "address", "email": "address",
    "lydodiachi": "address_reason",
    "lydokhoa": "lock_reason", "lydotamkhoa": "lock_reason",
    "congkhai": "publish",
    "phong": "division", "phongban": "division",
    "cacphong": "divisions", "danhsachphong": "divisions",
    "canbo": "people", "nguoi": "people", "danhsachcanbo": "people", "nhansu": "people",
    "vanban": "request", "vanbandenghi": "request", "denghi": "request",
    "socongvan": "number", "so": "number", "sovanban": "number", "kyhieu": "number",
    "ngay": "date", "ngayvanban": "date",
    "nguoiduocuyquyen": "delegates", "uyquyen": "delegates",
    "coquancaptren": "parent", "captren": "parent",
    "loai": "kind", "loaicoquan": "kind",
    "tenviettat": "abbreviation", "viettat": "abbreviation",
    "madonvi": "code", "ma": "code",
    "diachicu": "previous_addresses",
    "cancu": "basis",
}


def fold_key(text: str) -> str:
    """A key as ``KEY_ALIASES`` looks it up: NFC, lower case, no diacritics, no separators."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\s_\-.]+", "", bare)


def key_alias(key: str) -> str | None:
    """The schema key a Vietnamese key name stands for (``chức vụ`` → ``title``), or None."""
    return KEY_ALIASES.get(fold_key(key))


# The roles an official mail would be trusted as coming from: never issued as an address
# (HY022; declared/naming.py adds RFC 2142's and the system's names).
RESERVED_ROLE_WORDS = (
    ("quantri", "quản trị"), ("quantrivien", "quản trị viên"), ("hotro", "hỗ trợ"),
    ("baomat", "bảo mật"), ("khongtraloi", "không trả lời"), ("lienhe", "liên hệ"),
    ("thongbao", "thông báo"), ("vanthu", "văn thư"), ("lanhdao", "lãnh đạo"),
)

# Capitalised words allowed inside Vietnamese text people read.
ACRONYMS = (
    "UBND", "HĐND", "QĐ", "NQ", "CNTT", "TTTT", "KH&CN", "KHCN", "YAML", "CSV", "UTF-8",
    "SMTP", "IMAP", "DKIM", "SPF", "DMARC", "TLS", "SSH", "HTML", "URL", "BOM", "SHA-256",
    "MIME", "PDF", "ID", "GitLab", "Unikey", "Unicode", "TCVN3", "VNI", "MANIFEST", "UTC",
)


@dataclass(frozen=True)
class Level:
    """An administrative level and the days it exists (ISO dates; None: open)."""

    code: str
    label: str
    since: str | None = None
    until: str | None = None


LEVELS = (
    Level("province", "cấp tỉnh"),
    Level("district", "cấp huyện", until="2025-06-30"),
    Level("commune", "cấp xã"),
)


# ---------------------------------------------------------------------------------------
# The operator and the regulation: from the inventory, never from the code.

@dataclass(frozen=True)
class Operator:
    """The operator of the mail system (inventory ``operator``)."""

    mailbox: str
    name: str
    short_name: str
    technical_unit: str

    @classmethod
    def from_vars(cls, data: dict | None) -> Operator:
        data = data or {}
        return cls(str(data.get("mailbox", "")), str(data.get("name") or GENERIC_OPERATOR),
                   str(data.get("short_name") or data.get("name") or GENERIC_OPERATOR),
                   str(data.get("technical_unit") or data.get("name") or GENERIC_OPERATOR))


@dataclass(frozen=True)
class Regulation:
    """The regulation the system runs under (inventory ``regulation``)."""

    title: str
    decision_number: str
    date: str  # ISO
    issuer: str

    @classmethod
    def from_vars(cls, data: dict | None) -> Regulation:
        data = data or {}
        return cls(str(data.get("title", "")), str(data.get("decision_number", "")),
                   str(data.get("date", "")), str(data.get("issuer", "")))

    def reference(self) -> str:
        """``Quy chế … ban hành kèm theo Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của
        Ủy ban nhân dân tỉnh Hưng Yên``: how a letter names it at first mention."""
        if not self.decision_number:
            return self.title or "Quy chế quản lý và sử dụng hệ thống thư điện tử công vụ"
        text = f"{self.title} ban hành kèm theo Quyết định số {self.decision_number}"
        if self.date:
            text += f" ngày {day(self.date)}"
        return text + (f" của {self.issuer}" if self.issuer else "")


# ---------------------------------------------------------------------------------------
# Dates and numbers as Vietnamese read them.

def day(iso_date: str) -> str:
    """``2024-03-01`` → ``01/03/2024`` (two-digit day and month); other text unchanged."""
    found = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", str(iso_date))
    return f"{found.group(3)}/{found.group(2)}/{found.group(1)}" if found else str(iso_date)


def number(value: int) -> str:
    """``10000`` → ``10.000``."""
    return f"{int(value):,}".replace(",", ".")


def percent(value: float, digits: int = 1) -> str:
    """``84.6`` → ``84,6%`` (no space; a whole number keeps no decimals)."""
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return f"{text}%"
