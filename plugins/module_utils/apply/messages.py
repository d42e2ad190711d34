"""Messages of applying: emergency holds (HYH) and drift (HYD).

Same shape as every catalog (``common/messages.py``): ``CODE <what went wrong>
(<article or basis>). Cách sửa: <how to fix>``. The reconcile's own codes (HYR) are raised
by the stages below too, so they live in ``common/operation_messages.py``. The drift
findings HYD001–HYD005 are headings of the drift report (``heading``), not failures; HYD010
and HYD011 are failures of the records of the configuration files (``managed_files.py``).
"""

from __future__ import annotations

from ..common.glossary import GENERIC_OPERATOR, capitalised, cite, label
from ..common.messages import Catalog
from ..common.messages import render as render_message

EMERGENCY = cite("10.1.g")
# Operating the mail server's configuration: no article governs it, so nothing is cited.
SERVER = ""
DIRECTORY = cite("10.1.đ", "10.2.c")
# The operator as a static catalog names it (the inventory's name is not known here).
OPERATOR = GENERIC_OPERATOR

# code: (what went wrong, the article or operational basis, how to fix it)
CATALOG: Catalog = {
    # Emergency measures (playbooks/emergency.yml): tạm khóa khẩn cấp, thu hồi khẩn cấp
    "HYH001": ("thao tác '{action}' (action) không dùng được cho " + label("emergency"),
               EMERGENCY, "ghi -e action= với một trong các giá trị: {actions}"),
    "HYH002": ("chưa ghi lý do áp dụng " + label("emergency") + " (reason)", EMERGENCY,
               "ghi -e reason='...' nêu rõ nguy cơ mất an toàn thông tin"),
    "HYH003": ("hộp thư {address} ở trạng thái " + label("revoked") + ", không "
               + label("emergency_lock") + " được", EMERGENCY,
               "không cần áp dụng " + label("emergency")),
    "HYH004": ("hộp thư {address} không có trên máy chủ", EMERGENCY,
               "kiểm tra lại địa chỉ (make drift liệt kê các hộp thư trên máy chủ)"),
    "HYH005": ("hộp thư {address} không đang chịu " + label("emergency")
               + " nào, không có gì để gỡ bỏ", EMERGENCY,
               "không cần làm gì; make drift liệt kê các " + label("emergency")
               + " đang có hiệu lực"),
    "HYH006": ("'{address}' không phải địa chỉ @{domain}", EMERGENCY,
               "ghi -e address=<tên>@{domain}"),
    "HYH011": ("kho đã khai báo hộp thư {address} với trạng thái {status}, nhưng "
               + label("emergency") + " vẫn giữ nguyên: người lập " + label("merge_request")
               + " là {author}, người phê duyệt là {approvers}; không ai trong số đó là người "
               "duyệt của " + OPERATOR + ", gồm: {reviewers}", EMERGENCY,
               "chỉ " + OPERATOR + " gỡ bỏ " + label("emergency") + ": một người duyệt của "
               "đơn vị (owners của mailboxes/sotttt.yml) phê duyệt yêu cầu hợp nhất, hoặc "
               "đơn vị chạy make emergency action=release"),
    "HYH012": ("kho đã khai báo hộp thư {address} với trạng thái {status}, nhưng "
               + label("emergency") + " vẫn giữ nguyên: lần áp dụng này không nêu người lập "
               + label("merge_request") + " (change_author)", EMERGENCY,
               OPERATOR + " gỡ bỏ " + label("emergency") + " bằng make emergency "
               "action=release, hoặc áp dụng yêu cầu hợp nhất với -e change_author=... "
               "-e change_approvers=... khi người lập hoặc người phê duyệt là người duyệt "
               "của đơn vị"),
    "HYH010": ("không đọc được tệp {path} ({error})", EMERGENCY,
               "lấy lại tệp từ bản sao lưu; không xóa tệp (sẽ mất các "
               + label("emergency") + " đang có hiệu lực)"),
    # Drift (playbooks/drift.yml): the run, then one heading per kind of finding
    "HYD000": ("máy chủ khác với kho: {summary}", DIRECTORY,
               "đọc báo cáo sai lệch (tệp .md được chỉ ra) và xử lý từng mục theo mã của nó"),
    "HYD001": ("Hộp thư " + label("drift"), DIRECTORY,
               "khai báo hộp thư trong mailboxes/ kèm văn bản đề nghị, hoặc gỡ tài khoản đó "
               "khỏi máy chủ theo cách " + label("manual") + "; công cụ không tự động thay "
               "đổi hộp thư chưa khai báo"),
    "HYD002": (capitalised(label("emergency")) + " đang có hiệu lực", EMERGENCY,
               "khai báo trạng thái tương ứng trong kho kèm văn bản (biện pháp tự hết hiệu "
               "lực khi áp dụng) hoặc gỡ bỏ biện pháp (make emergency action=release)"),
    "HYD003": ("Tệp dữ liệu bị sửa " + label("manual") + " (mã băm SHA-256 khác với lần "
               "công cụ ghi cuối)", DIRECTORY,
               "đưa thay đổi vào kho qua yêu cầu hợp nhất; lần áp dụng sau ghi lại tệp"),
    "HYD004": ("Thay đổi đã khai báo nhưng chưa áp dụng", DIRECTORY,
               "chạy make apply (hoặc để pipeline áp dụng) sau khi yêu cầu hợp nhất được "
               "phê duyệt"),
    "HYD005": ("Tệp cấu hình do công cụ ghi bị sửa " + label("manual") + " hoặc bị xóa (mã băm "
               "SHA-256 khác với lần áp dụng cuối)", SERVER,
               "chạy lại make apply: lần áp dụng sau ghi lại tệp như kho khai báo và chỉ nạp "
               "lại dịch vụ đọc tệp đó; muốn giữ thay đổi thì đưa nó vào kho qua "
               + label("merge_request")),
    # The records of the configuration files the roles write (managed_files.py)
    "HYD010": ("không đọc được danh sách tệp cấu hình {manifest} ({failure})", SERVER,
               "chạy lại make apply (lần áp dụng ghi lại danh sách này); không sửa tệp này "
               "theo cách " + label("manual")),
    "HYD011": ("danh sách tệp cấu hình của vai trò {role} không dùng được: {problem}", SERVER,
               "sửa danh sách tệp của vai trò (mỗi tệp một đường dẫn tuyệt đối path và một "
               "dịch vụ đọc reader, là một trong: {readers}) rồi chạy lại make apply"),
    # The role's own check at its start (managed_files.current): nothing to do, or why not
    "HYD012": ("vai trò {role} không chạy lại: mã nguồn và biến của vai trò như lần chạy trước, "
               "{count} tệp cấu hình đúng như lần đó ghi", SERVER,
               "muốn chạy lại toàn bộ vai trò thì thêm -e {role}_force=true"),
    "HYD013": ("vai trò {role} chạy lại toàn bộ: {reasons}", SERVER,
               "không cần làm gì; lần chạy sau không đổi gì sẽ bỏ qua vai trò này"),
}


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what went wrong (basis). Cách sửa: how to fix."""
    return render_message(code, CATALOG, None, **fields)


def heading(code: str) -> str:
    """A drift report's heading for the findings of ``code``: what they are — basis (a
    dash, since the label may end in parentheses of its own)."""
    what, basis, _fix = CATALOG[code]
    return f"{what} — {basis}" if basis else what
