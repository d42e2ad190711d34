"""Messages of the mail host's own checks (HYS): the TLS certificate the inventory names.

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. HYS001-HYS004 stop the apply before a
running server is touched; HYS005 and HYS006 are warnings; HYS007 and HYS008 stop ``make dns``.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

# Running the mail host: no article governs these rules, so the message cites nothing.
OPERATION = ""

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYS001": ("không có tệp chứng chỉ {path} (mailserver_ssl_cert) trên máy chủ thư", OPERATION,
               "đặt tệp chứng chỉ (kèm các chứng chỉ trung gian) vào đúng đường dẫn, hoặc sửa "
               "mailserver_ssl_cert trong inventory; máy chủ thư đang chạy chưa bị thay đổi"),
    "HYS002": ("không có tệp khóa riêng {path} (mailserver_ssl_key) trên máy chủ thư", OPERATION,
               "đặt tệp khóa riêng vào đúng đường dẫn, hoặc sửa mailserver_ssl_key trong "
               "inventory; máy chủ thư đang chạy chưa bị thay đổi"),
    "HYS003": ("không đọc được chứng chỉ {path}: {detail}", OPERATION,
               "kiểm tra tệp đúng là chứng chỉ dạng văn bản (như tệp fullchain.pem của "
               "certbot); máy chủ thư đang chạy chưa bị thay đổi"),
    "HYS004": ("khóa riêng {key} không khớp với chứng chỉ {path}", OPERATION,
               "dùng đúng cặp chứng chỉ và khóa riêng được cấp cùng nhau (với certbot: "
               "fullchain.pem và privkey.pem cùng một thư mục); máy chủ thư đang chạy chưa bị "
               "thay đổi"),
    "HYS005": ("chứng chỉ {path} không mang tên {hostname} (tên trong chứng chỉ: {names})",
               OPERATION, "cấp lại chứng chỉ có tên {hostname}, hoặc sửa mailserver_hostname "
               "cho đúng tên trong chứng chỉ"),
    "HYS006": ("chứng chỉ {path} hết hạn ngày {expires} (còn {days} ngày)", OPERATION,
               "gia hạn chứng chỉ (certbot renew), rồi nạp lại máy chủ thư"),
    # make dns (dns/zone.py): the DKIM record is built from the mail host's public key.
    "HYS007": ("không có khóa công khai DKIM {path} trên máy chủ thư", OPERATION,
               "chạy make mailserver để tạo khóa DKIM (selector {selector}), hoặc sửa "
               "mailserver_dkim_selector trong inventory cho đúng khóa DKIM đang dùng; chưa ghi "
               "tệp bản ghi DNS nào"),
    "HYS008": ("tệp {path} trên máy chủ thư không phải khóa công khai DKIM dạng văn bản",
               OPERATION, "tạo lại khóa DKIM bằng make mailserver (tệp .pub là khóa công khai "
               "dạng văn bản do openssl ghi); chưa ghi tệp bản ghi DNS nào"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
