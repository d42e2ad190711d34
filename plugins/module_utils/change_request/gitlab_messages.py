"""Messages of the pipeline's GitLab calls (HYG): the plan note, the reviewed plan and the
merge request's facts (author, pushers, approvals) the policy judges.

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. HYG001 and HYG003 only skip the plan note
(the job passes); without a token, or without a reviewed plan, apply refuses; without the
merge request's facts (HYG002, HYG006, HYG007) the policy job fails, never guesses.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

REVIEW = "Điều 10.1.đ, 10.2.c"

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYG001": ("không có biến CI {token}: {consequence}", REVIEW,
               "đặt biến {token} (xem docs/pipeline.md)"),
    "HYG002": ("GitLab {detail}", REVIEW,
               "kiểm tra token (vai trò Reporter; read_api để đọc, api để đăng ghi chú), "
               "CI_PROJECT_ID và kết nối tới GitLab"),
    "HYG003": ("không phải pipeline của yêu cầu hợp nhất (thiếu CI_MERGE_REQUEST_IID): bỏ qua "
               "việc đăng kế hoạch", REVIEW,
               "không cần làm gì; kế hoạch chỉ được đăng lên yêu cầu hợp nhất"),
    "HYG004": ("commit {sha} không đến từ một yêu cầu hợp nhất đã duyệt", REVIEW,
               "mọi thay đổi vào nhánh chính phải qua yêu cầu hợp nhất"),
    "HYG005": ("không có kế hoạch đã duyệt của !{iid}: {why}", REVIEW,
               "chạy lại pipeline của yêu cầu hợp nhất"),
    "HYG006": ("GitLab không cho biết đủ thông tin của yêu cầu hợp nhất: {detail}", REVIEW,
               "chạy lại pipeline; nếu vẫn lỗi, kiểm tra token read_api và yêu cầu hợp nhất"),
    "HYG007": ("commit {head} không phải phiên bản mới nhất của !{iid} ({latest}): không xét "
               "commit cũ", REVIEW,
               "chờ pipeline của lần đẩy mới nhất, hoặc chạy lại pipeline của yêu cầu hợp nhất"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
