"""Messages of the periodic report (HYP).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``.
"""

from __future__ import annotations

from ..common.glossary import cite
from ..common.messages import Catalog
from ..common.messages import render as render_message

REPORT = cite("10.1.e", "11.5")
# How the report is asked for and passed on: no article governs it.
OPERATION = ""

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYP001": ("{name}='{text}' không phải ngày viết dạng năm-tháng-ngày", OPERATION,
               "ghi ngày dạng năm-tháng-ngày, ví dụ: 2026-11-30 là ngày 30/11/2026"),
    "HYP002": ("ngày đầu kỳ {since} (first_day) sau ngày cuối kỳ {until} (last_day)",
               OPERATION, "đổi chỗ hai ngày cho nhau"),
    "HYP003": ("số liệu báo cáo (report) không đúng dạng: {error}", OPERATION,
               "dùng kết quả của mailbox_report cùng phiên bản"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
