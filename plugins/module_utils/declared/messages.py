"""Validation messages for clerks and reviewers: stable code → Vietnamese text, article, fix.

A message is ``CODE <what is wrong> (<article>). Cách sửa: <how to fix>``; the code never
changes meaning, so it can be searched in the README and tested.
"""

from __future__ import annotations

from ..common.messages import render as render_message
from ..common.messages import shown

__all__ = ["CATALOG", "MAX_FIELD", "render", "shown"]

# code: (what is wrong, the article it breaks, how to fix it)
CATALOG: dict[str, tuple[str, str, str]] = {
    # Reading the file
    "HY001": ("tệp YAML sai cú pháp: {detail}", "định dạng tệp khai báo",
              "sửa dòng được chỉ ra: thụt lề bằng dấu cách, có ': ' sau mỗi khóa, "
              "đặt chuỗi có ký tự đặc biệt trong dấu ngoặc kép"),
    "HY002": ("khóa '{detail}' bị khai báo hai lần (lần đầu ở dòng {first})",
              "định dạng tệp khai báo", "giữ một khóa, xóa khóa còn lại"),
    "HY003": ("tệp dùng neo/tham chiếu YAML (&, *), không được phép",
              "định dạng tệp khai báo", "viết đầy đủ giá trị thay cho &neo và *tham_chiếu"),
    "HY004": ("tệp quá lớn hoặc lồng quá sâu ({detail})", "định dạng tệp khai báo",
              "tách cơ quan thành tệp riêng; mỗi tệp chỉ khai báo một cơ quan"),
    "HY005": ("có ký tự ẩn hoặc ký tự điều khiển {detail}", "Điều 5 (tên viết liền, rõ ràng)",
              "gõ lại dòng này bằng bàn phím, không dán từ văn bản khác"),
    "HY006": ("có chữ cái không phải chữ Latin/tiếng Việt: {detail}", "Điều 5",
              "gõ lại bằng bộ gõ tiếng Việt (Unicode dựng sẵn), không dùng chữ Kirin/Hy Lạp"),
    "HY007": ("tệp không phải mã UTF-8 ({detail})", "định dạng tệp khai báo",
              "lưu tệp với bảng mã UTF-8"),
    "HY008": ("dòng đầu phải là '{detail}'", "định dạng tệp khai báo",
              "thêm đúng dòng này lên đầu tệp để trình soạn thảo kiểm tra khi gõ"),
    "HY009": ("tệp '{detail}' không có đuôi .yml", "định dạng tệp khai báo",
              "đổi tên tệp thành <địa chỉ cơ quan>.yml"),
    "HY038": ("'{detail}' không dùng được làm tệp khai báo: {why}", "định dạng tệp khai báo",
              "mỗi cơ quan là một tệp thường mailboxes/<địa chỉ cơ quan>.yml, tên chỉ gồm chữ "
              "a–z, chữ số và dấu chấm; không dùng liên kết (symlink) hay thư mục"),
    "HY039": ("giá trị bị xuống dòng hoặc có dấu tab ({detail})", "định dạng tệp khai báo",
              "viết giá trị trên một dòng, không dùng '|' hay '>', không dùng \\n hoặc \\t "
              "trong dấu ngoặc kép; tách các từ bằng dấu cách"),
    "HY040": ("{field} '{detail}' có ký tự {chars} không được dùng", "Điều 5, 11.3",
              "tên và chức vụ chỉ gồm chữ tiếng Việt, chữ số, dấu cách và các dấu - , . ' ( ) / &"),
    "HY041": ("tệp có hơn {detail} lỗi; chỉ {detail} lỗi đầu được liệt kê",
              "định dạng tệp khai báo",
              "sửa các lỗi đã liệt kê rồi kiểm tra lại; thường là cả tệp sai cấu trúc"),
    # The schema
    "HY010": ("{detail}", "lược đồ schemas/agency.schema.json",
              "xem mô tả các khóa trong lược đồ và ví dụ trong README"),
    # Addresses (Điều 5)
    "HY020": ("tên tệp '{detail}' khác địa chỉ của cơ quan '{expected}'", "Điều 5.1",
              "đổi tên tệp thành {expected}.yml"),
    "HY021": ("địa chỉ '{detail}' không hợp lệ: {why}", "Điều 5",
              "chỉ dùng chữ thường a–z không dấu, chữ số và dấu chấm đơn, tối đa 64 ký tự"),
    "HY022": ("địa chỉ '{detail}' mang từ dành riêng '{word}' (của hệ thống hoặc một chức "
              "năng như quản trị, hỗ trợ, văn thư), không cấp", "Điều 3, 5",
              "chọn địa chỉ khác có tên người hoặc cơ quan; '{word}.<địa chỉ cơ quan>' chỉ "
              "được khai báo trong tệp của chính cơ quan đó"),
    "HY023": ("địa chỉ '{detail}' đã dùng ở {other}", "Điều 5.3",
              "mỗi địa chỉ chỉ cấp một lần trong toàn tỉnh; chuyển công tác thì xóa ở cơ quan cũ "
              "trong cùng thay đổi, nếu không thì chọn địa chỉ khác kèm address_reason"),
    "HY024": ("địa chỉ suy ra '{detail}' trùng với {other}", "Điều 5.3",
              "người/cơ quan đã được cấp trước giữ địa chỉ; khai báo cho bên mới "
              "address khác và address_reason, gợi ý: {suggestions}"),
    "HY025": ("address '{detail}' khác địa chỉ suy ra '{expected}' nhưng thiếu address_reason",
              "Điều 5.3", "ghi address_reason (ví dụ: trùng với hộp thư đã cấp, đã thống nhất "
              "với Sở TTTT) hoặc xóa address để dùng địa chỉ suy ra"),
    "HY026": ("address '{detail}' không chứa tên '{expected}'", "Điều 5.3",
              "địa chỉ thay thế phải ngắn gọn và vẫn chứa tên; gợi ý: {suggestions}"),
    "HY027": ("không suy ra được địa chỉ từ tên '{detail}'", "Điều 5",
              "ghi họ tên hoặc tên cơ quan bằng chữ tiếng Việt"),
    "HY028": ("cơ quan loại {detail} phải khai báo address (tên viết tắt)", "Điều 5.1.a",
              "thêm 'address: {expected}' (tên viết tắt gợi ý) hoặc tên viết tắt đã thống nhất"),
    "HY042": ("address '{detail}' của cá nhân có dấu chấm", "Điều 5.2, 5.3",
              "địa chỉ cá nhân viết liền, không có dấu chấm (dạng <viết tắt>.<cơ quan> là của "
              "phòng, ban); gợi ý: {suggestions}"),
    "HY043": ("địa chỉ '{detail}' kết thúc bằng '.{owner}', địa chỉ của cơ quan khác "
              "(mailboxes/{owner}.yml)", "Điều 5.1.d",
              "chỉ tệp mailboxes/{owner}.yml được khai báo địa chỉ <…>.{owner}; chọn địa chỉ "
              "khác, hoặc đề nghị cơ quan đó khai báo"),
    "HY029": ("{field} '{detail}' không phải là tên: phần làm nên địa chỉ '{part}' chỉ có "
              "chữ số", "Điều 5",
              "địa chỉ được tạo từ tên nên phải có chữ cái: ghi họ tên, địa danh hoặc tên "
              "viết tắt bằng chữ như trên văn bản; chữ số chỉ đi kèm chữ (ví dụ 'Phòng "
              "Nghiệp vụ 1', địa chỉ 'nhphuc1')"),
    # The agency tree
    "HY035": ("cơ quan cấp trên '{detail}' không hợp lệ: {why}", "Điều 5.1.c",
              "UBND xã ghi parent là địa chỉ của huyện (tệp mailboxes/<huyện>.yml)"),
    "HY036": ("phòng, ban '{detail}' không có trong divisions của tệp này", "Điều 11.3",
              "ghi division là tên viết tắt của một phòng trong divisions, hoặc bỏ trống"),
    # Lifecycle (Điều 6, 7, 9)
    "HY030": ("hộp thư bị tạm khóa nhưng thiếu lock_reason", "Điều 7.1",
              "ghi lock_reason: violation (vi phạm Điều 4), compromised (bị chiếm dụng) "
              "hoặc spam_malware (phát tán thư rác, mã độc)"),
    "HY031": ("có lock_reason nhưng status là '{detail}'", "Điều 7.1",
              "xóa lock_reason khi khôi phục, hoặc đặt status: locked"),
    "HY032": ("người được giao '{detail}' không phải cán bộ đang hoạt động của cơ quan này",
              "Điều 9.1", "chỉ giao cho địa chỉ cá nhân có status active trong people của tệp"),
    "HY033": ("thiếu văn bản đề nghị (request: number, date)", "Điều 6.1",
              "ghi số và ngày văn bản đề nghị gửi Sở TTTT"),
    "HY044": ("số văn bản '{detail}' không đúng cách ghi số văn bản: {why}", "Điều 6.1",
              "ghi số, ký hiệu như trên văn bản, ví dụ '15/UBND-VP' hoặc 'số 3/QĐ-UBND': chữ "
              "tiếng Việt, chữ số, dấu cách và các dấu / . _ -, bắt đầu bằng chữ hoặc số, tối "
              "đa 60 ký tự, gõ bằng Unicode dựng sẵn"),
    "HY034": ("ngày '{detail}' không phải ngày có thật", "Điều 6.1",
              "ghi ngày văn bản theo dạng YYYY-MM-DD, ví dụ 2024-05-02"),
    "HY037": ("địa chỉ cũ '{detail}' chính là địa chỉ hiện tại", "Điều 6.2.d",
              "previous_addresses chỉ ghi các địa chỉ trước khi đổi tên"),
    # Names (C2): legacy encodings, capitals, a basis instead of a request letter.
    "HY050": ("{field} '{detail}' được gõ bằng bảng mã cũ {encoding}, không phải chữ tiếng "
              "Việt Unicode (có {chars}); địa chỉ không được suy ra từ tên này", "",
              "chuyển mã bằng Unikey ({encoding} → Unicode) hoặc gõ lại bằng Unicode dựng sẵn"),
    "HY051": ("họ tên '{detail}' viết toàn chữ {case}", "",
              "viết hoa chữ cái đầu của mỗi tiếng: '{expected}'"),
    "HY052": ("ghi cả văn bản đề nghị (mục request) và căn cứ (mục basis)", "",
              "chỉ giữ một trong hai: request cho văn bản đề nghị của cơ quan, basis cho "
              "quyết định làm căn cứ (khởi tạo danh bạ, sắp xếp lại cơ quan)"),
}


# A field longer than this is cut: a hostile value must not make a megabyte message.
MAX_FIELD = 300


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``: what is wrong (article). Cách sửa: how to fix.

    Text fields come from the files: they are shown on one line, without invisible
    characters, and (this catalog's fields being single values) short.
    """
    return render_message(code, CATALOG, MAX_FIELD, **fields)
