"""Messages of sending the notices to agencies (HYN).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. A notice that cannot be sent stays in the
outbox with its message; a broken template stops the run before any letter leaves.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

NOTICE = "Điều 6, 7 (thông báo cho cơ quan)"
SERVER = "vận hành máy chủ thư"

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYN001": ("không gửi được qua {host}:{port} ({error})", NOTICE,
               "kiểm tra máy chủ thư (make mailserver-up); thư được gửi lại lần áp dụng sau"),
    "HYN002": ("máy chủ từ chối thư: {smtp_code} {text}", NOTICE,
               "xem lý do máy chủ trả về; thư vẫn nằm trong hàng đợi và được gửi lại lần áp "
               "dụng sau"),
    "HYN003": ("máy chủ từ chối người nhận {recipient}: {smtp_code} {text}", NOTICE,
               "kiểm tra hộp thư cơ quan đã được tạo và đang hoạt động"),
    "HYN004": ("mẫu thư lỗi ({detail}); chưa gửi thư nào", NOTICE,
               "sửa hoặc khôi phục tệp trong playbooks/templates/notify/ rồi chạy lại"),
    "HYN005": ("máy chủ thư thiếu thư viện Jinja2", SERVER,
               "cài python3-jinja2 cho Python chạy mô-đun"),
    "HYN006": ("dòng không đúng định dạng thông báo, giữ lại trong outbox", NOTICE,
               "xem và xử lý bằng tay"),
    "HYN007": ("một lần áp dụng khác đang giữ máy chủ", SERVER, "chờ lần đó xong rồi chạy lại"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
