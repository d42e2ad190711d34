"""Operational messages raised by more than one stage: the reconcile (HYR) and the clock (HYC).

HYR codes are raised while reading the desired state (``declared/``), checking the reviewed
plan (``plan/``), writing the server's files (``backends/``) and applying (``apply/``), so
they live here, below all of them. Same shape as every catalog (``common/messages.py``):
``CODE <what went wrong> (<article or basis>). Cách sửa: <how to fix>``.
"""

from __future__ import annotations

from .messages import Catalog
from .messages import render as render_message

SERVER = "vận hành máy chủ thư"
RUNNING = "Điều 10.2.a, vận hành liên tục"
ON_REQUEST = "Điều 10.2.c, chỉ áp dụng thay đổi đã được duyệt"

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    # Reading what to apply
    "HYR001": ("không đọc được desired_file {path} ({failure})", SERVER,
               "chạy playbooks/validate.yml trước"),
    "HYR002": ("{path} dành cho miền {found!r}, không phải {domain!r}", SERVER,
               "kiểm tra mail_domain của inventory"),
    "HYR003": ("kế hoạch đã cũ: trạng thái máy chủ đã đổi từ khi kế hoạch được duyệt{detail}",
               ON_REQUEST, "chạy make drift để xem máy chủ đã đổi gì, rồi lập lại kế hoạch "
               "(make plan, hoặc chạy lại pipeline của yêu cầu hợp nhất) và duyệt lại"),
    "HYR004": ("không dùng được kế hoạch đã duyệt {path}: {why}", ON_REQUEST,
               "dùng artifact build/plan.json của job plan (chạy lại pipeline của yêu cầu "
               "hợp nhất để có nó)"),
    "HYR005": ("một thao tác khẩn cấp vừa được ghi trong lúc lập kế hoạch", "Điều 10.1.g",
               "chạy lại lần áp dụng (kế hoạch sẽ tính cả tạm giữ mới)"),
    # Writing the server's files (the backend): the batch is refused whole
    "HYR010": ("chưa có mật khẩu cho: {missing}", "Điều 8",
               "chạy lại lần áp dụng (mật khẩu được tạo khi áp dụng); không có gì đã được "
               "áp dụng"),
    "HYR012": ("đổi tên: {old} không có trên máy chủ", "Điều 6.2.d",
               "lập lại kế hoạch (make plan)"),
    "HYR013": ("{command} lỗi: {stderr}", RUNNING,
               "xem lỗi trên, sửa cấu hình Postfix rồi chạy lại; không có gì đã được áp dụng"),
    "HYR014": ("một lần áp dụng khác vẫn đang chạy trên máy chủ này sau {waited} giây chờ",
               SERVER, "chờ lần đó xong (xem pipeline đang chạy) rồi chạy lại, hoặc tăng "
               "lock_timeout"),
    "HYR015": ("địa chỉ {value} có ký tự không được phép trong tệp của máy chủ (dấu hai chấm, "
               "khoảng trắng, xuống dòng, ký tự điều khiển...)", "Điều 5",
               "sửa địa chỉ theo Điều 5 rồi chạy lại; không có gì đã được áp dụng"),
    "HYR016": ("không có thư mục thư dùng được cho {home}: {why}", SERVER,
               "đặt state_dir không có dấu hai chấm, khoảng trắng; dọn các thư mục thư cũ "
               "không còn dùng trong mail_dir"),
    # A snapshot of the live state (backends/snapshot.py): plans only
    "HYR017": ("ảnh chụp trạng thái {path} chỉ dùng để lập kế hoạch: không {what} được",
               ON_REQUEST, "áp dụng bằng make apply trên máy chủ thư (không có -e snapshot)"),
    "HYR018": ("không dùng được ảnh chụp trạng thái máy chủ {path}: {why}", ON_REQUEST,
               "lấy ảnh chụp mới (artifact build/snapshot.json của job apply, drift hoặc "
               "emergency gần nhất trên nhánh mặc định), hoặc lập kế hoạch trên máy chủ thư"),
    # The product's clock
    "HYC001": ("{env}={setting!r} không hợp lệ", SERVER,
               "để trống (đồng hồ hệ thống), một độ lệch như +365d hoặc -2h30m, hoặc một "
               "thời điểm ISO 8601 có múi giờ như 2026-11-29T12:00:00+00:00"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
