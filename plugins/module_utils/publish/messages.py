"""Messages of the periodic report (HYP).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

REPORT = "Điều 10.1.e, 11.5"

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYP001": ("{name}={text!r} không phải ngày", REPORT, "viết YYYY-MM-DD, ví dụ 2026-11-30"),
    "HYP002": ("first_day {since} sau last_day {until}", REPORT, "đổi lại hai ngày"),
    "HYP003": ("report không đúng dạng ({error})", REPORT,
               "dùng kết quả của mailbox_report cùng phiên bản"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
