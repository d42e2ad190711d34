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
              "chạy với -e author=<tên GitLab của người tạo yêu cầu hợp nhất> (trong CI, "
              "người tạo lấy từ API của GitLab)"),
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
    "HP014": ("{address}: chuyển công tác từ {source} kèm {what}; người chuyển công tác giữ "
              "nguyên địa chỉ, mật khẩu, trạng thái và thư của mình", "Điều 6.2.b, 9.3",
              "chỉ chuyển người này sang tệp cơ quan mình, giữ nguyên địa chỉ, không ghi "
              "status khác và không ghi password_reset; cấp lại mật khẩu, thu hồi, đổi tên thì "
              "gửi văn bản đề nghị cho Sở TTTT sau khi đã chuyển"),
    "HP015": ("{address} là người được ủy quyền trong {path}; bỏ ủy quyền khi chuyển công tác "
              "cần phê duyệt của owners tệp đó ({owners}) hoặc của người duyệt của Sở TTTT "
              "({reviewers})", "Điều 6.2.b, 9.1",
              "nhờ một người trong owners của {path} hoặc một người duyệt của Sở TTTT (không phải "
              "người tạo, không đẩy commit vào nhánh) bấm Phê duyệt (Approve) yêu cầu hợp nhất "
              "trên GitLab, rồi chạy lại pipeline"),
    "HP016": ("{address}: địa chỉ cũ {old} trong previous_addresses {where}; chỉ được ghi địa "
              "chỉ mà chính {path} đã khai báo", "Điều 5.3, 6.2.d",
              "bỏ {old} khỏi previous_addresses; muốn tiếp nhận hộp thư, thư cũ của cơ quan khác "
              "hoặc của hộp thư không còn khai báo thì gửi văn bản đề nghị cho Sở TTTT"),
    "HP017": ("{address}: cấp lại mật khẩu (password_reset) chỉ do Sở TTTT thực hiện; "
              "{author} không phải người duyệt của Sở TTTT ({reviewers}) và chưa có người duyệt "
              "nào phê duyệt yêu cầu hợp nhất", "Điều 9.2, 12.1",
              "người dùng quên mật khẩu báo cho Sở TTTT; bỏ password_reset khỏi thay đổi, hoặc "
              "nhờ người duyệt của Sở TTTT bấm Phê duyệt (Approve) trên GitLab rồi chạy lại "
              "pipeline"),
    # Request letters and locks
    "HP020": ("{address}: {what} nhưng vẫn ghi văn bản đề nghị cũ {letter}", "Điều 6.1",
              "ghi request là số và ngày của văn bản đề nghị cho chính thay đổi này"),
    "HP021": ("{address}: {what} chỉ do Sở TTTT thực hiện; {author} không phải người duyệt của "
              "Sở TTTT ({reviewers}) và chưa có người duyệt nào phê duyệt yêu cầu hợp nhất",
              "Điều 7, 10.1",
              "thủ trưởng gửi văn bản đề nghị tạm khóa hoặc khôi phục cho Sở TTTT; Sở TTTT tạo "
              "thay đổi này, hoặc người duyệt của Sở TTTT bấm Phê duyệt (Approve) trên GitLab "
              "rồi chạy lại pipeline"),
    "HP022": ("{address}: cấp lại hộp thư đã thu hồi chỉ do Sở TTTT thực hiện; {author} không "
              "phải người duyệt của Sở TTTT ({reviewers}) và chưa có người duyệt nào phê duyệt "
              "yêu cầu hợp nhất", "Điều 6.1, 7.2, 10.1",
              "thủ trưởng gửi văn bản đề nghị cấp lại cho Sở TTTT; Sở TTTT tạo thay đổi này, "
              "hoặc người duyệt của Sở TTTT bấm Phê duyệt (Approve) trên GitLab rồi chạy lại "
              "pipeline"),
    # The destroy guard and its optional record
    "HP030": ("thay đổi thu hồi, đổi tên hoặc xóa {count} hộp thư, vượt ngưỡng: {why}; cần phê "
              "duyệt của người duyệt Sở TTTT", "Điều 10.1",
              "nhờ một người duyệt của Sở TTTT ({reviewers}; không phải người tạo, không đẩy "
              "commit vào nhánh) bấm Phê duyệt (Approve) yêu cầu hợp nhất trên GitLab, rồi chạy "
              "lại pipeline; nếu ghi biên bản approvals/<tên>.yml (không bắt buộc) thì "
              "max_destructive: {count} trở lên; xem approvals/README.md"),
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
    "HP036": ("approved_by '{detail}' chưa phê duyệt yêu cầu hợp nhất này trên GitLab sau lần "
              "đẩy commit cuối cùng (đã phê duyệt hợp lệ: {approvers})", "Điều 10.1",
              "người có tên trong approved_by bấm Phê duyệt (Approve) trên GitLab rồi chạy lại "
              "pipeline (người đã đẩy commit vào nhánh không phê duyệt được), hoặc bỏ tệp biên "
              "bản này"),
    # Who pushed, and onto what
    "HP037": ("ngoài người tạo {author}, còn {others} đẩy commit vào nhánh của yêu cầu hợp "
              "nhất; chính sách chỉ xét quyền của người tạo", "Điều 10.1",
              "mỗi người tạo yêu cầu hợp nhất riêng từ nhánh của mình; chỉ người duyệt của Sở "
              "TTTT ({reviewers}) được đẩy thêm commit vào nhánh của người khác"),
    "HP038": ("nhánh của yêu cầu hợp nhất không chứa commit mới nhất của nhánh đích; chính "
              "sách chỉ xét thay đổi so với nhánh đích hiện tại", "Điều 10.1",
              "cập nhật nhánh (nút Rebase trên GitLab, hoặc git rebase lên nhánh đích) rồi đẩy "
              "lại"),
    # What the change may touch, and how much it may create
    "HP040": ("yêu cầu hợp nhất thay đổi tệp không phải khai báo hộp thư: {paths}; chỉ Sở TTTT "
              "được sửa mã nguồn, mẫu, lược đồ, cấu hình", "Điều 10.1",
              "chỉ sửa mailboxes/<cơ quan>.yml, approvals/<tên>.yml (tệp thường, không thực "
              "thi, không xóa) và CODEOWNERS do make codeowners tạo; phần còn lại gửi Sở TTTT "
              "thành yêu cầu hợp nhất riêng"),
    "HP041": ("thay đổi cấp mới {count} hộp thư, quá {limit} hộp thư trong một yêu cầu hợp "
              "nhất; cần phê duyệt của người duyệt Sở TTTT (không phải người tạo)",
              "Điều 6.2.a, 10.1",
              "tách thành nhiều yêu cầu hợp nhất, mỗi yêu cầu không quá {limit} hộp thư cấp "
              "mới, hoặc nhờ người duyệt của Sở TTTT ({reviewers}) bấm Phê duyệt (Approve) trên "
              "GitLab rồi chạy lại pipeline"),
    "HP042": ("{address}: địa chỉ mới gần giống {target} ({what}), chỉ khác một ký tự; dễ bị "
              "nhầm hoặc bị giả mạo", "Điều 5",
              "chọn địa chỉ khác (ghi address kèm address_reason); nếu đúng là cần địa chỉ này, "
              "nhờ người duyệt của Sở TTTT bấm Phê duyệt (Approve) trên GitLab rồi chạy lại "
              "pipeline"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what is refused (article). Cách sửa: how to proceed."""
    return render_message(code, CATALOG, None, **fields)
