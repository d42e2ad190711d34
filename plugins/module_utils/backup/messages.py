"""Messages of backups, restores and purges (HYB).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. ``BackupError`` renders them; the HYB020–
HYB022 warnings of a backup or restore that went ahead are rendered with ``render``.
"""

from __future__ import annotations

from ..common.messages import Catalog
from ..common.messages import render as render_message

BACKUP = "Điều 10.2.đ"
PURGE = "Điều 6.2.c"

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    "HYB001": ("một lần sao lưu, khôi phục hoặc xóa hộp thư khác đang chạy trên {backup_dir}",
               BACKUP, "chờ lần đó xong rồi chạy lại"),
    "HYB002": ("bản sao lưu vừa tạo không khớp MANIFEST ({summary}); để lại {work} để xem xét",
               BACKUP, "kiểm tra ổ đĩa của backup_dir rồi sao lưu lại"),
    "HYB003": ("chưa có bản sao lưu hoàn chỉnh nào trong {backup_dir}{detail}", BACKUP,
               "chạy make backup trước, hoặc ghi đúng backup_dir"),
    "HYB004": ("không có bản sao lưu {name} trong {backup_dir} (mới nhất: {latest})", BACKUP,
               "ghi đúng tên, hoặc bỏ -e backup để dùng bản mới nhất"),
    "HYB005": ("bản sao lưu không khớp MANIFEST, không dùng được: {detail}", BACKUP,
               "chọn bản khác (-e backup=<tên>) hoặc kiểm tra ổ đĩa của backup_dir; sao lưu "
               "lại (make backup) và giữ bản hỏng để điều tra"),
    "HYB006": ("{count} hộp thư đang có trên máy chủ nhưng không có trong bản {name}: "
               "{addresses}", BACKUP, "khôi phục từng hộp thư (-e address=...), hoặc "
               "-e force=true nếu chắc chắn muốn quay về bản sao lưu"),
    "HYB007": ("{address} không có trên máy chủ", BACKUP,
               "tạo lại hộp thư (make apply) hoặc khôi phục toàn bộ"),
    "HYB008": ("không bản sao lưu nào (đã kiểm tra) có thư của {address}", BACKUP,
               "kiểm tra tên (-e source=<tên cũ> nếu hộp thư đã đổi tên sau lần sao lưu)"),
    "HYB009": ("tham số không hợp lệ: {detail}", BACKUP,
               "action là backup, verify, restore hoặc purge; địa chỉ ghi -e address=<tên> "
               "thuộc miền của máy chủ"),
    "HYB010": ("{address} không có trên máy chủ", PURGE,
               "kiểm tra địa chỉ (make drift liệt kê các hộp thư trên máy chủ)"),
    "HYB011": ("{address} {state}, chưa bị thu hồi: chỉ xóa thư của hộp thư đã thu hồi", PURGE,
               "khai báo status: revoked kèm văn bản đề nghị và áp dụng trước"),
    "HYB012": ("{address} đang được tạm giữ khẩn cấp", "Điều 10.1.g",
               "hợp thức hóa việc thu hồi bằng văn bản trong kho (tạm giữ tự hết khi áp dụng) "
               "rồi mới xóa"),
    "HYB013": ("không bản sao lưu đã kiểm tra nào giữ đủ {count} thư của {address} (bản gần đủ "
               "nhất {name} thiếu {missing}, vd. {examples})", f"{PURGE}, {BACKUP}",
               "chạy make backup rồi xóa lại"),
    "HYB014": ("chính sách lưu giữ không hợp lệ (backup_keep={keep}, "
               "backup_keep_days={keep_days})", BACKUP,
               "backup_keep ≥ 1 (bản mới nhất luôn được giữ), backup_keep_days ≥ 0"),
    "HYB015": ("tên tệp {path} có ký tự xuống dòng, không ghi vào MANIFEST được", BACKUP,
               "đổi tên tệp đó rồi sao lưu lại"),
    "HYB016": ("backup_dir={backup_dir} nằm trong {tree}", BACKUP,
               "chọn thư mục khác, ví dụ <state_dir>/backups (mặc định) hoặc một ổ đĩa riêng"),
    "HYB017": ("đã có bản sao lưu mang tên {name}", BACKUP, "chờ vài giây rồi chạy lại"),
    "HYB018": ("{source} đổi nội dung trong lúc khôi phục{detail}", BACKUP,
               "kiểm tra backup_dir rồi chạy lại"),
    "HYB019": ("thư mục thư {home} không nằm trong {mail_dir}: không tự xóa", PURGE,
               "kiểm tra dòng của hộp thư trong users.passwd, xóa bằng tay sau khi sao lưu"),
    # Warnings: the backup or restore went ahead
    "HYB020": ("{count} hộp thư có thư mục thư ngoài {mail_dir}, không được sao lưu: "
               "{addresses}", BACKUP, "sao lưu các thư mục đó bằng tay"),
    "HYB021": ("lần áp dụng trước bị ngắt, còn việc chưa xong (nhật ký, thông báo): bản sao "
               "lưu không có các việc đó", BACKUP, "chạy make apply rồi sao lưu lại"),
    "HYB022": ("tạm giữ khẩn cấp mới hơn bản sao lưu, dữ liệu khôi phục chưa thể hiện: "
               "{addresses}", "Điều 10.1.g", "chạy lại make emergency cho các hộp thư đó"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)
