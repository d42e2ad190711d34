"""Messages of backups, restores and purges (HYB).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. ``BackupError`` renders them; the HYB020–
HYB022 warnings of a backup or restore that went ahead are rendered with ``render``.
"""

from __future__ import annotations

from ..common.glossary import cite, glossed, label
from ..common.messages import Catalog
from ..common.messages import render as render_message

BACKUP = cite("10.2.đ")
PURGE = cite("6.2.c")
EMERGENCY = cite("10.1.g")
# Running the backups themselves (a busy lock, a parameter, a file name): no article.
OPERATION = ""

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYB001": ("một lần sao lưu, khôi phục từ bản sao lưu hoặc xóa thư khác đang chạy trên "
               "{backup_dir}",
               OPERATION, "chờ lần đó xong rồi chạy lại"),
    "HYB002": ("bản sao lưu vừa tạo không khớp MANIFEST ({summary}); để lại {work} để xem xét",
               BACKUP, "kiểm tra ổ đĩa của thư mục sao lưu (backup_dir) rồi sao lưu lại"),
    "HYB003": ("chưa có bản sao lưu hoàn chỉnh nào trong {backup_dir}{detail}", BACKUP,
               "chạy make backup trước, hoặc ghi đúng thư mục sao lưu (backup_dir)"),
    "HYB004": ("không có bản sao lưu {name} trong {backup_dir} (mới nhất: {latest})", BACKUP,
               "ghi đúng tên, hoặc bỏ -e backup để dùng bản mới nhất"),
    "HYB005": ("bản sao lưu không khớp MANIFEST, không dùng được: {detail}", BACKUP,
               "chọn bản khác (-e backup=<tên>) hoặc kiểm tra ổ đĩa của thư mục sao lưu; "
               "sao lưu lại (make backup) và giữ bản hỏng để điều tra"),
    "HYB006": ("{count} hộp thư đang có trên máy chủ nhưng không có trong bản {name}: "
               "{addresses}", BACKUP,
               "khôi phục từ bản sao lưu từng hộp thư (-e address=...), hoặc ghi -e force=true "
               "nếu chắc chắn muốn quay về bản sao lưu"),
    "HYB007": ("hộp thư {address} không có trên máy chủ", BACKUP,
               "áp dụng lại khai báo (make apply) để hộp thư được cấp mới, hoặc khôi phục từ "
               "bản sao lưu toàn bộ dữ liệu"),
    "HYB008": ("không bản sao lưu nào (đã kiểm tra) có thư của {address}", BACKUP,
               "kiểm tra lại tên hộp thư; nếu hộp thư đã đổi tên sau lần sao lưu, ghi "
               "-e source=<tên cũ>"),
    "HYB009": ("tham số không hợp lệ: {detail}", OPERATION,
               "ghi action là backup (sao lưu), verify (kiểm tra), restore (khôi phục từ bản "
               "sao lưu) hoặc purge (xóa thư của hộp thư đã thu hồi); địa chỉ ghi "
               "-e address=<tên> thuộc miền của máy chủ"),
    "HYB010": ("hộp thư {address} không có trên máy chủ", PURGE,
               "kiểm tra lại địa chỉ (make drift liệt kê các hộp thư trên máy chủ)"),
    "HYB011": ("hộp thư {address} {state}, chưa bị thu hồi: chỉ xóa thư của hộp thư đã thu "
               "hồi", PURGE,
               "khai báo status: " + glossed("status", "revoked") + " kèm văn bản đề nghị "
               "và áp dụng trước"),
    "HYB012": ("hộp thư {address} đang chịu " + label("emergency"), EMERGENCY,
               "khai báo việc thu hồi kèm văn bản trong kho (biện pháp khẩn cấp tự hết hiệu "
               "lực khi áp dụng) rồi mới xóa thư"),
    "HYB013": ("không bản sao lưu đã kiểm tra nào giữ đủ {count} thư của {address}: bản gần đủ "
               "nhất {name} thiếu {missing} thư, ví dụ: {examples}", cite("6.2.c", "10.2.đ"),
               "chạy make backup rồi xóa lại"),
    "HYB014": ("chính sách lưu giữ không hợp lệ (backup_keep={keep}, "
               "backup_keep_days={keep_days})", OPERATION,
               "ghi backup_keep từ 1 trở lên (bản mới nhất luôn được giữ) và backup_keep_days "
               "từ 0 trở lên"),
    "HYB015": ("tên tệp {path} có ký tự xuống dòng, không ghi vào MANIFEST được", OPERATION,
               "đổi tên tệp đó rồi sao lưu lại"),
    "HYB016": ("thư mục sao lưu backup_dir={backup_dir} nằm trong {tree}", OPERATION,
               "chọn thư mục khác, ví dụ <state_dir>/backups (mặc định) hoặc một ổ đĩa riêng"),
    "HYB017": ("đã có bản sao lưu mang tên {name}", OPERATION, "chờ vài giây rồi chạy lại"),
    "HYB018": ("{source} đổi nội dung trong lúc khôi phục từ bản sao lưu{detail}", OPERATION,
               "kiểm tra thư mục sao lưu (backup_dir) rồi chạy lại"),
    "HYB019": ("thư mục thư {home} không nằm trong {mail_dir}: công cụ không tự xóa", PURGE,
               "kiểm tra dòng của hộp thư trong users.passwd, xóa " + label("manual")
               + " sau khi sao lưu"),
    # Warnings: the backup or restore went ahead
    "HYB020": ("{count} hộp thư có thư mục thư ngoài {mail_dir}, không được sao lưu: "
               "{addresses}", BACKUP, "sao lưu " + label("manual") + " các thư mục đó"),
    "HYB021": ("lần áp dụng trước bị ngắt, còn việc chưa xong (nhật ký, thông báo): bản sao "
               "lưu không có các việc đó", BACKUP, "chạy make apply rồi sao lưu lại"),
    "HYB022": (label("emergency") + " áp dụng sau bản sao lưu, dữ liệu vừa khôi phục từ "
               "bản sao lưu chưa thể hiện: {addresses}", EMERGENCY,
               "chạy lại make emergency cho các hộp thư đó"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
