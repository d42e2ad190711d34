"""Rendering notices with the templates of playbooks/templates/notify/, and the outbox rules
that need no server: nothing leaves the outbox unless an SMTP server accepted it."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.common.glossary import (
    Operator,
    Regulation,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.notices import notices, notify, outbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import (
    Account,
    account_from_mailbox,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import Change, plan_changes
from ansible_collections.hungyen.mail.plugins.modules import mail_notify
from helpers import ROOT

DOMAIN = "hungyen.gov.vn"
TEMPLATES = notify.load_templates(str(ROOT / "playbooks" / "templates" / "notify"))
INVENTORY = yaml.safe_load((ROOT / "inventory" / "local" / "group_vars" / "all.yml").read_text(
    encoding="utf-8"))
OPERATOR = Operator.from_vars(INVENTORY["operator"] | {"mailbox": "sotttt"})
REGULATION = Regulation.from_vars(INVENTORY["regulation"])
PAGE = "https://mail.hungyen.gov.vn/doimatkhau"
SETTINGS = notify.SmtpSettings("127.0.0.1", 25, f"sotttt@{DOMAIN}", DOMAIN,
                               operator=OPERATOR, regulation=REGULATION, password_page=PAGE)
# Another province's operator: no trace of the first may remain in what it sends.
SECOND = Operator("sokhcn", "Sở Khoa học và Công nghệ tỉnh Hưng Yên", "Sở KH&CN",
                  "Trung tâm Chuyển đổi số")
FIRST_TRACES = ("Sở TTTT", "Sở Thông tin", "Thông tin và Truyền thông", "sotttt")
META = {"domain": DOMAIN, "operator": "sotttt", "now": "2026-11-28T22:14:05+00:00"}
LETTER = Request("12/UBND-VP", "2024-03-01")
TIENLU = {"agency_name": "Ủy ban nhân dân huyện Tiên Lữ"}
ANVIEN = {"agency_name": "Ủy ban nhân dân xã An Viên"}
INTRO = (f"Căn cứ {REGULATION.reference()}, {OPERATOR.name} thông báo kết quả xử lý hộp thư "
         "điện tử công vụ của Quý cơ quan như sau:")
DUTY = ("Lưu ý: người nhận phải đổi mật khẩu ngay khi đăng nhập lần đầu (khoản 1 Điều 12), "
        f"tại trang đổi mật khẩu {PAGE} (mở bằng trình duyệt web). Trước khi đổi, hộp thư "
        "vẫn nhận thư nhưng chưa đọc thư và chưa gửi thư được")
COURTESY = ("Đề nghị bộ phận văn thư chuyển riêng mật khẩu đến từng cá nhân; không chuyển "
            "tiếp thư này.")
RESTORE = ("Để khôi phục hộp thư, Thủ trưởng cơ quan gửi văn bản đề nghị khôi phục tới Sở TTTT "
           "(điểm a khoản 2 Điều 7).")


def make_notices() -> dict[str, dict]:
    directory = TIENLU
    desired = [Mailbox("tienlu", "agency", "tienlu", "UBND huyện Tiên Lữ", request=LETTER,
                       directory=directory),
               Mailbox("tvan", "person", "tienlu", "Trần Văn An", request=LETTER,
                       directory=directory)]
    changes = plan_changes(desired, {})
    passwords = {"tienlu": "Agency#Pass23x", "tvan": "Person#Pass45y"}
    return notices.build(changes, passwords, {}, META).notices


def person(address: str, agency: str = "tienlu", **fields) -> Mailbox:
    directory, letter = fields.pop("directory", TIENLU), fields.pop("request", LETTER)
    return Mailbox(address, "person", agency, f"Lê Văn {address[1:].title()}", request=letter,
                   directory=directory, **fields)


def held(address: str, status: str, reason: str | None = None, **fields) -> Account:
    return account_from_mailbox(person(address, **fields)).evolve(status=status,
                                                                  lock_reason=reason)


def emergency_lock() -> list[Change]:
    """The change an emergency lock applies (apply/holds.emergency_change)."""
    before = account_from_mailbox(person("tkhan"))
    after = before.evolve(status="locked", lock_reason="compromised")
    return [Change("lock", "tkhan", "tienlu", before.name, LETTER, before.view(), after.view())]


def basis_record() -> list[Change]:
    """A mailbox whose record cites a decision instead of a request letter (``basis``)."""
    decision = Request("08/2017/QĐ-UBND", "2017-06-02", "Ủy ban nhân dân tỉnh")
    return plan_changes([person("tcancu", request=decision)], {})


# name: the changes of one apply (desired, actual, or ready-made changes), the apply's record
# (an emergency measure), and what the agency's notice must say and must not.
CASES = {
    "create": (
        [person("tmoi")], {}, None, {},
        ["1. Cấp mới (điểm a khoản 2 Điều 6): tmoi@hungyen.gov.vn (hộp thư cá nhân: Lê Văn Moi).",
         "   Văn bản đề nghị: số 12/UBND-VP ngày 01/03/2024.",
         "   Mật khẩu: xem mục MẬT KHẨU BAN ĐẦU CỦA HỘP THƯ CÁ NHÂN bên dưới.",
         "MẬT KHẨU BAN ĐẦU CỦA HỘP THƯ CÁ NHÂN", COURTESY],
        ["ĐƯỢC CẤP LẠI", "KHỞI TẠO LẠI"]),
    "reset_password": (
        [person("tquen", password_reset=Request("20/UBND-VP", "2026-11-20"))],
        {"tquen": held("tquen", "active")}, None, {},
        ["1. Cấp lại mật khẩu (khoản 2 Điều 9, khoản 1 Điều 12): tquen@hungyen.gov.vn",
         "   Văn bản đề nghị: số 20/UBND-VP ngày 20/11/2026.",
         "   Mật khẩu: xem mục MẬT KHẨU ĐƯỢC CẤP LẠI CỦA HỘP THƯ CÁ NHÂN bên dưới.",
         "MẬT KHẨU ĐƯỢC CẤP LẠI CỦA HỘP THƯ CÁ NHÂN", COURTESY],
        ["MẬT KHẨU BAN ĐẦU", "KHỞI TẠO LẠI"]),
    "unlock": (
        [person("tmo")], {"tmo": held("tmo", "locked", "spam_malware")}, None, {},
        ["Khôi phục", "(khoản 2 Điều 7): tmo@hungyen.gov.vn",
         "   Mật khẩu: xem mục MẬT KHẨU KHỞI TẠO LẠI SAU KHÔI PHỤC CỦA HỘP THƯ CÁ NHÂN bên dưới.",
         "MẬT KHẨU KHỞI TẠO LẠI SAU KHÔI PHỤC CỦA HỘP THƯ CÁ NHÂN", COURTESY],
        ["MẬT KHẨU BAN ĐẦU", "ĐƯỢC CẤP LẠI"]),
    "reinstate": (
        [person("tve")], {"tve": held("tve", "revoked")}, None, {},
        ["1. Cấp lại hộp thư đã thu hồi (khoản 1 Điều 6): tve@hungyen.gov.vn",
         "MẬT KHẨU KHỞI TẠO LẠI SAU KHI CẤP LẠI HỘP THƯ CỦA HỘP THƯ CÁ NHÂN", COURTESY],
        ["MẬT KHẨU BAN ĐẦU", "ĐƯỢC CẤP LẠI", "khôi phục"]),  # khôi phục is Điều 7's word
    "lock": (
        [person("tkhoa", status="locked", lock_reason="compromised")],
        {"tkhoa": held("tkhoa", "active")}, None, {},
        ["1. Tạm khóa (khoản 1 Điều 7): tkhoa@hungyen.gov.vn",
         "   Biện pháp do Sở TTTT quyết định, căn cứ văn bản số 12/UBND-VP ngày 01/03/2024.",
         "   Lý do tạm khóa: bị chiếm dụng (điểm b khoản 1 Điều 7), tức là người khác đã chiếm "
         "quyền sử dụng hộp thư.", "   " + RESTORE],
        ["Văn bản đề nghị:", "MẬT KHẨU"]),
    "emergency": (
        None, None, emergency_lock, {"emergency": "lock", "by": "quantri",
                                     "reason": "phát tán thư giả mạo"},
        ["1. Tạm khóa khẩn cấp (điểm g khoản 1 Điều 10): tkhan@hungyen.gov.vn",
         "   Biện pháp khẩn cấp do Sở TTTT quyết định để bảo đảm an toàn hệ thống; lý do: phát "
         "tán thư giả mạo.", "   " + RESTORE],
        ["Văn bản đề nghị:", "MẬT KHẨU"]),
    "move": (
        [person("tdi")], {"tdi": held("tdi", "active", agency="anvien", directory=ANVIEN)},
        None, {},
        ["1. Thuyên chuyển công tác trong tỉnh (điểm b khoản 2 Điều 6): tdi@hungyen.gov.vn",
         "   Chuyển công tác từ: Ủy ban nhân dân xã An Viên.",
         "   Văn bản thông báo của cơ quan tiếp nhận: số 12/UBND-VP ngày 01/03/2024."],
        ["anvien", "Văn bản đề nghị:", "MẬT KHẨU"]),
    "rename": (
        [person("tdoi", previous=("tcu",))], {"tcu": held("tcu", "active")}, None, {},
        ["1. Đổi tên hộp thư (điểm d khoản 2 Điều 6): tdoi@hungyen.gov.vn",
         "   Địa chỉ cũ tcu@hungyen.gov.vn vẫn nhận thư và chuyển vào hộp thư mới."],
        ["MẬT KHẨU"]),
    "delegate": (
        [Mailbox("tienlu", "agency", "tienlu", "UBND", request=LETTER, directory=TIENLU,
                 delegates=("tuq",)), person("tuq")],
        {"tienlu": account_from_mailbox(Mailbox("tienlu", "agency", "tienlu", "UBND",
                                                request=LETTER, directory=TIENLU)),
         "tuq": held("tuq", "active")}, None, {},
        ["1. Ủy quyền sử dụng (khoản 1 Điều 9): tienlu@hungyen.gov.vn (hộp thư cơ quan, đơn "
         "vị: UBND).", "   Người được ủy quyền sử dụng hộp thư: tuq@hungyen.gov.vn."],
        ["MẬT KHẨU", "người được giao"]),
    "created_locked": (
        [person("tmk", status="locked", lock_reason="violation")], {}, None, {},
        ["1. Cấp mới (điểm a khoản 2 Điều 6): tmk@hungyen.gov.vn",
         "   Mật khẩu: hộp thư đang tạm khóa; mật khẩu mới được cấp khi hộp thư được khôi "
         "phục.", "2. Tạm khóa (khoản 1 Điều 7): tmk@hungyen.gov.vn",
         "   Lý do tạm khóa: vi phạm quy định tại Điều 4 (điểm a khoản 1 Điều 7).",
         "   " + RESTORE],
        ["MẬT KHẨU", "Mật khẩu: Pw#"]),
    "basis": (
        None, None, basis_record, {},
        ["   Căn cứ: Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của Ủy ban nhân dân tỉnh.",
         "MẬT KHẨU BAN ĐẦU CỦA HỘP THƯ CÁ NHÂN"],
        ["Văn bản đề nghị:"]),
}


def case_notices(name: str) -> dict[str, dict]:
    desired, actual, made, record, _, _ = CASES[name]
    changes = made() if made else plan_changes(desired, actual)
    passwords = {c.address: f"Pw#{c.address}9x" for c in changes if c.needs_password}
    final = {mailbox.address: mailbox.status for mailbox in desired or ()}
    return notices.build(changes, passwords, final, META | record).notices


def parse(message) -> email.message.EmailMessage:
    """What a mail client sees: the message as bytes on the wire, parsed back."""
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def rendered(notice: dict, settings: notify.SmtpSettings = SETTINGS):
    message = parse(notify.render(notice, notify.environment(TEMPLATES), settings))
    return message, message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_notice_says_what_was_done_on_what_basis(name):
    *_, present, absent = CASES[name]
    message, body = rendered(case_notices(name)["tienlu"])
    lines = body.splitlines()
    assert lines[:3] == ["Kính gửi: Ủy ban nhân dân huyện Tiên Lữ", "", INTRO]
    assert [line for line in lines if "Căn cứ " in line] == [INTRO]  # one Căn cứ sentence
    assert "Thời điểm thực hiện: 05:14 ngày 29/11/2026." in lines  # Vietnam's time
    for text in present:
        assert text in body, text
    for text in absent:
        assert text not in body, text
    if "MẬT KHẨU" in "".join(present):
        assert DUTY in body and "Mật khẩu: Pw#" in body
    assert lines[-5:] == ["Trân trọng.", "", "-- ", FOOTER, lines[-1]]
    assert message["Content-Language"] == "vi"
    assert message["Subject"] == ("[Thư điện tử công vụ] Thông báo kết quả xử lý hộp thư của "
                                  "Ủy ban nhân dân huyện Tiên Lữ (ngày 29/11/2026)")


FOOTER = ("Thư này được gửi tự động từ hệ thống thư điện tử công vụ của Sở Thông tin và Truyền "
          "thông tỉnh Hưng Yên. Nếu có sai sót hoặc cần giải đáp, vui lòng liên hệ Trung tâm "
          "Công nghệ thông tin và Truyền thông và ghi rõ mã thông báo; khi liên hệ, không gửi "
          "kèm mật khẩu trong thư.")
# What a letter must not hold (issue 20, item 5 and 7): a signed document's parts, codes,
# ISO dates and times, programmer's citations, shouting.
NEVER = re.compile(r"CỘNG HÒA|Độc lập - Tự do|Số:|HY[A-Z]?\d{3}|\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}|"
                   r"Điều \d+\.\d|PHẢI|NGAY|tạo mới|mở khóa|chiếm quyền sử dụng \(|"
                   r"người được giao|Chuyển cơ quan|bằng tay")


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_sentence_is_broken_over_two_lines(name):
    """One paragraph, one line: a mail client wraps; a hard break inside a sentence is
    read as two lines. A wrapped line would start in lower case or follow a line without
    an ending."""
    for notice in case_notices(name).values():
        _, body = rendered(notice)
        assert not NEVER.search(body), NEVER.search(body)
        for previous, line in zip(body.splitlines(), body.splitlines()[1:], strict=False):
            text = line.strip()
            if not text:
                continue
            assert not text[0].islower(), line
            ends = previous.rstrip().endswith((".", ":", ";")) or not previous.strip()
            assert ends or _field_or_heading(previous), previous


def _field_or_heading(line: str) -> bool:
    """A heading in capitals, a list item's name, or a ``Label: value`` line."""
    text = line.strip()
    return (text.isupper() or text in ("--", "-- ") or text.startswith("- ")
            or bool(re.match(r"^[^:]{2,40}:\s", text)))


def test_compromised_is_glossed_once_per_notice():
    desired = [person(a, status="locked", lock_reason="compromised") for a in ("tmot", "thai")]
    changes = plan_changes(desired, {a: held(a, "active") for a in ("tmot", "thai")})
    _, body = rendered(notices.build(changes, {}, {}, META).notices["tienlu"])
    assert body.count("bị chiếm dụng (điểm b khoản 1 Điều 7)") == 2
    assert body.count("người khác đã chiếm quyền sử dụng hộp thư") == 1


def test_a_notice_without_an_agency_name_greets_the_mailboxs_agency():
    notice = case_notices("create")["tienlu"] | {"agency_name": ""}
    message, body = rendered(notice)
    assert body.startswith("Kính gửi: Cơ quan sử dụng hộp thư tienlu@hungyen.gov.vn\n")
    assert message["To"].addresses[0].display_name == (
        "Cơ quan sử dụng hộp thư tienlu@hungyen.gov.vn")


@pytest.mark.parametrize("name", ["create", "lock", "reset_password"])
def test_a_notice_queued_by_the_previous_version_still_renders(name):
    """An outbox written before an upgrade holds changes without the keys added since
    (the emergency measure, the basis, the sending agency's name): a pending notice is sent
    all the same, never blocking every other notice (HYN004)."""
    notice = case_notices(name)["tienlu"]
    newer = ("measure", "basis", "from_agency_name")
    notice = notice | {"changes": [{key: value for key, value in change.items()
                                    if key not in newer} for change in notice["changes"]]}
    _, body = rendered(notice)
    assert body.startswith("Kính gửi: ") and "Trân trọng." in body


def test_the_reference_shows_no_utc_stamp():
    notice = make_notices()["tienlu"]
    _, body = rendered(notice)
    reference = body.splitlines()[-1].removeprefix("Mã thông báo: ")
    assert notice["id"].endswith(f".{reference}") and reference.startswith("tienlu.")
    assert "2026" not in reference and "Z" not in reference


def test_agency_notice_is_vietnamese_utf8_with_the_personal_password():
    wire = notify.render(make_notices()["tienlu"], notify.environment(TEMPLATES), SETTINGS)
    assert all(ord(c) < 128 for c in wire.as_bytes().decode("ascii"))  # encoded on the wire
    message = parse(wire)
    assert message["To"].addresses[0].addr_spec == f"tienlu@{DOMAIN}"
    assert message["From"].addresses[0].addr_spec == f"sotttt@{DOMAIN}"
    assert message["From"].addresses[0].display_name == OPERATOR.name
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Sun, 29 Nov 2026 05:14:05 +0700"  # 22:14Z is the 29th there
    body = message.get_body(("plain",)).get_content()
    assert message.get_body(("plain",)).get_content_charset() == "utf-8"
    assert "Mật khẩu: Person#Pass45y" in body and "tvan@hungyen.gov.vn" in body
    assert "Agency#Pass23x" not in body  # the agency mailbox's password goes to Sở TTTT
    assert "   Mật khẩu: Sở TTTT giao trực tiếp cho Thủ trưởng cơ quan, đơn vị, không gửi " \
           "qua thư." in body


def test_operator_copy_is_addressed_to_its_technical_unit():
    message, body = rendered(make_notices()["sotttt"])
    assert body.startswith("Kính gửi: Trung tâm Công nghệ thông tin và Truyền thông\n")
    assert message["To"].addresses[0].display_name == OPERATOR.technical_unit
    assert (f"Căn cứ {REGULATION.reference()}, {OPERATOR.name} thông báo mật khẩu các hộp thư "
            "cơ quan, đơn vị và hộp thư phòng, ban vừa được cấp như sau:") in body
    assert "MẬT KHẨU BAN ĐẦU CỦA HỘP THƯ CƠ QUAN, ĐƠN VỊ VÀ HỘP THƯ PHÒNG, BAN" in body
    assert "- UBND huyện Tiên Lữ (Ủy ban nhân dân huyện Tiên Lữ)" in body
    assert "Mật khẩu: Agency#Pass23x" in body and "Person#Pass45y" not in body
    assert "Lưu ý: Thủ trưởng cơ quan, đơn vị phải đổi mật khẩu ngay khi đăng nhập lần đầu " \
           f"(khoản 1 Điều 12), tại trang đổi mật khẩu {PAGE} (mở bằng trình duyệt web). " \
           "Trước khi đổi, hộp thư vẫn nhận thư nhưng chưa đọc thư và chưa gửi thư được." in body
    assert message["Subject"] == ("[Thư điện tử công vụ] Mật khẩu hộp thư cơ quan, đơn vị "
                                  "(ngày 29/11/2026)")


@pytest.mark.parametrize("name", [*sorted(CASES), "operator"])
def test_a_second_operator_leaves_no_trace_of_the_first(name):
    settings = notify.SmtpSettings("127.0.0.1", 25, f"sokhcn@{DOMAIN}", DOMAIN,
                                   operator=SECOND, regulation=REGULATION)
    notice = make_notices()["sotttt"] if name == "operator" else case_notices(name)["tienlu"]
    moved = {key: notice[key].replace("sotttt", "sokhcn") for key in ("to", "id", "recipient")}
    message, body = rendered(notice | moved, settings)
    text = body + str(message["Subject"]) + str(message["From"]) + str(message["To"])
    assert [trace for trace in FIRST_TRACES if trace in text] == []
    assert "Sở Khoa học và Công nghệ tỉnh Hưng Yên" in body and "Trung tâm Chuyển đổi số" in body
    assert message["From"].addresses[0].display_name == SECOND.name


def test_missing_or_broken_template_stops_before_sending(tmp_path):
    with pytest.raises(notify.NotifyError, match="HYN004"):
        notify.environment({"body.txt.j2": "x"})
    state = write_outbox(tmp_path)
    before = outbox.read_outbox(str(state / "outbox"))
    for broken, where in (("{{ no_such_variable }}", ""), ("a\n{% if x %}", "body.txt.j2:2: ")):
        expected = f"HYN004 mẫu thư thông báo bị lỗi \\({where}"
        with pytest.raises(notify.NotifyError, match=expected):
            notify.send_pending(str(state), TEMPLATES | {"body.txt.j2": broken},
                                closed_port_settings())
    assert outbox.read_outbox(str(state / "outbox")) == before


def write_outbox(tmp_path):
    state = tmp_path / "state"
    outbox.append_notices(str(state / "outbox"), make_notices())
    return state


def closed_port_settings() -> notify.SmtpSettings:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return notify.SmtpSettings("127.0.0.1", port, f"sotttt@{DOMAIN}", DOMAIN, timeout=5)


def test_unreachable_server_keeps_every_notice(tmp_path):
    state = write_outbox(tmp_path)
    before = outbox.read_outbox(str(state / "outbox"))
    result = notify.send_pending(str(state), TEMPLATES, closed_port_settings())
    assert result["sent"] == 0 and result["kept"] == 2 and not result["changed"]
    assert result["errors"][0].startswith("HYN001")
    assert outbox.read_outbox(str(state / "outbox")) == before
    assert "Pass" not in json.dumps(result)


def test_check_mode_renders_and_sends_nothing(tmp_path):
    state = write_outbox(tmp_path)
    before = outbox.read_outbox(str(state / "outbox"))
    params = {"state_dir": str(state), "domain": DOMAIN, "templates": TEMPLATES,
              "smtp_port": closed_port_settings().port, "only": ["tienlu"],
              "operator": INVENTORY["operator"] | {"mailbox": "sotttt"}}
    result = mail_notify.run(params, check_mode=True)
    assert result["would_send"] == 1 and result["sent"] == 0 and result["changed"]
    assert [row["to"] for row in result["notices"]] == [f"tienlu@{DOMAIN}"]
    assert outbox.read_outbox(str(state / "outbox")) == before


def test_unreadable_line_is_kept_and_reported(tmp_path):
    folder = tmp_path / "state" / "outbox"
    folder.mkdir(parents=True)
    (folder / "old.jsonl").write_text('{"address": "x@hungyen.gov.vn", "password": "P"}\n')
    result = notify.send_pending(str(tmp_path / "state"), TEMPLATES, closed_port_settings())
    assert result["kept"] == 1 and result["errors"][0].startswith("HYN006")
    assert (folder / "old.jsonl").read_text().startswith('{"address"')


def test_keep_only_rewrites_privately_or_removes(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("{}\n{}\n")
    outbox.keep_only(str(path), [{"id": 1}])
    assert json.loads(path.read_text()) == {"id": 1} and path.stat().st_mode & 0o777 == 0o600
    outbox.keep_only(str(path), [])
    assert not path.exists()


def test_long_vietnamese_names_survive_the_headers():
    notice = make_notices()["tienlu"] | {
        "agency_name": "Ủy ban nhân dân phường Bần Yên Nhân thị xã Mỹ Hào tỉnh Hưng Yên"}
    message = parse(notify.render(notice, notify.environment(TEMPLATES), SETTINGS))
    assert message["To"].addresses[0].display_name == notice["agency_name"]
    assert message["From"].addresses[0].display_name == OPERATOR.name
    assert message["Subject"].endswith(f"của {notice['agency_name']} (ngày 29/11/2026)")


def test_without_a_password_page_the_notice_names_no_address():
    settings = notify.SmtpSettings("127.0.0.1", 25, f"sotttt@{DOMAIN}", DOMAIN,
                                   operator=OPERATOR, regulation=REGULATION)
    _, body = rendered(make_notices()["tienlu"], settings)
    assert ("Lưu ý: người nhận phải đổi mật khẩu ngay khi đăng nhập lần đầu (khoản 1 Điều 12). "
            "Trước khi đổi, hộp thư vẫn nhận thư") in body
    assert "/doimatkhau" not in body and "tại trang" not in body
