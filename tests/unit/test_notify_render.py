"""Rendering notices with the templates of playbooks/templates/notify/, and the outbox rules
that need no server: nothing leaves the outbox unless an SMTP server accepted it."""

from __future__ import annotations

import email
import email.policy
import json
import socket

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.notices import notices, notify, outbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from ansible_collections.hungyen.mail.plugins.modules import mail_notify
from helpers import ROOT

DOMAIN = "hungyen.gov.vn"
TEMPLATES = notify.load_templates(str(ROOT / "playbooks" / "templates" / "notify"))
SETTINGS = notify.SmtpSettings("127.0.0.1", 25, f"sotttt@{DOMAIN}", DOMAIN)
META = {"domain": DOMAIN, "operator": "sotttt", "now": "2026-11-29T03:00:00+00:00"}


def make_notices() -> dict[str, dict]:
    letter = Request("12/UBND-VP", "2024-03-01")
    directory = {"agency_name": "Ủy ban nhân dân huyện Tiên Lữ"}
    desired = [Mailbox("tienlu", "agency", "tienlu", "UBND huyện Tiên Lữ", request=letter,
                       directory=directory),
               Mailbox("tvan", "person", "tienlu", "Trần Văn An", request=letter,
                       directory=directory)]
    changes = plan_changes(desired, {})
    passwords = {"tienlu": "Agency#Pass23x", "tvan": "Person#Pass45y"}
    return notices.build(changes, passwords, {}, META).notices


def parse(message) -> email.message.EmailMessage:
    """What a mail client sees: the message as bytes on the wire, parsed back."""
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_agency_notice_is_vietnamese_utf8_with_the_personal_password():
    env = notify.environment(TEMPLATES)
    wire = notify.render(make_notices()["tienlu"], env, SETTINGS)
    assert all(ord(c) < 128 for c in wire.as_bytes().decode("ascii"))  # encoded on the wire
    message = parse(wire)
    assert message["Subject"].startswith("[Hộp thư công vụ] Thông báo thay đổi hộp thư của "
                                         "Ủy ban nhân dân huyện Tiên Lữ ngày 29/11/2026")
    assert message["To"].addresses[0].addr_spec == f"tienlu@{DOMAIN}"
    assert message["From"].addresses[0].addr_spec == f"sotttt@{DOMAIN}"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",)).get_content()
    assert message.get_body(("plain",)).get_content_charset() == "utf-8"
    assert "Mật khẩu: Person#Pass45y" in body and "tvan@hungyen.gov.vn" in body
    assert "ĐỔI MẬT KHẨU NGAY" in body and "số 12/UBND-VP ngày 01/03/2024" in body
    assert "Agency#Pass23x" not in body  # the agency mailbox's password goes to Sở TTTT


def test_operator_notice_carries_agency_mailbox_passwords():
    message = parse(notify.render(make_notices()["sotttt"], notify.environment(TEMPLATES),
                                  SETTINGS))
    body = message.get_body(("plain",)).get_content()
    assert "Mật khẩu hộp thư cơ quan" in message["Subject"]
    assert "Mật khẩu: Agency#Pass23x" in body and "Person#Pass45y" not in body


def test_missing_or_broken_template_stops_before_sending(tmp_path):
    with pytest.raises(notify.NotifyError, match="HYN004"):
        notify.environment({"body.txt.j2": "x"})
    state = write_outbox(tmp_path)
    before = outbox.read_outbox(str(state / "outbox"))
    for broken, where in (("{{ no_such_variable }}", ""), ("a\n{% if x %}", "body.txt.j2:2: ")):
        with pytest.raises(notify.NotifyError, match=f"HYN004 mẫu thư lỗi \\({where}"):
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
              "smtp_port": closed_port_settings().port, "only": ["tienlu"]}
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
    assert message["From"].addresses[0].display_name == notify.SENDER_NAME
    assert message["Subject"].endswith(f"của {notice['agency_name']} ngày 29/11/2026")
