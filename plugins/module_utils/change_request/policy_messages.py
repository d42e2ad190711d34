"""Change-request policy messages: stable code → Vietnamese text, article, how to proceed.

Same shape as the validation messages (``declared/messages.py``, rendered by
``common/messages.py``):
``CODE <what is refused> (<article>). Cách sửa: <how to proceed>``; a rule no article governs
(the git and approval mechanics) cites nothing. A code never changes meaning, so it can be
searched in the README and tested.

The words are the glossary's (common/glossary.py): the merge request is a "yêu cầu hợp nhất"
(glossed "(merge request)" where the decision is summed up), GitLab's buttons are named in
parentheses, and the operator is ``{operator}``: its short name from the inventory when the
caller knows it (``policy.decide(operator=…)``), else the regulation's generic name.
"""

from __future__ import annotations

from ..common.glossary import GENERIC_OPERATOR, cite
from ..common.messages import render as render_message

# GitLab's buttons, named in parentheses as the interface shows them.
APPROVE = "bấm Phê duyệt (Approve) trên GitLab"
RERUN = "chạy lại kiểm tra tự động (Run pipeline)"
REVIEWER = "người duyệt của {operator} ({reviewers})"

# code: (what is refused, the article it rests on or "", how to proceed)
CATALOG: dict[str, tuple[str, str, str]] = {
    # The merge request as a whole
    "HP001": ("không rõ ai tạo yêu cầu hợp nhất (author trống)", "",
              "chạy với -e author=<tên GitLab của người tạo yêu cầu hợp nhất> (trong CI, "
              "người tạo lấy từ GitLab)"),
    "HP002": ("khai báo trong yêu cầu hợp nhất chưa hợp lệ: {count} lỗi, lỗi đầu tiên: {first}",
              cite("5", "6"), "chạy lệnh make validate, sửa hết lỗi rồi đẩy lại; chính sách "
              "chỉ xét yêu cầu hợp nhất có khai báo hợp lệ"),
    "HP003": ("tệp CODEOWNERS không khớp với người quản lý tệp (owners) trong mailboxes/", "",
              "chạy lệnh make codeowners và đưa tệp CODEOWNERS vào cùng yêu cầu hợp nhất"),
    # Who may change which file
    "HP010": ("{author} không có quyền sửa {path}: chỉ người quản lý tệp (owners: {owners}) "
              "hoặc " + REVIEWER + " được sửa tệp này", cite("6.1", "10.1"),
              "bỏ phần sửa tệp này khỏi yêu cầu hợp nhất; cơ quan đó tự tạo yêu cầu hợp nhất, "
              "hoặc gửi văn bản đề nghị để {operator} thực hiện"),
    "HP011": ("{action} tệp cơ quan {path}: chỉ " + REVIEWER + " được thêm hoặc xóa tệp "
              "cơ quan", cite("6.2.a", "6.2.c", "6.2.d", "10.1"),
              "Thủ trưởng cơ quan, đơn vị gửi văn bản đề nghị cấp mới, đổi tên hoặc thu hồi hộp "
              "thư điện tử công vụ của cơ quan (kèm quyết định của cấp có thẩm quyền) tới "
              "{operator}; {operator} thực hiện thay đổi này"),
    "HP012": ("xóa {address} khỏi {path} (cơ quan khác) nhưng yêu cầu hợp nhất không thêm "
              "{address} vào tệp cơ quan của {author}: {own}",
              f"{cite('6.2.b')}: cơ quan tiếp nhận đề nghị",
              "thuyên chuyển công tác trong tỉnh: thêm người này, giữ đúng địa chỉ {address}, vào "
              "tệp cơ quan mình kèm văn bản tiếp nhận, trong cùng yêu cầu hợp nhất; nghỉ việc, "
              "nghỉ hưu, chuyển công tác ra ngoài tỉnh: cơ quan cũ ghi status: revoked (thu hồi)"),
    "HP013": ("{address} bị xóa khỏi khai báo; địa chỉ đã cấp không được bỏ đi để cấp lại",
              cite("5.3", "6.2.c"), "giữ mục này và ghi status: revoked (thu hồi) kèm văn bản "
              "đề nghị thu hồi; đổi tên hộp thư thì ghi địa chỉ cũ vào previous_addresses; chỉ "
              "{operator} được xóa hẳn"),
    "HP014": ("{address}: thuyên chuyển công tác từ {source} kèm {what}; người thuyên chuyển "
              "giữ nguyên địa chỉ, mật khẩu, trạng thái và thư của mình", cite("6.2.b", "9.3"),
              "chỉ chuyển người này sang tệp cơ quan mình, giữ nguyên địa chỉ, không ghi status "
              "khác và không ghi password_reset; cấp lại mật khẩu, thu hồi, đổi tên hộp thư thì "
              "gửi văn bản đề nghị tới {operator} sau khi đã chuyển"),
    "HP015": ("{address} là người được ủy quyền trong {path}; bỏ ủy quyền khi thuyên chuyển "
              "công tác cần phê duyệt của người quản lý tệp đó (owners: {owners}) hoặc của người "
              "duyệt của {operator}: {reviewers}", cite("6.2.b", "9.1"),
              "nhờ một người quản lý tệp {path} hoặc một người duyệt của {operator}, không phải "
              "người tạo và không đẩy bản sửa vào nhánh, " + APPROVE + ", rồi " + RERUN),
    "HP016": ("{address}: địa chỉ cũ {old} trong previous_addresses {where}; chỉ được ghi địa "
              "chỉ mà chính {path} đã khai báo", cite("5.3", "6.2.d"),
              "bỏ {old} khỏi previous_addresses; muốn tiếp nhận hộp thư, thư cũ của cơ quan khác "
              "hoặc của hộp thư không còn khai báo thì gửi văn bản đề nghị tới {operator}"),
    "HP017": ("{address}: cấp lại mật khẩu (password_reset) chỉ do {operator} thực hiện; "
              "{author} không phải " + REVIEWER + " và chưa có người duyệt nào phê duyệt "
              "yêu cầu hợp nhất", cite("9.2", "12.1"),
              "người dùng quên mật khẩu báo cho {operator}; bỏ password_reset khỏi yêu cầu hợp "
              "nhất, hoặc nhờ người duyệt của {operator} " + APPROVE + " rồi " + RERUN),
    "HP018": ("{address}: {what} chỉ do {operator} quyết định (máy chủ dùng chung cho mọi cơ "
              "quan); {author} không phải " + REVIEWER + " và chưa có người duyệt nào phê "
              "duyệt yêu cầu hợp nhất", cite("10.1", "10.2"),
              "bỏ quota khỏi yêu cầu hợp nhất để hộp thư dùng dung lượng chung; cần dung lượng "
              "lớn hơn thì gửi văn bản đề nghị tới {operator}, hoặc nhờ người duyệt của "
              "{operator} " + APPROVE + " rồi " + RERUN),
    # Request letters and locks
    "HP020": ("{address}: {what} nhưng vẫn ghi văn bản đề nghị cũ {letter}", cite("6.1"),
              "ghi request là số và ngày của văn bản đề nghị cho chính thay đổi này"),
    "HP021": ("{address}: {what} chỉ do {operator} thực hiện; {author} không phải "
              + REVIEWER + " và chưa có người duyệt nào phê duyệt yêu cầu hợp nhất",
              cite("7", "10.1"),
              "tạm khóa là biện pháp của {operator}; Thủ trưởng cơ quan, đơn vị gửi văn bản đề "
              f"nghị khôi phục ({cite('7.2')}) hoặc báo sự cố ({cite('12.4')}) tới {{operator}}; "
              "{operator} thực hiện thay đổi này, hoặc người duyệt của {operator} " + APPROVE
              + " rồi " + RERUN),
    "HP022": ("{address}: cấp lại hộp thư đã thu hồi chỉ do {operator} thực hiện; {author} "
              "không phải " + REVIEWER + " và chưa có người duyệt nào phê duyệt yêu cầu hợp "
              "nhất", cite("6.1", "7.2", "10.1"),
              "Thủ trưởng cơ quan, đơn vị gửi văn bản đề nghị cấp lại tới {operator}; {operator} "
              "thực hiện thay đổi này, hoặc người duyệt của {operator} " + APPROVE + " rồi "
              + RERUN),
    # The destroy guard and its optional record
    "HP030": ("yêu cầu hợp nhất thu hồi, đổi tên hoặc xóa {count} hộp thư, vượt ngưỡng: {why}; "
              "cần người duyệt của {operator} phê duyệt", cite("10.1"),
              "nhờ một " + REVIEWER + ", không phải người tạo và không đẩy bản sửa vào nhánh, "
              + APPROVE + ", rồi " + RERUN + "; nếu có biên bản phê duyệt (tệp approvals/<tên>"
              ".yml, không bắt buộc) thì ghi max_destructive: {count} trở lên; xem "
              "approvals/README.md"),
    "HP031": ("biên bản phê duyệt không hợp lệ, {detail}", "",
              "{fix}; một biên bản ghi đủ các mục approved_by, reason, max_destructive "
              "(xem approvals/README.md)"),
    "HP032": ("approved_by '{detail}' không phải người duyệt của {operator}; người duyệt: "
              "{reviewers}", cite("10.1"),
              "ghi tên GitLab của một người quản lý tệp mailboxes/sotttt.yml (owners); người đó "
              "phải phê duyệt yêu cầu hợp nhất này"),
    "HP033": ("approved_by '{detail}' chính là người tạo yêu cầu hợp nhất; không được tự phê "
              "duyệt", cite("10.1"), "nhờ một người duyệt khác của {operator} ({reviewers}) phê "
              "duyệt và ghi tên người đó"),
    "HP034": ("biên bản phê duyệt cho phép tối đa {allowed} hộp thư, nhưng yêu cầu hợp nhất này "
              "thu hồi, đổi tên hoặc xóa {count} hộp thư", "",
              "tách thành nhiều yêu cầu hợp nhất, hoặc xin phê duyệt với max_destructive: {count}"),
    "HP035": ("biên bản phê duyệt đã có bị {action}; biên bản phê duyệt chỉ được thêm mới", "",
              "trả tệp về như cũ; phê duyệt mới thì thêm một tệp mới"),
    "HP036": ("approved_by '{detail}' chưa phê duyệt yêu cầu hợp nhất này trên GitLab sau lần "
              "đẩy bản sửa cuối cùng; những người đã phê duyệt hợp lệ: {approvers}", cite("10.1"),
              "người có tên trong approved_by, nếu không đẩy bản sửa nào vào nhánh, " + APPROVE
              + " rồi " + RERUN + ", hoặc bỏ tệp biên bản này"),
    # Who pushed, and onto what
    "HP037": ("ngoài người tạo {author}, còn {others} đẩy bản sửa (commit) vào nhánh của yêu "
              "cầu hợp nhất; chính sách chỉ xét quyền của người tạo", "",
              "mỗi người tạo yêu cầu hợp nhất riêng từ nhánh của mình; chỉ " + REVIEWER
              + " được đẩy thêm bản sửa vào nhánh của người khác"),
    "HP038": ("nhánh của yêu cầu hợp nhất không chứa bản sửa (commit) mới nhất của nhánh đích; "
              "chính sách chỉ xét thay đổi so với nhánh đích hiện tại", "",
              "cập nhật nhánh (nút Rebase trên GitLab, hoặc lệnh git rebase lên nhánh đích) rồi "
              "đẩy lại"),
    # What the merge request may touch, and how much it may create
    "HP040": ("yêu cầu hợp nhất sửa tệp không phải khai báo hộp thư: {paths}; chỉ {operator} "
              "được sửa mã nguồn, mẫu, lược đồ, cấu hình", cite("10.1"),
              "chỉ sửa mailboxes/<cơ quan>.yml, approvals/<tên>.yml (tệp thường, không thực "
              "thi, không xóa) và CODEOWNERS do lệnh make codeowners tạo; phần còn lại gửi "
              "{operator} thành yêu cầu hợp nhất riêng"),
    "HP041": ("yêu cầu hợp nhất cấp mới {count} hộp thư, quá {limit} hộp thư trong một yêu cầu "
              "hợp nhất; cần một người duyệt của {operator}, không phải người tạo, phê duyệt",
              cite("6.2.a", "10.1"),
              "tách thành nhiều yêu cầu hợp nhất, mỗi yêu cầu hợp nhất cấp mới không quá {limit} "
              "hộp thư, hoặc nhờ " + REVIEWER + " " + APPROVE + " rồi " + RERUN),
    "HP042": ("{address}: địa chỉ mới gần giống {target} ({what}), chỉ khác một ký tự; dễ bị "
              "nhầm hoặc bị giả mạo", cite("5"),
              "chọn địa chỉ khác (ghi address kèm address_reason); nếu đúng là cần địa chỉ này, "
              "nhờ người duyệt của {operator} " + APPROVE + " rồi " + RERUN),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what is refused (article). Cách sửa: how to proceed.
    ``operator`` is the operator's short name; without it, the regulation's generic name."""
    fields.setdefault("operator", GENERIC_OPERATOR)
    return render_message(code, CATALOG, None, **fields)
