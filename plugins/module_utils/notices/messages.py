"""Messages of sending the notices to agencies (HYN).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article>). Cách sửa: <how to fix>``. Sending mail is operations, which no article of the
regulation governs: every basis is empty, so no message cites one. A notice that cannot be
sent stays in the outbox with its message; a broken template stops the run before any
letter leaves. The operator is not named: these are read by its own administrators.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

# code: (what went wrong, the article (none: operations), how to fix it)
CATALOG: Catalog = {
    "HYN001": ("không gửi được thư thông báo qua máy chủ thư {host}:{port} ({error})", "",
               "kiểm tra máy chủ thư đang chạy (make mailserver-up); thư thông báo vẫn nằm "
               "trong hàng đợi và được gửi lại ở lần áp dụng sau"),
    "HYN002": ("máy chủ thư từ chối thư thông báo: {smtp_code} {text}", "",
               "đọc lý do máy chủ trả về và sửa cấu hình máy chủ thư hoặc hộp thư gửi; thư "
               "thông báo vẫn nằm trong hàng đợi và được gửi lại ở lần áp dụng sau"),
    "HYN003": ("máy chủ thư từ chối người nhận {recipient}: {smtp_code} {text}", "",
               "kiểm tra hộp thư cơ quan đã được cấp mới và đang hoạt động, rồi chạy lại "
               "make notify"),
    "HYN004": ("mẫu thư thông báo bị lỗi ({detail}); chưa gửi thư nào", "",
               "sửa tệp mẫu thư trong playbooks/templates/notify/ theo README.md ở đó (hoặc "
               "lấy lại bản trước trong kho) rồi chạy lại"),
    "HYN005": ("máy chủ thư thiếu thư viện Jinja2 để soạn thư thông báo", "",
               "cài gói python3-jinja2 cho Python chạy mô-đun rồi chạy lại"),
    "HYN006": ("một dòng trong hàng đợi thư thông báo không đúng định dạng nên được giữ lại, "
               "không gửi", "",
               "mở tệp hàng đợi (outbox) trên máy chủ thư, xử lý thủ công dòng đó (gửi lại "
               "nội dung cho cơ quan nếu cần) rồi xóa dòng"),
    "HYN007": ("một lần áp dụng khác đang chạy trên máy chủ thư", "",
               "chờ lần áp dụng đó kết thúc rồi chạy lại"),
    "HYN008": ("chưa biết hộp thư gửi thư thông báo", "",
               "khai báo operator.mailbox (hoặc operator_mailbox) trong "
               "inventory/<môi trường>/group_vars/all.yml"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (article). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
