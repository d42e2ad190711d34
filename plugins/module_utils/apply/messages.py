"""Messages of applying: emergency holds (HYH) and drift (HYD).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. The reconcile's own codes (HYR) are raised
by the stages below too, so they live in ``common/operation_messages.py``. The drift
findings HYD001–HYD004 are headings of the drift report (``heading``), not failures.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

EMERGENCY = "Điều 10.1.g"
DIRECTORY = "Điều 10.1.đ, 10.2.c"

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    # Emergency holds (playbooks/emergency.yml)
    "HYH001": ("action={action!r} không hợp lệ", EMERGENCY, "dùng {actions}"),
    "HYH002": ("thiếu lý do (reason)", EMERGENCY,
               "-e reason='...' nêu rõ nguy cơ an toàn thông tin"),
    "HYH003": ("{address} đã bị thu hồi: không khóa được", EMERGENCY,
               "không cần thao tác khẩn cấp"),
    "HYH004": ("{address} không có trên máy chủ", EMERGENCY,
               "kiểm tra địa chỉ (make drift liệt kê các hộp thư trên máy chủ)"),
    "HYH005": ("{address} không có tạm giữ nào: không có gì để gỡ", EMERGENCY,
               "không cần làm gì; make drift liệt kê các tạm giữ đang có hiệu lực"),
    "HYH006": ("{address!r} không phải địa chỉ @{domain}", EMERGENCY,
               "-e address=<tên>@{domain}"),
    "HYH011": ("kho đã khai báo {address} ở trạng thái {status}, nhưng biện pháp khẩn cấp "
               "vẫn giữ nguyên: người lập yêu cầu hợp nhất ({author}) và người duyệt "
               "({approvers}) không ai là người duyệt của Sở TTTT ({reviewers})", EMERGENCY,
               "chỉ Sở TTTT gỡ biện pháp khẩn cấp: một người duyệt của Sở TTTT (owners của "
               "mailboxes/sotttt.yml) duyệt yêu cầu hợp nhất, hoặc Sở TTTT chạy make "
               "emergency action=release"),
    "HYH012": ("kho đã khai báo {address} ở trạng thái {status}, nhưng biện pháp khẩn cấp "
               "vẫn giữ nguyên: lần áp dụng này không nêu người lập yêu cầu hợp nhất "
               "(change_author)", EMERGENCY,
               "Sở TTTT gỡ biện pháp khẩn cấp bằng make emergency action=release, hoặc áp dụng "
               "yêu cầu hợp nhất với -e change_author=... -e change_approvers=... khi người "
               "lập hoặc người duyệt là người duyệt của Sở TTTT"),
    "HYH010": ("không đọc được {path} ({error})", EMERGENCY,
               "khôi phục tệp từ bản sao lưu; không xóa tệp (sẽ mất tạm giữ khẩn cấp)"),
    # Drift (playbooks/drift.yml): the run, then one heading per kind of finding
    "HYD000": ("máy chủ khác kho: {summary}", DIRECTORY,
               "đọc báo cáo sai lệch (tệp .md được chỉ ra) và xử lý từng mục theo mã của nó"),
    "HYD001": ("Hộp thư có trên máy chủ nhưng không được khai báo", DIRECTORY,
               "khai báo hộp thư trong mailboxes/ kèm văn bản đề nghị, hoặc xóa nó trên máy "
               "chủ bằng tay; công cụ không tự chạm vào hộp thư không được khai báo"),
    "HYD002": ("Tạm giữ khẩn cấp đang có hiệu lực", EMERGENCY,
               "hợp thức hóa bằng văn bản trong kho (tạm giữ tự hết khi áp dụng) hoặc gỡ "
               "tạm giữ (make emergency, action=release)"),
    "HYD003": ("Tệp dữ liệu bị sửa tay, khác dấu kiểm công cụ ghi lần cuối", DIRECTORY,
               "đưa thay đổi vào kho qua yêu cầu hợp nhất; lần áp dụng sau ghi lại tệp"),
    "HYD004": ("Thay đổi đã khai báo nhưng chưa áp dụng", DIRECTORY,
               "chạy make apply (hoặc để pipeline áp dụng) sau khi yêu cầu hợp nhất được duyệt"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)


def heading(code: str) -> str:
    """A drift report's heading for the findings of ``code``: what they are (basis)."""
    what, basis, _fix = CATALOG[code]
    return f"{what} ({basis})"
