"""Validation messages for clerks and reviewers: stable code → Vietnamese text, article, fix.

A message is ``CODE <what is wrong> (<article>). Cách sửa: <how to fix>``; the code never
changes meaning, so it can be searched in the README and tested.
"""

from __future__ import annotations

from ..common.glossary import GENERIC_OPERATOR, cite, glossed
from ..common.messages import render as render_message
from ..common.messages import shown

__all__ = ["CATALOG", "MAX_FIELD", "render", "shown"]

# The lock reasons a clerk may write, glossed: violation (vi phạm quy định tại Điều 4), …
REASONS = ", ".join(glossed("lock_reason", reason)
                    for reason in ("violation", "compromised", "spam_malware")).replace(
                        ", spam_malware", " hoặc spam_malware")

# code: (what is wrong, the article it breaks, how to fix it)
CATALOG: dict[str, tuple[str, str, str]] = {
    # Reading the file (the file's form: no article governs it, so no basis). The syntax
    # codes (HY001, HY060-HY077) are told apart by yaml_errors.py and show the column and
    # the line to edit.
    "HY001": ("cột {column}, dòng '{source}': YAML sai cú pháp, không đọc được tệp từ chỗ này",
              "", "so với các dòng đúng ở trên: mỗi dòng dạng 'mục: giá trị', thụt lề bằng "
              "dấu cách, giá trị có ký tự đặc biệt đặt trong dấu nháy đơn"),
    "HY002": ("mục '{detail}' được ghi hai lần (lần đầu ở dòng {first})", "",
              "giữ lại một lần ghi mục '{detail}' với giá trị đúng, xóa dòng còn lại"),
    "HY003": ("tệp dùng neo, tham chiếu YAML (&, *), không được phép", "",
              "viết đầy đủ giá trị thay cho &neo và *tham_chiếu"),
    "HY004": ("tệp quá lớn hoặc lồng quá sâu ({detail})", "",
              "viết lại tệp theo tệp mẫu: mỗi tệp chỉ khai báo một cơ quan, mỗi giá trị trên "
              "một dòng, không lồng danh sách trong danh sách"),
    "HY005": ("có ký tự ẩn hoặc ký tự điều khiển {detail}", "",
              "gõ lại dòng này bằng bàn phím (không dán từ văn bản khác) rồi lưu tệp với "
              "bảng mã UTF-8 không có BOM"),
    "HY006": ("có chữ cái lạ trông giống chữ Latinh: {detail}", "",
              "gõ lại bằng bộ gõ tiếng Việt (Unikey, bảng mã Unicode dựng sẵn), không dán chữ "
              "Kirin, Hy Lạp hay chữ toàn độ rộng"),
    "HY007": ("tệp không được lưu bằng bảng mã UTF-8 (ký tự lỗi ở byte thứ {detail})", "",
              "mở tệp bằng trình soạn thảo và lưu lại với bảng mã UTF-8"),
    "HY008": ("dòng đầu phải là '{detail}'", "",
              "thêm đúng dòng này lên đầu tệp để trình soạn thảo kiểm tra khi gõ"),
    "HY009": ("tệp '{detail}' không có đuôi .yml", "",
              "đổi tên tệp thành <địa chỉ cơ quan>.yml"),
    "HY038": ("'{detail}' không dùng được làm tệp khai báo: {why}", "",
              "mỗi cơ quan là một tệp thường mailboxes/<địa chỉ cơ quan>.yml, tên chỉ gồm chữ "
              "a–z, chữ số và dấu chấm; không dùng liên kết (symlink) hay thư mục"),
    "HY039": ("giá trị có {detail}", "",
              "viết giá trị trên một dòng, không dùng '|' hay '>', không dùng \\n hoặc \\t "
              "trong dấu nháy kép; tách các từ bằng dấu cách"),
    "HY041": ("tệp có hơn {detail} lỗi; chỉ liệt kê {detail} lỗi đầu tiên", "",
              "sửa các lỗi đã liệt kê rồi kiểm tra lại; thường là cả tệp sai cấu trúc"),
    "HY060": ("cột {column}, dòng '{source}': thụt lề bằng ký tự tab; YAML chỉ cho thụt lề "
              "bằng dấu cách", "",
              "xóa ký tự tab ở đầu dòng và thụt lề bằng dấu cách, thẳng cột với các mục cùng "
              "cấp"),
    "HY061": ("cột {column}, dòng '{source}': sau tên mục '{detail}' thiếu dấu ':' và một "
              "dấu cách", "",
              "viết dấu ':' và một dấu cách ngay sau tên mục: '{suggestion}'"),
    "HY062": ("cột {column}, dòng '{source}': giá trị có dấu ':' và dấu cách nên YAML đọc "
              "thành một mục mới", "", "đặt cả giá trị trong dấu nháy đơn: {suggestion}"),
    "HY063": ("cột {column}, dòng '{source}': thụt lề không thẳng cột với các mục cùng cấp "
              "(dòng {above} thụt lề {spaces} dấu cách)", "",
              "thụt lề dòng này bằng dấu cách, đúng bằng các mục cùng cấp trong nhóm của nó"),
    "HY064": ("cột {column}, dòng '{source}': thụt lề sai trong danh sách (dấu '-' ở dòng "
              "{above} nằm ở cột {dash})", "",
              "mỗi phần tử bắt đầu bằng '- ' thẳng cột {dash} như dòng {above}; các mục của "
              "một phần tử thẳng cột {keys}"),
    "HY065": ("cột {column}, dòng '{source}': dấu nháy kép (\") mở giá trị nhưng không có "
              "dấu nháy kép đóng", "", "thêm dấu \" ở cuối giá trị, trên cùng dòng này"),
    "HY066": ("cột {column}, dòng '{source}': dấu nháy đơn (') mở giá trị nhưng không có "
              "dấu nháy đơn đóng", "",
              "thêm dấu ' ở cuối giá trị, trên cùng dòng này; dấu nháy đơn bên trong giá trị "
              "viết thành hai dấu ''"),
    "HY067": ("cột {column}, dòng '{source}': dấu '[' mở danh sách nhưng không có dấu ']' "
              "đóng", "", "thêm dấu ']' ở cuối danh sách, trên cùng dòng này; các phần tử "
              "cách nhau bằng dấu phẩy"),
    "HY068": ("cột {column}, dòng '{source}': dấu '{{' mở nhóm mục nhưng không có dấu '}}' "
              "đóng", "", "thêm dấu '}}' ở cuối nhóm, trên cùng dòng này; các mục cách nhau "
              "bằng dấu phẩy, ví dụ {{number: '15/UBND', date: '2024-03-01'}}"),
    "HY069": ("cột {column}, dòng '{source}': trong dấu nháy kép, dấu '\\' mở đầu một mã "
              "thoát YAML và '{detail}' không phải mã hợp lệ", "",
              "đặt giá trị trong dấu nháy đơn thay cho dấu nháy kép (trong dấu nháy đơn, "
              "dấu '\\' được giữ nguyên)"),
    "HY070": ("cột {column}, dòng '{source}': giá trị bắt đầu bằng '{char}', {why}", "",
              "đặt cả giá trị trong dấu nháy đơn: {value}"),
    "HY071": ("cột {column}, dòng '{source}': giá trị '{detail}' bắt đầu bằng dấu '*' nên "
              "YAML đọc là tham chiếu tới một neo không có trong tệp", "",
              "đặt cả giá trị trong dấu nháy đơn: {value}"),
    "HY072": ("dòng '---' mở một tài liệu YAML thứ hai; mỗi tệp chỉ khai báo một cơ quan",
              "",
              "xóa dòng '---' này; phần khai báo cơ quan khác chuyển sang tệp riêng "
              "mailboxes/<địa chỉ cơ quan>.yml"),
    "HY073": ("cột {column}, dòng '{source}': thiếu dấu cách sau dấu '-' nên YAML đọc "
              "'-{detail}' là tên mục, không phải một phần tử của danh sách", "",
              "viết '- {detail}:' (dấu '-', một dấu cách, rồi tên mục)"),
    "HY074": ("cột {column}, dòng '{source}': giá trị có thẻ YAML '{detail}'; tệp khai báo "
              "chỉ ghi giá trị thường", "",
              "xóa thẻ '{detail}' và chỉ ghi giá trị; giá trị bắt đầu bằng dấu '!' thì đặt "
              "trong dấu nháy đơn"),
    "HY075": ("cột {column}, dòng '{source}': mục gộp '<<' lấy giá trị từ chỗ khác trong "
              "tệp", "", "xóa dòng '<<: …' và ghi đầy đủ từng mục tại chỗ"),
    "HY076": ("cột {column}, dòng '{source}': tên mục '{detail}' để trống hoặc không phải "
              "chữ", "", "bắt đầu dòng bằng tên mục viết bằng chữ như trong tệp mẫu, ví dụ "
              "'name: …'"),
    "HY077": ("cột {column}, dòng '{source}': sau dấu nháy đóng, giá trị còn chữ '{detail}'",
              "", "đặt cả giá trị trong một cặp dấu nháy đơn; dấu nháy đơn bên trong giá trị "
              "viết thành hai dấu ''"),
    "HY040": ("{field} '{detail}' có ký tự {chars} không dùng được", cite("5", "11.3"),
              "tên và chức vụ chỉ gồm chữ tiếng Việt, chữ số, dấu cách và các dấu - , . ' ( ) / &"),
    # The schema: each rule of each field says what is wrong and its own fix (schema_errors).
    "HY010": ("{detail}", "", "{fix}"),
    "HY011": ("thiếu mục bắt buộc {detail}", "", "{fix}"),
    "HY012": ("mục '{detail}' không dùng được ở đây; các mục dùng được: {allowed}", "",
              "xóa mục '{detail}' hoặc sửa tên cho đúng một trong các mục dùng được "
              "(chữ thường, không dấu, đúng như trong tệp mẫu)"),
    "HY013": ("tên mục '{detail}' không dùng được; tệp khai báo gọi mục này là '{key}'", "",
              "đổi '{detail}:' thành '{key}:', giữ nguyên giá trị"),
    "HY014": ("ngày '{detail}' phải ghi theo dạng năm-tháng-ngày: {iso} (ngày {day})", "",
              "ghi 'date: {iso}'"),
    "HY015": ("giá trị {detail} không dùng được cho mục này", "",
              "ghi một trong các giá trị: {allowed}"),
    # Addresses (Điều 5)
    "HY020": ("tên tệp '{detail}.yml' khác địa chỉ của cơ quan '{expected}'", cite("5.1"),
              "đổi tên tệp thành {expected}.yml"),
    "HY021": ("địa chỉ '{detail}' không hợp lệ: {why}", cite("5"),
              "chỉ dùng chữ thường a–z không dấu, chữ số và dấu chấm đơn, tối đa 64 ký tự"),
    "HY022": ("địa chỉ '{detail}' mang từ dành riêng '{word}' (của hệ thống hoặc của một chức "
              "năng như quản trị, hỗ trợ, văn thư), không cấp cho cơ quan, cá nhân", cite("5"),
              "chọn địa chỉ khác có tên người hoặc tên cơ quan; '{word}.<địa chỉ cơ quan>' chỉ "
              "khai báo được trong tệp của chính cơ quan đó"),
    "HY023": ("{other} đã được cấp địa chỉ '{detail}'", cite("5.3"),
              "mỗi địa chỉ chỉ cấp một lần trong toàn tỉnh: khi thuyên chuyển công tác trong "
              "tỉnh, xóa người đó ở cơ quan cũ trong cùng yêu cầu hợp nhất (merge request); "
              "nếu là người khác, chọn địa chỉ khác và ghi address_reason"),
    "HY024": ("{other} đã có địa chỉ '{detail}', trùng với địa chỉ suy ra cho hộp thư này",
              cite("5.3"),
              "nếu hộp thư này mới khai báo, ghi address khác kèm address_reason (gợi ý: "
              "{suggestions}); nếu hộp thư này đã được cấp trước thì giữ nguyên, hộp thư kia "
              "phải đổi"),
    "HY025": ("địa chỉ '{detail}' khác địa chỉ suy ra từ tên ('{expected}') nhưng chưa có "
              "mục address_reason", cite("5.3"),
              "thêm mục address_reason nêu lý do, ví dụ 'address_reason: trùng với hộp thư đã "
              "cấp'"),
    "HY026": ("địa chỉ '{detail}' không chứa {part} '{expected}'", cite("5.3"),
              "địa chỉ thay thế phải ngắn gọn và vẫn chứa {part}; gợi ý: {suggestions}"),
    "HY027": ("không suy ra được địa chỉ từ tên '{detail}'", cite("5"),
              "ghi họ tên hoặc tên cơ quan bằng chữ tiếng Việt"),
    "HY028": ("{kind} (kind: {detail}) phải khai báo mục address là tên viết tắt của cơ quan",
              cite("5.1.a"),
              "thêm 'address: {expected}' (tên viết tắt gợi ý) hoặc tên viết tắt đã thống nhất"),
    "HY042": ("địa chỉ cá nhân '{detail}' có dấu chấm", cite("5.2", "5.3"),
              "địa chỉ cá nhân viết liền, không có dấu chấm (dạng <viết tắt>.<cơ quan> là của "
              "phòng, ban); gợi ý: {suggestions}"),
    "HY043": ("địa chỉ '{detail}' kết thúc bằng '.{owner}', phần địa chỉ của cơ quan khác, "
              "tệp mailboxes/{owner}.yml", cite("5.1.d"),
              "chỉ tệp mailboxes/{owner}.yml khai báo được địa chỉ <…>.{owner}; chọn địa chỉ "
              "khác, hoặc đề nghị cơ quan đó khai báo"),
    "HY029": ("{field} '{detail}' không phải là tên: phần làm nên địa chỉ '{part}' chỉ có "
              "chữ số", cite("5"),
              "địa chỉ được tạo từ tên nên phải có chữ cái: ghi họ tên, địa danh hoặc tên "
              "viết tắt bằng chữ như trên văn bản; chữ số chỉ đi kèm chữ (ví dụ 'Phòng "
              "Nghiệp vụ 1', địa chỉ 'nhphuc1')"),
    # The agency tree
    "HY035": ("cơ quan cấp trên không đúng: {why}", cite("5.1.c"), "{fix}"),
    "HY036": ("phòng, ban '{detail}' không có trong divisions của tệp này", cite("11.3"),
              "ghi division là tên viết tắt (abbreviation) của một phòng, ban trong divisions "
              "của tệp này, hoặc xóa mục division"),
    # Lifecycle (Điều 6, 7, 9)
    "HY030": ("hộp thư đang tạm khóa (status: locked) nhưng chưa có mục lock_reason",
              cite("7.1"), "thêm lock_reason: " + REASONS),
    "HY031": ("status là {detail} mà vẫn có mục lock_reason", cite("7.1"),
              "xóa mục lock_reason khi khôi phục hộp thư, hoặc ghi status: locked"),
    "HY032": ("người được ủy quyền '{detail}' không phải hộp thư cá nhân đang hoạt động "
              "(status: active) trong people của tệp này", cite("9.1"),
              "chỉ ghi địa chỉ của một người trong people của tệp này có status active "
              "(đang hoạt động)"),
    "HY033": ("thiếu mục request ghi số và ngày của văn bản đề nghị", cite("6.1"),
              "thêm mục request ghi số (number) và ngày (date) của văn bản đề nghị gửi "
              + GENERIC_OPERATOR),
    "HY044": ("số văn bản '{detail}' không đúng cách ghi số văn bản: {why}", cite("6.1"),
              "ghi số, ký hiệu như trên văn bản, ví dụ '15/UBND-VP' hoặc 'số 3/QĐ-UBND': chữ "
              "tiếng Việt, chữ số, dấu cách và các dấu / . _ -, bắt đầu bằng chữ hoặc số, tối "
              "đa 60 ký tự, gõ bằng Unicode dựng sẵn"),
    "HY034": ("ngày '{detail}' không có thật", "",
              "ghi đúng ngày trên văn bản theo dạng năm-tháng-ngày (ngày 02/05/2024 ghi là "
              "'2024-05-02')"),
    "HY037": ("địa chỉ cũ '{detail}' chính là địa chỉ hiện tại", cite("6.2.d"),
              "xóa '{detail}' khỏi previous_addresses: mục này chỉ ghi các địa chỉ trước khi "
              "đổi tên"),
    # Names (C2): legacy encodings, capitals, a basis instead of a request letter.
    "HY050": ("{field} '{detail}' được gõ bằng bảng mã cũ {encoding} (có {chars}), không "
              "phải chữ tiếng Việt Unicode", "",
              "chuyển mã bằng Unikey ({encoding} → Unicode) hoặc gõ lại bằng Unicode dựng sẵn"),
    "HY051": ("họ tên '{detail}' viết toàn chữ {case}", "",
              "viết hoa chữ cái đầu của mỗi tiếng: '{expected}'"),
    "HY052": ("ghi cả văn bản đề nghị (mục request) và căn cứ (mục basis)", "",
              "chỉ giữ một trong hai: request cho văn bản đề nghị của cơ quan, basis cho "
              "quyết định làm căn cứ (khởi tạo danh bạ, sắp xếp lại cơ quan)"),
    "HY053": ("dung lượng hộp thư '{detail}' không dùng được: {why}", "",
              "ghi số nguyên kèm đơn vị M hoặc G, từ 10M đến 100G, ví dụ 5G; bỏ mục quota "
              "để dùng mức chung của hệ thống"),
}


# A field longer than this is cut: a hostile value must not make a megabyte message.
MAX_FIELD = 300


def render(code: str, /, where: str = "", **fields: object) -> str:
    """The one-line message for ``code``: [where:] what is wrong (article). Cách sửa: fix.

    ``where`` names the record and the mục in words (``Lê Văn An (người thứ 2 trong
    people), mục title``). Text fields come from the files: they are shown on one line,
    without invisible characters, and (this catalog's fields being single values) short.
    """
    message = render_message(code, CATALOG, MAX_FIELD, **fields)
    if where:
        message = f"{code} {shown(where, MAX_FIELD)}: {message[len(code) + 1:]}"
    return message
