"""Change-request policy messages: stable code → Vietnamese text, article, how to proceed.

Same shape as the validation messages (``declared/messages.py``, rendered by
``common/messages.py``):
``CODE <what is refused> (<article>). Cách sửa: <how to proceed>``. A code never changes
meaning, so it can be searched in the README and tested.
"""

from __future__ import annotations

from ..common.messages import render as render_message

# code: (what is refused, the article it rests on, how to proceed)
CATALOG: dict[str, tuple[str, str, str]] = {
    # The change as a whole
    "HP001": ("không rõ ai tạo thay đổi (author trống)", "Điều 10.1",
              "chạy với -e author=<tên GitLab> hoặc đặt biến môi trường GITLAB_USER_LOGIN"),
    "HP002": ("khai báo sau thay đổi chưa hợp lệ: {count} lỗi, lỗi đầu tiên: {first}",
              "Điều 5, 6", "chạy make validate, sửa hết lỗi rồi đẩy lại; chính sách chỉ xét "
              "thay đổi đã hợp lệ"),
    "HP003": ("CODEOWNERS không khớp với owners trong mailboxes/", "Điều 10.1",
              "chạy make codeowners và đưa tệp CODEOWNERS vào cùng thay đổi"),
    # Who may change which file
    "HP010": ("{author} không có quyền sửa {path}: chỉ owners của tệp ({owners}) hoặc người "
              "duyệt của Sở TTTT ({reviewers}) được sửa", "Điều 6.1, 10.1",
              "bỏ thay đổi ở tệp này khỏi yêu cầu; cơ quan đó tự gửi yêu cầu, hoặc gửi văn bản "
              "đề nghị để Sở TTTT thực hiện"),
    "HP011": ("{action} tệp cơ quan {path}: chỉ người duyệt của Sở TTTT ({reviewers}) được "
              "thêm hoặc xóa tệp cơ quan", "Điều 6.2.a, 6.2.d, 10.1",
              "gửi văn bản đề nghị thành lập, đổi tên hoặc giải thể cơ quan cho Sở TTTT; "
              "Sở TTTT tạo thay đổi này"),
    "HP012": ("xóa {address} khỏi {path} (cơ quan khác) nhưng thay đổi không thêm {address} "
              "vào cơ quan của {author} ({own})", "Điều 6.2.b: cơ quan tiếp nhận đề nghị",
              "chuyển công tác: thêm người này, giữ đúng địa chỉ {address}, vào tệp cơ quan mình "
              "kèm văn bản tiếp nhận, trong cùng thay đổi; nghỉ việc, nghỉ hưu: cơ quan cũ khai "
              "status: revoked"),
    "HP013": ("{address} bị xóa khỏi khai báo; địa chỉ đã cấp không được bỏ đi để cấp lại",
              "Điều 5.3, 6.2.c", "giữ mục này và đặt status: revoked kèm văn bản đề nghị thu hồi; "
              "đổi tên thì ghi địa chỉ cũ vào previous_addresses; chỉ Sở TTTT được xóa hẳn"),
    # Request letters and locks
    "HP020": ("{address}: {what} nhưng vẫn ghi văn bản đề nghị cũ {letter}", "Điều 6.1",
              "ghi request là số và ngày của văn bản đề nghị cho chính thay đổi này"),
    "HP021": ("{address}: {what} chỉ do Sở TTTT thực hiện; {author} không phải người duyệt của "
              "Sở TTTT ({reviewers})", "Điều 7, 10.1",
              "thủ trưởng gửi văn bản đề nghị tạm khóa hoặc khôi phục cho Sở TTTT; Sở TTTT tạo "
              "thay đổi này"),
    # The destroy guard and its recorded approval
    "HP030": ("thay đổi thu hồi, đổi tên hoặc xóa {count} hộp thư, vượt ngưỡng: {why}; cần phê "
              "duyệt có ghi lại", "Điều 10.1",
              "thêm tệp approvals/<tên>.yml trong cùng thay đổi với approved_by (người duyệt của "
              "Sở TTTT, không phải người tạo thay đổi), reason và max_destructive: {count} trở "
              "lên; xem approvals/README.md"),
    "HP031": ("tệp phê duyệt không hợp lệ: {detail}", "schemas/approval.schema.json",
              "ghi đủ approved_by, reason, max_destructive theo approvals/README.md"),
    "HP032": ("approved_by '{detail}' không phải người duyệt của Sở TTTT ({reviewers})",
              "Điều 10.1", "ghi tên GitLab của một người trong owners của mailboxes/sotttt.yml; "
              "người đó phải duyệt yêu cầu này"),
    "HP033": ("approved_by '{detail}' chính là người tạo thay đổi; không được tự phê duyệt",
              "Điều 10.1", "nhờ một người duyệt khác của Sở TTTT ({reviewers}) phê duyệt và ghi "
              "tên người đó"),
    "HP034": ("phê duyệt cho tối đa {allowed} hộp thư nhưng thay đổi thu hồi, đổi tên hoặc xóa "
              "{count}", "Điều 10.1",
              "tách thành nhiều thay đổi, hoặc xin phê duyệt với max_destructive: {count}"),
    "HP035": ("tệp phê duyệt đã có bị {action}; biên bản phê duyệt chỉ được thêm mới",
              "Điều 10.1", "khôi phục tệp như cũ; phê duyệt mới thì thêm một tệp mới"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what is refused (article). Cách sửa: how to proceed."""
    return render_message(code, CATALOG, None, **fields)
