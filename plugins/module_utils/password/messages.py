"""Messages of the password change (the first forty HYM codes): the Điều 8 rules a new
password must meet, and the answers of the change itself.

Same shape as every catalog (``common/messages.py``): ``CODE <what> (<article>). Cách sửa:
<how to fix>``. The web page and the API show them to the official; no message ever holds
a password, only the address and the numbers of the rules.
"""

from __future__ import annotations

from ..common.glossary import cite
from ..common.messages import Catalog
from ..common.messages import render as render_message

RULES = cite("8")
CHANGE = cite("8", "12.1")
RESPONSIBLE = cite("9.3")
# Running the service (a busy server, a malformed request): no article.
OPERATION = ""

# code: (what is wrong, the article or basis, how to fix it)
CATALOG: Catalog = {
    "HYM001": ("mật khẩu mới ngắn hơn {min_length} ký tự", RULES,
               "chọn mật khẩu dài ít nhất {min_length} ký tự"),
    "HYM002": ("mật khẩu mới không có chữ hoa (A-Z)", RULES,
               "thêm ít nhất một chữ hoa"),
    "HYM003": ("mật khẩu mới không có chữ thường (a-z)", RULES,
               "thêm ít nhất một chữ thường"),
    "HYM004": ("mật khẩu mới không có chữ số (0-9)", RULES,
               "thêm ít nhất một chữ số"),
    "HYM005": ("mật khẩu mới không có ký tự đặc biệt", RULES,
               "thêm ít nhất một ký tự không phải chữ cái hay chữ số, ví dụ ! # $ % & * @"),
    "HYM006": ("mật khẩu mới trùng mật khẩu hiện tại", RULES,
               "chọn một mật khẩu khác mật khẩu đang dùng"),
    "HYM007": ("mật khẩu mới trùng một trong {count} mật khẩu dùng gần đây nhất", RULES,
               "chọn một mật khẩu chưa dùng trước đây"),
    "HYM008": ("mật khẩu mới chứa tên hộp thư ({local_part})", RULES,
               "không đưa tên hộp thư vào mật khẩu"),
    "HYM009": ("mật khẩu mới chứa họ tên của người dùng (viết không dấu)", RULES,
               "không đưa họ, tên đệm hay tên của mình vào mật khẩu"),
    "HYM010": ("mật khẩu mới nằm trong danh sách mật khẩu phổ biến, dễ đoán", RULES,
               "chọn một mật khẩu không theo mẫu quen thuộc (một từ thông dụng thêm vài chữ số, "
               "ký tự đặc biệt)"),
    "HYM011": ("mật khẩu mới có ký tự ngoài bảng chữ ASCII in được (chữ có dấu, khoảng "
               "trắng đầu cuối hoặc ký tự điều khiển)", RULES,
               "chỉ dùng chữ không dấu, chữ số và ký tự đặc biệt trên bàn phím; nhiều phần mềm "
               "thư điện tử gửi chữ có dấu không giống nhau"),
    "HYM012": ("mật khẩu mới dài hơn {max_length} ký tự", RULES,
               "chọn mật khẩu ngắn hơn"),
    "HYM020": ("đã đổi mật khẩu của hộp thư {address}; mật khẩu cũ không còn dùng được",
               CHANGE, "đăng nhập bằng mật khẩu mới trên mọi thiết bị (điện thoại, máy tính, "
               "thư điện tử trên web); các phiên đang mở vẫn dùng được đến khi đăng xuất"),
    "HYM021": ("địa chỉ thư hoặc mật khẩu hiện tại không đúng; mật khẩu chưa được đổi",
               RESPONSIBLE, "kiểm tra lại địa chỉ thư và mật khẩu hiện tại; quên mật khẩu "
               "thì đề nghị văn thư cơ quan gửi văn bản cấp lại mật khẩu"),
    "HYM022": ("mật khẩu mới chưa đạt {count} điều kiện; mật khẩu chưa được đổi", RULES,
               "sửa mật khẩu mới theo từng điều kiện được nêu rồi gửi lại"),
    "HYM023": ("máy chủ đang áp dụng một thay đổi khác nên chưa đổi được mật khẩu; chưa có "
               "gì thay đổi", OPERATION, "thử lại sau một phút"),
    "HYM024": ("dịch vụ đổi mật khẩu tạm thời không hoạt động; chưa có gì thay đổi",
               OPERATION, "thử lại sau một phút; nếu vẫn không được, báo Sở Thông tin và "
               "Truyền thông"),
    "HYM025": ("yêu cầu đổi mật khẩu không hợp lệ: {detail}", OPERATION,
               "gửi đủ địa chỉ thư, mật khẩu hiện tại và mật khẩu mới"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``, its fields filled in."""
    return render_message(code, CATALOG, 200, **fields)
