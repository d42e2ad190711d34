"""Operational messages raised by more than one stage: the reconcile (HYR) and the clock (HYC).

HYR codes are raised while reading the desired state (``declared/``), checking the reviewed
plan (``plan/``), writing the server's files (``backends/``) and applying (``apply/``), so
they live here, below all of them. Same shape as every catalog (``common/messages.py``):
``CODE <what went wrong> (<article or basis>). Cách sửa: <how to fix>``.
"""

from __future__ import annotations

import errno

from .glossary import cite, label
from .messages import Catalog
from .messages import render as render_message

# Operating the mail server: no article governs these rules, so the message cites nothing.
SERVER = ""
RUNNING = cite("10.2.a")
ON_REQUEST = cite("10.2.c")

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    # Reading what to apply
    "HYR001": ("không đọc được tệp trạng thái khai báo {path} (desired_file): {failure}", SERVER,
               "chạy make validate trước"),
    "HYR002": ("tệp {path} dành cho miền '{found}', không phải '{domain}'", SERVER,
               "kiểm tra mục mail_domain trong inventory"),
    "HYR003": ("kế hoạch đã cũ: trạng thái máy chủ đã thay đổi từ khi kế hoạch được phê "
               "duyệt{detail}", ON_REQUEST,
               "chạy make drift để xem máy chủ đã đổi gì, rồi lập lại kế hoạch (make plan, "
               "hoặc chạy lại pipeline của " + label("merge_request") + ") và phê duyệt lại"),
    "HYR004": ("không dùng được kế hoạch đã duyệt {path}: {why}", ON_REQUEST,
               "dùng tệp build/plan.json do bước plan của pipeline lưu lại (artifact); chạy "
               "lại pipeline của yêu cầu hợp nhất để có tệp này"),
    "HYR005": ("một " + label("emergency") + " vừa được ghi trong lúc lập kế hoạch", cite("10.1.g"),
               "chạy lại lần áp dụng (kế hoạch sẽ tính cả " + label("emergency") + " mới)"),
    # Writing the server's files (the backend): the batch is refused whole
    "HYR010": ("chưa có mật khẩu cho: {missing}", cite("8"),
               "chạy lại lần áp dụng (mật khẩu được tạo khi áp dụng); chưa có gì được áp dụng"),
    "HYR012": ("đổi tên: {old} không có trên máy chủ", cite("6.2.d"),
               "lập lại kế hoạch (make plan)"),
    "HYR013": ("{command} lỗi: {stderr}", RUNNING,
               "xem lỗi ở trên, sửa cấu hình Postfix rồi chạy lại; chưa có gì được áp dụng"),
    "HYR014": ("một lần áp dụng khác vẫn đang chạy trên máy chủ này sau {waited} giây chờ",
               SERVER, "chờ lần đó xong (xem pipeline đang chạy) rồi chạy lại, hoặc tăng "
               "lock_timeout (thời gian chờ khóa tệp)"),
    "HYR015": ("địa chỉ {value} có ký tự không dùng được trong tệp của máy chủ (dấu hai chấm, "
               "dấu cách, ký tự xuống dòng, ký tự điều khiển...)", cite("5"),
               "sửa địa chỉ theo " + cite("5") + " rồi chạy lại; chưa có gì được áp dụng"),
    "HYR016": ("không có thư mục thư dùng được cho {home}: {why}", SERVER,
               "đặt state_dir không có dấu hai chấm, dấu cách; dọn các thư mục thư cũ "
               "không còn dùng trong mail_dir"),
    # After the switch (backends/postfix_dovecot/sessions.py): the batch is applied
    "HYR019": ("chưa ngắt được các phiên đăng nhập đang mở của tài khoản vừa bị "
               + label("lock") + ", " + label("revoke") + " hoặc " + label("reset_password")
               + ", hay của " + label("delegate_person") + " vừa bị bỏ: {command} lỗi: {stderr}",
               cite("7.1.b"),
               "thay đổi đã được áp dụng (đăng nhập mới bị từ chối); sửa lỗi của Dovecot rồi "
               "chạy lại lần áp dụng (lần sau sẽ ngắt các phiên này), hoặc ngắt ngay bằng "
               "doveadm kick <địa chỉ>"),
    # A snapshot of the live state (backends/snapshot.py): plans only
    "HYR017": ("ảnh chụp trạng thái {path} chỉ dùng để lập kế hoạch: không {what} được",
               ON_REQUEST, "áp dụng bằng make apply trên máy chủ thư (không có -e snapshot)"),
    "HYR018": ("không dùng được ảnh chụp trạng thái máy chủ {path}: {why}", ON_REQUEST,
               "lấy ảnh chụp mới (tệp build/snapshot.json do bước apply, drift hoặc emergency "
               "gần nhất trên nhánh mặc định lưu lại), hoặc lập kế hoạch trên máy chủ thư"),
    # Usage records read for the report (usage/reader.py; issue 17, part 5)
    "HYR020": ("chưa có số liệu đăng nhập: không có thư mục {path}", cite("10.1.e", "12.2.a"),
               "chạy lại make mailserver (vai trò mailserver tạo thư mục này và cấu hình "
               "Dovecot ghi lần đăng nhập gần nhất); báo cáo lần này không có mục sử dụng "
               "hộp thư"),
    "HYR021": ("không đọc được bản ghi sử dụng {path}: {why}", cite("10.1.e", "12.2.a"),
               "bản ghi này bị bỏ qua; xem quyền của tệp và dung lượng đĩa, Dovecot ghi lại "
               "ở lần đăng nhập sau"),
    # The product's clock
    "HYC001": ("biến môi trường {env}='{setting}' không hợp lệ", SERVER,
               "để trống (đồng hồ hệ thống), một độ lệch như +365d hoặc -2h30m, hoặc một "
               "thời điểm ISO 8601 có múi giờ, dạng năm-tháng-ngàyTgiờ:phút:giây+07:00"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)


# What an operating-system error means, for the operator (never Python's English text).
OS_ERRORS = {errno.ENOENT: "tệp hoặc thư mục không có", errno.EACCES: "không có quyền",
             errno.EPERM: "không có quyền", errno.ENOSPC: "ổ đĩa đã đầy",
             errno.EROFS: "ổ đĩa chỉ cho đọc", errno.EEXIST: "tệp đã có",
             errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
             errno.EISDIR: "đường dẫn là một thư mục"}


def reason(error: BaseException) -> str:
    """Why a file could not be read, in Vietnamese: an operating-system error by its number,
    anything else (a ValueError of json) as content that is not valid JSON."""
    if isinstance(error, OSError):
        return OS_ERRORS.get(error.errno, f"lỗi hệ thống số {error.errno}")
    return "nội dung không phải JSON hợp lệ"


def failure_text(error: BaseException) -> str:
    """What a module prints when it fails: a coded message as it is; an operating-system
    error in Vietnamese, with the file and the error number."""
    if not isinstance(error, OSError):
        return str(error)
    where = f"tệp {error.filename}" if error.filename else "tệp"
    return f"không đọc hoặc ghi được {where} ({reason(error)})"
