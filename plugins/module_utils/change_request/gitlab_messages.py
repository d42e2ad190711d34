"""Messages of the pipeline's GitLab calls (HYG): the plan note, the reviewed plan and the
merge request's facts (author, pushers, approvals) the policy judges.

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``; these are the pipeline's operations, which no
article governs, so they cite nothing. GitLab's own words (token, pipeline, commit) are
glossed in parentheses. HYG001 and HYG003 only skip the plan note
(the job passes); without a token, or without a reviewed plan, apply refuses; without the
merge request's facts (HYG002, HYG006, HYG007) the policy job fails, never guesses.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYG001": ("không có biến CI {token}: {consequence}", "",
               "đặt biến {token} (xem docs/pipeline.md)"),
    "HYG002": ("GitLab {detail}", "",
               "kiểm tra mã truy cập (token, vai trò Reporter; quyền read_api để đọc, api để đăng "
               "ghi chú), biến CI_PROJECT_ID và kết nối tới GitLab"),
    "HYG003": ("không phải lượt kiểm tra (pipeline) của một yêu cầu hợp nhất (thiếu "
               "CI_MERGE_REQUEST_IID): bỏ qua việc đăng kế hoạch", "",
               "không cần làm gì; kế hoạch chỉ được đăng lên yêu cầu hợp nhất"),
    "HYG004": ("bản sửa (commit) {sha} không đến từ một yêu cầu hợp nhất đã duyệt", "",
               "mọi thay đổi vào nhánh chính phải qua yêu cầu hợp nhất (merge request)"),
    "HYG005": ("không có kế hoạch đã duyệt của !{iid}: {why}", "",
               "chạy lại kiểm tra tự động (Run pipeline) của yêu cầu hợp nhất"),
    "HYG006": ("GitLab không cho biết đủ thông tin của yêu cầu hợp nhất: {detail}", "",
               "chạy lại kiểm tra tự động (Run pipeline); nếu vẫn lỗi, kiểm tra mã truy cập "
               "(token) có quyền read_api và yêu cầu hợp nhất"),
    "HYG007": ("bản sửa (commit) {head} không phải phiên bản mới nhất của !{iid} ({latest}): "
               "không xét bản sửa cũ", "",
               "chờ lượt kiểm tra (pipeline) của lần đẩy mới nhất, hoặc chạy lại kiểm tra tự động "
               "(Run pipeline) của yêu cầu hợp nhất"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong. Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
