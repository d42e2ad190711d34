"""Messages of the password page and the mail clients' set-up (HYM, from 40 to 59).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article>). Cách sửa: <how to fix>``. Officials read them on ``/doimatkhau``, in the JSON of
``POST /api/password`` (Roundcube shows ``message``) and in the refusals of autoconfig and
autodiscover. No message holds a password. The password rules themselves (Điều 8) and the
change are the helper's (``password/messages.py``): their code and text are
passed through as the helper gives them.

``RULES`` lists Điều 8's rules as the form shows them; ``PAGE`` holds the form's other words.
"""

from __future__ import annotations

from ..common.glossary import cite
from ..common.messages import Catalog
from ..common.messages import render as render_message

# Using the page is operations, which no article governs: those messages cite nothing.
OPERATION = ""
PASSWORDS = cite("8")

# code: (what went wrong, the article or "", how to fix it)
CATALOG: Catalog = {
    "HYM040": ("yêu cầu đổi mật khẩu thiếu hoặc sai trường {field}", OPERATION,
               "điền đủ địa chỉ thư, mật khẩu hiện tại và mật khẩu mới rồi gửi lại"),
    "HYM041": ("hai lần nhập mật khẩu mới không giống nhau", PASSWORDS,
               "nhập lại mật khẩu mới hai lần, giống hệt nhau"),
    "HYM042": ("trang đổi mật khẩu đã cũ hoặc không được gửi từ trang của hệ thống; mật khẩu "
               "chưa được đổi", OPERATION,
               "mở lại trang đổi mật khẩu (cho phép trình duyệt lưu cookie của trang) rồi nhập "
               "lại"),
    "HYM043": ("địa chỉ thư hoặc mật khẩu hiện tại không đúng; mật khẩu chưa được đổi",
               OPERATION,
               "kiểm tra lại địa chỉ thư và mật khẩu hiện tại (lần đầu: mật khẩu trong thông "
               "báo gửi cơ quan); quên mật khẩu thì đề nghị cấp lại mật khẩu qua văn thư của "
               "cơ quan"),
    "HYM044": ("nhập sai quá nhiều lần nên việc đổi mật khẩu tạm dừng {minutes} phút",
               OPERATION,
               "chờ {minutes} phút rồi thử lại; quên mật khẩu thì đề nghị cấp lại mật khẩu qua "
               "văn thư của cơ quan"),
    "HYM045": ("dịch vụ đổi mật khẩu đang bận hoặc chưa chạy; mật khẩu chưa được đổi",
               OPERATION,
               "thử lại sau một phút; nếu vẫn không được, báo đơn vị quản lý hệ thống thư "
               "điện tử công vụ"),
    "HYM046": ("địa chỉ {address} không thuộc miền {domain}", OPERATION,
               "dùng địa chỉ thư điện tử công vụ của mình, có dạng ten@{domain}"),
    "HYM047": ("yêu cầu không đọc được ({detail})", OPERATION,
               "gửi biểu mẫu từ trang đổi mật khẩu, hoặc gửi JSON có các trường address, "
               "current, new"),
    "HYM048": ("yêu cầu tự cấu hình của Outlook không đọc được ({detail})", OPERATION,
               "cấu hình Outlook thủ công: tên máy chủ, cổng và mã hóa theo hướng dẫn cài "
               "đặt Outlook của đơn vị quản lý"),
    "HYM049": ("phương thức {method} không dùng được cho {path}", OPERATION,
               "mở trang bằng trình duyệt, hoặc gửi đúng phương thức mà trang nhận"),
    "HYM050": ("không có trang {path}", OPERATION,
               "kiểm tra lại đường dẫn; trang đổi mật khẩu là /doimatkhau"),
    "HYM051": ("dịch vụ đổi mật khẩu gặp lỗi bên trong; mật khẩu có thể chưa được đổi",
               OPERATION,
               "thử đăng nhập bằng mật khẩu mới; nếu không được, thử lại sau một phút và báo "
               "đơn vị quản lý hệ thống thư điện tử công vụ giờ xảy ra lỗi"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, 80, **fields)


# Điều 8's rules as the form lists them (the helper checks them and names each refusal).
RULES = (
    "dài ít nhất {min_length} ký tự",
    "có chữ hoa, chữ thường và chữ số",
    "có ít nhất một ký tự đặc biệt, ví dụ ! @ # $ % * ? (mọi ký tự in được không phải chữ, "
    "không phải số)",
    "khác mật khẩu hiện tại và các mật khẩu đã dùng gần đây",
    "không chứa địa chỉ thư hay họ tên của mình (kể cả viết không dấu)",
    "không nằm trong danh sách mật khẩu phổ biến",
)

PAGE = {
    "title": "Đổi mật khẩu hộp thư điện tử công vụ",
    "intro": "Mật khẩu ban đầu và mật khẩu được cấp lại phải đổi ngay khi sử dụng lần đầu "
             f"({cite('12.1')}); trước khi đổi, không đăng nhập được để đọc hay gửi thư, nhưng "
             "thư gửi đến vẫn được nhận. Mỗi người tự bảo vệ mật khẩu của mình "
             f"({cite('9.3')}).",
    "rules": f"Theo {PASSWORDS}, mật khẩu mới phải:",
    "address": "Địa chỉ thư",
    "current": "Mật khẩu hiện tại",
    "new": "Mật khẩu mới",
    "confirm": "Nhập lại mật khẩu mới",
    "submit": "Đổi mật khẩu",
    "done": "Đã đổi mật khẩu",
    "refused": "Chưa đổi được mật khẩu",
    "problems": "Mật khẩu mới chưa đạt các yêu cầu sau:",
    "done_next": "Từ bây giờ, đăng nhập bằng mật khẩu mới; mật khẩu cũ không dùng được nữa.",
    "back": "Quay lại trang đổi mật khẩu",
    "error": "Không thực hiện được yêu cầu",
    "mail_client": "Hộp thư điện tử công vụ",
    "mail_client_change": "Đổi mật khẩu ban đầu ở trang này trước khi dùng hộp thư.",
}
