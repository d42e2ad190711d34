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

``docs/thuat-ngu.md`` is generated from this module (``make glossary``, tools/glossary_page.py);
a test fails when it differs; tests/glossary_check.py finds the avoided forms in what people
read. The operator's and the regulation's own names are not here: they come from the
inventory (``Operator``, ``Regulation``), so that no output names them from the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# What the regulation calls the operator when no inventory names it (Điều 3, Điều 10).
GENERIC_OPERATOR = "đơn vị quản lý hệ thống thư điện tử công vụ"


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
# The terms.

@dataclass(frozen=True)
class Term:
    """One concept: what people read, its ASCII form, the forms never to write, why (in
    Vietnamese: docs/thuat-ngu.md shows it) and the articles that name it."""

    concept: str
    label: str
    ascii: str
    avoid: tuple[str, ...] = ()
    reason: str = ""
    refs: tuple[str, ...] = ()


TERMS = (
    # Actions on a mailbox (common/lifecycle.py reads its labels from here).
    Term("create", "cấp mới", "cap moi", ("tạo mới", "tạo hộp thư", "tạo tài khoản"),
         "Quy chế gọi việc này là cấp mới; 'tạo mới' chỉ là thao tác kỹ thuật của đơn vị "
         f"quản lý ({cite('10.1.đ')}). Chữ 'tạo' đứng riêng vẫn dùng cho tệp, thư mục.",
         ("6.2.a", "11.1")),
    Term("unlock", "khôi phục", "khoi phuc", ("mở khóa", "gỡ khóa"),
         "Tên Điều 7 và khoản 2 của điều này dùng 'khôi phục' cho hộp thư bị tạm khóa; "
         "mật khẩu được khởi tạo lại.", ("7.2",)),
    Term("lock", "tạm khóa", "tam khoa", ("khóa hộp thư", "bị khóa"),
         "Khoản 1 Điều 7 dùng 'tạm khóa'; chữ 'khóa' đứng riêng còn là khóa DKIM, từ khóa, "
         "nên không dùng làm động từ.", ("7.1",)),
    Term("locked", "đang tạm khóa", "dang tam khoa", ("trạng thái locked",),
         "Trạng thái sau khi tạm khóa; một nhãn ở mọi nơi.", ("7.1",)),
    Term("revoke", "thu hồi", "thu hoi",
         ("xóa hộp thư", "hủy hộp thư", "xóa tài khoản", "hủy tài khoản"),
         "Thư đã nhận vẫn được giữ cho đến khi xóa sau khi sao lưu, nên không gọi là 'xóa' "
         "hay 'hủy'. Chữ 'xóa' vẫn dùng cho dòng, mục trong tệp.", ("6.2.c",)),
    Term("revoked", "đã thu hồi", "da thu hoi", ("trạng thái revoked",),
         "Trạng thái sau khi thu hồi; một nhãn ở mọi nơi.", ("6.2.c",)),
    Term("reinstate", "cấp lại hộp thư đã thu hồi", "cap lai hop thu da thu hoi",
         ("khôi phục hộp thư đã thu hồi", "khôi phục sau thu hồi", "cấp lại sau thu hồi"),
         "Quy chế không đặt tên riêng: đây là cấp theo văn bản đề nghị mới. 'Khôi phục' chỉ "
         f"dùng cho hộp thư bị tạm khóa ({cite('7.2')}).", ("6.1",)),
    Term("move", "thuyên chuyển công tác trong tỉnh", "thuyen chuyen cong tac trong tinh",
         ("chuyển cơ quan",),
         "'Chuyển công tác' đứng riêng còn có nghĩa chuyển ra ngoài tỉnh, khi hộp thư bị thu "
         f"hồi ({cite('6.2.c')}).", ("6.2.b",)),
    Term("delegate", "ủy quyền sử dụng", "uy quyen su dung", ("giao sử dụng",),
         "Quy chế dùng 'ủy quyền', không dùng 'giao'.", ("9.1", "9.2", "12.2.a")),
    Term("delegate_person", "người được ủy quyền", "nguoi duoc uy quyen",
         ("người được giao",), "Người được Thủ trưởng ủy quyền sử dụng hộp thư.", ("9.1",)),
    Term("rename", "đổi tên hộp thư", "doi ten hop thu", (),
         "Địa chỉ cũ trở thành bí danh của địa chỉ mới.", ("6.2.d",)),
    Term("reset_password", "cấp lại mật khẩu", "cap lai mat khau", (),
         "Mật khẩu được cấp lại phải đổi ngay khi sử dụng lần đầu.", ("9.2", "12.1")),
    Term("update", "cập nhật thông tin danh bạ", "cap nhat thong tin danh ba", (),
         "Họ tên, chức vụ, điện thoại, lý do tạm khóa: đơn vị quản lý cập nhật danh bạ.",
         ("10.1.đ",)),
    Term("drift", "có trên máy chủ nhưng chưa khai báo (giữ nguyên)",
         "co tren may chu nhung chua khai bao", ("không được khai báo",),
         "'Không được' đi với động từ vừa có nghĩa 'cấm' vừa có nghĩa 'chưa'."),
    Term("purge", "xóa thư của hộp thư đã thu hồi, sau khi đã sao lưu",
         "xoa thu cua hop thu da thu hoi", (),
         "Chỉ thư của hộp thư đã thu hồi, và chỉ sau khi đã sao lưu.", ("6.2.c", "10.2.đ")),
    Term("remove", "xóa khỏi khai báo", "xoa khoi khai bao", (),
         "Một địa chỉ bỏ khỏi tệp khai báo; chỉ đơn vị quản lý làm việc này.", ("10.1.đ",)),
    # Statuses.
    Term("active", "đang hoạt động", "dang hoat dong", ("trạng thái active", "đang active"),
         "Một nhãn cho trạng thái ở mọi nơi; 'active' chỉ là giá trị văn thư ghi trong tệp, "
         "khi trích dẫn thì kèm nhãn: active (đang hoạt động)."),
    Term("status", "trạng thái", "trang thai", (),
         "Mục status của một hộp thư: đang hoạt động, đang tạm khóa, đã thu hồi."),
    # Why a mailbox is locked (Điều 7.1.a-c).
    Term("lock_reason", "lý do tạm khóa", "ly do tam khoa", ("lý do khóa",),
         "Lý do của việc tạm khóa; 'khóa' không đứng riêng.", ("7.1",)),
    Term("violation", "vi phạm quy định tại Điều 4", "vi pham quy dinh tai Dieu 4", (),
         "Lời của Quy chế.", ("7.1.a",)),
    Term("compromised", "bị chiếm dụng", "bi chiem dung",
         ("bị chiếm quyền sử dụng", "bị chiếm quyền"),
         "Lời của Quy chế; trong thông báo giải thích một lần: người khác đã chiếm quyền sử "
         "dụng hộp thư.", ("7.1.b",)),
    Term("spam_malware", "tham gia phát tán thư rác, mã độc",
         "tham gia phat tan thu rac, ma doc", (), "Lời của Quy chế.", ("7.1.c",)),
    # The operator's emergency measure (Điều 10.1.g).
    Term("emergency", "biện pháp khẩn cấp", "bien phap khan cap", ("tạm giữ",),
         "'Tạm giữ' là từ pháp lý, nói về việc giữ người hoặc tài sản.", ("10.1.g",)),
    Term("emergency_lock", "tạm khóa khẩn cấp", "tam khoa khan cap",
         ("lock khẩn cấp", "khóa khẩn cấp"),
         "Biện pháp khẩn cấp của đơn vị quản lý: đăng nhập bị từ chối, thư vẫn được nhận.",
         ("10.1.g",)),
    Term("emergency_revoke", "thu hồi khẩn cấp", "thu hoi khan cap", ("revoke khẩn cấp",),
         "Biện pháp khẩn cấp của đơn vị quản lý.", ("10.1.g",)),
    Term("emergency_release", "gỡ bỏ biện pháp khẩn cấp", "go bo bien phap khan cap",
         ("gỡ tạm giữ",), "Hộp thư trở lại trạng thái đã khai báo.", ("10.1.g",)),
    # Passwords, under headings that say what they are (Điều 12.1: change it at first use).
    Term("password_initial", "mật khẩu ban đầu", "mat khau ban dau", (),
         "Chỉ cho hộp thư cấp mới.", ("12.1",)),
    Term("password_reset", "mật khẩu được cấp lại", "mat khau duoc cap lai", (),
         "Khi cấp lại mật khẩu; không gọi là mật khẩu ban đầu.", ("9.2", "12.1")),
    Term("password_unlock", "mật khẩu khởi tạo lại sau khôi phục",
         "mat khau khoi tao lai sau khoi phuc", (),
         "Khi khôi phục hộp thư bị tạm khóa; không gọi là mật khẩu ban đầu.", ("7.2", "12.1")),
    Term("password_reinstate", "mật khẩu khởi tạo lại sau khi cấp lại hộp thư",
         "mat khau khoi tao lai sau khi cap lai hop thu", (),
         "Khi cấp lại hộp thư đã thu hồi; không gọi là khôi phục (từ của Điều 7).",
         ("6.1", "12.1")),
    # Words of the files and the review.
    Term("yaml_key", "mục", "muc", ("nhóm khóa", "thiếu khóa", "tên khóa"),
         "'Khóa' là tạm khóa; một mục trong tệp YAML gọi là 'mục', một phần tử của danh sách "
         "gọi bằng tên và thứ tự của nó (người thứ 2 trong people, phòng thứ 1)."),
    Term("merge_request", "yêu cầu hợp nhất (merge request)", "yeu cau hop nhat",
         ("change request",),
         "Lần nhắc đầu tiên kèm tên tiếng Anh của GitLab; không viết 'yêu cầu' hay 'thay đổi' "
         "đứng riêng, vì đó là lời của Quy chế cho văn bản đề nghị."),
    Term("head", "Thủ trưởng cơ quan, đơn vị", "Thu truong co quan, don vi", (),
         "Quy chế viết hoa 'Thủ trưởng'.", ("9.1",)),
    Term("request", "văn bản đề nghị", "van ban de nghi", (),
         "Căn cứ của mọi thay đổi do cơ quan yêu cầu.", ("6.1",)),
    Term("basis", "căn cứ", "can cu", (),
         "Một quyết định không phải văn bản đề nghị (khởi tạo danh bạ, sắp xếp lại cơ quan)."),
    Term("mailbox", "hộp thư điện tử công vụ", "hop thu dien tu cong vu", (),
         "Tên đầy đủ trong tiêu đề và chủ đề thư; trong câu có thể viết 'hộp thư'."),
    Term("division_mailbox", "hộp thư phòng, ban", "hop thu phong, ban", ("hộp thư đơn vị",),
         "'Đơn vị' còn có nghĩa đơn vị sự nghiệp (kind: unit).", ("5.1.d",)),
    Term("personal_mailbox", "hộp thư cá nhân", "hop thu ca nhan", (), "Lời của Quy chế.",
         ("5.2",)),
    Term("agency_mailbox", "hộp thư cơ quan, đơn vị", "hop thu co quan, don vi", (),
         "Lời của Quy chế.", ("5.1",)),
    Term("manual", "thủ công", "thu cong", ("bằng tay", "sửa tay"),
         "Văn phong hành chính."),
)
BY_CONCEPT = {term.concept: term for term in TERMS}


def label(concept: str) -> str:
    """What people read for ``concept`` (a ``TERMS`` entry)."""
    return BY_CONCEPT[concept].label


def ascii_label(concept: str) -> str:
    """``concept``'s unaccented form, for SMTP and IMAP replies."""
    return BY_CONCEPT[concept].ascii


# Phrases that hold an avoided word and stay legitimate: the glossary test
# (tests/glossary_check.py) flags no avoided form inside one. Each with why it is legitimate.
HOMONYMS = (
    ("tạm khóa", f"việc tạm khóa hộp thư ({cite('7.1')})"),
    ("đang tạm khóa", "trạng thái sau khi tạm khóa"),
    ("lý do tạm khóa", "lý do của việc tạm khóa"),
    ("từ khóa", "từ tìm kiếm trong danh bạ"),
    ("khóa DKIM", "dùng để ký thư gửi đi (DKIM)"),
    ("khóa riêng", "phần giữ bí mật của chữ ký số"),
    ("khóa công khai", "phần công bố của chữ ký số"),
    ("khóa SSH", "dùng để đăng nhập máy chủ"),
    ("khóa tệp", "giữ cho hai lần áp dụng không chạy cùng lúc"),
    ("khôi phục dữ liệu từ bản sao lưu", "lấy lại dữ liệu đã sao lưu, không phải Điều 7"),
    ("khôi phục từ bản sao lưu", "lấy lại dữ liệu đã sao lưu, không phải Điều 7"),
    ("xóa khỏi khai báo", f"một địa chỉ bỏ khỏi tệp khai báo ({cite('10.1.đ')})"),
    ("hộp thư đơn vị quản lý", "hộp thư của đơn vị quản lý hệ thống, không phải hộp thư phòng, "
                               "ban"),
)


# ---------------------------------------------------------------------------------------
# What clerks write in the files.

# The values of the schema's enumerations, glossed where they are quoted: active (đang hoạt
# động). The keys are the schema's property names.
VALUE_GLOSS = {
    "status": {"active": label("active"), "locked": label("locked"),
               "revoked": label("revoked")},
    "lock_reason": {"violation": label("violation"), "compromised": label("compromised"),
                    "spam_malware": label("spam_malware")},
    # The district level ends on 30/06/2025 (LEVELS; tests/unit/test_glossary.py checks it).
    "kind": {"department": "sở, ban, ngành", "district": "UBND cấp huyện, đến 30/06/2025",
             "commune": "UBND cấp xã (xã, phường)",
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

# Capitalised words allowed inside Vietnamese text people read (tests/glossary_check.py flags
# any other word written in capitals without a Vietnamese letter).
ACRONYMS = (
    "UBND", "HĐND", "QĐ", "NQ", "CNTT", "TTTT", "KH&CN", "KHCN", "YAML", "CSV", "UTF-8",
    "SMTP", "IMAP", "DKIM", "SPF", "DMARC", "TLS", "SSH", "HTML", "URL", "BOM", "SHA-256",
    "MIME", "PDF", "ID", "GitLab", "Unikey", "Unicode", "TCVN3", "VNI", "MANIFEST", "UTC",
    "TCVN", "HTTP", "HTTPS", "DNS", "IP", "JSON", "ASCII", "CI", "MX", "LMTP", "RFC", "API",
    "ISO", "CODEOWNERS",
    "NUL", "DEL", "NEL",  # control characters' names, beside their code point (U+0000 NUL)
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
