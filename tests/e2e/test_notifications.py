"""Notices against the real Postfix + Dovecot: sent by SMTP from the operator mailbox, read
back over IMAP from the agency mailbox, and the passwords in them log in. The chain is the
one an operator follows: the bootstrap file opens the operator mailbox, whose notice holds
the agency mailbox's password, whose notice holds the new person's."""

from __future__ import annotations

import email
import email.policy
import imaplib
import json
import re
import socket
import stat
import time

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.notices import outbox
from ansible_collections.hungyen.mail.plugins.module_utils.notices.notices import new_notice
from ansible_collections.hungyen.mail.plugins.module_utils.notices.notify import load_templates
from ansible_collections.hungyen.mail.plugins.modules import mail_notify
from e2e_support import (
    DOMAIN,
    PORTS,
    ROOT,
    assert_no_secret,
    change_password,
    mailbox,
    run_playbook,
)

pytestmark = pytest.mark.server
TEMPLATES = load_templates(str(ROOT / "playbooks" / "templates" / "notify"))
INVENTORY = yaml.safe_load((ROOT / "inventory" / "local" / "group_vars" / "all.yml").read_text(
    encoding="utf-8"))
OPERATOR = INVENTORY["operator"] | {"mailbox": "sotttt"}
CREDENTIAL = re.compile(r"Địa chỉ:\s+(\S+@\S+)\s*\n\s*Mật khẩu:\s+(\S+)")


def notify(server, only: list[str], sender: str, port: int = PORTS["smtp_port"]) -> dict:
    params = {"state_dir": str(server.state_dir), "domain": DOMAIN, "templates": TEMPLATES,
              "smtp_port": port, "only": only, "sender": sender, "operator": OPERATOR,
              "regulation": INVENTORY["regulation"]}
    return mail_notify.run(params)


def bootstrap_password(server, local: str) -> str:
    path = server.state_dir / "bootstrap" / f"{local}@{DOMAIN}.credentials"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    return re.search(r"^password: (\S+)$", path.read_text("utf-8"), re.M)[1]


def read_notices(server, local: str, password: str, timeout: float = 30) -> list:
    """The notices in ``local``'s INBOX, read over IMAP (waits for the delivery)."""
    deadline = time.monotonic() + timeout
    while True:
        imap = server.imap(local, password)
        try:
            imap.select("INBOX", readonly=True)
            _, found = imap.search(None, "HEADER", "X-Hymail-Notice", '""')
            messages = [_fetch(imap, number) for number in found[0].split()]
        finally:
            imap.logout()
        if messages or time.monotonic() > deadline:
            return messages
        time.sleep(0.5)


def _fetch(imap: imaplib.IMAP4, number: bytes) -> email.message.EmailMessage:
    _, data = imap.fetch(number, "(RFC822)")
    return email.message_from_bytes(data[0][1], policy=email.policy.default)


def delivered_notices(server, local: str, timeout: float = 30) -> list:
    """The notices in ``local``'s Maildir (Postfix hands them to LMTP after accepting)."""
    deadline = time.monotonic() + timeout
    while True:
        files = [p for sub in ("new", "cur") for p in (server.maildir(local) / sub).glob("*")]
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    for p in files]
        notices = [m for m in messages if m["X-Hymail-Notice"]]
        if notices or time.monotonic() > deadline:
            return notices
        time.sleep(0.3)


def credentials_in(message) -> dict[str, str]:
    return dict(CREDENTIAL.findall(message.get_body(("plain",)).get_content()))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_notice_chain_from_bootstrap_to_the_new_person(province):
    server = province.server
    province.declare(mailbox("tdieuhanh", "tdieuhanh", kind="agency"),
                     mailbox("tthongbao", "tthongbao", kind="agency"),
                     mailbox("tnguoimoi", "tthongbao"))
    applied = province.run(operator_mailbox="tdieuhanh", commit="c0ffee",
                           approved_by="pheduyet")["applied"]
    assert applied["notices"] == {"tdieuhanh": 1, "tthongbao": 1}
    assert applied["bootstrap"] == [str(server.state_dir / "bootstrap" /
                                        f"tdieuhanh@{DOMAIN}.credentials")]

    result = notify(server, ["tdieuhanh", "tthongbao"], sender="tdieuhanh")
    assert (result["sent"], result["kept"]) == (2, 0)
    assert not (server.outbox / "tthongbao.jsonl").exists()

    # each initial password opens its mailbox only once changed at the password page
    operator_password = bootstrap_password(server, "tdieuhanh")
    server.assert_initial_password("tdieuhanh", operator_password)
    operator_password = change_password(server, "tdieuhanh", operator_password)
    [operator_notice] = read_notices(server, "tdieuhanh", operator_password)
    agency_password = credentials_in(operator_notice)[f"tthongbao@{DOMAIN}"]
    server.assert_initial_password("tthongbao", agency_password)
    [notice] = read_notices(server, "tthongbao",
                            change_password(server, "tthongbao", agency_password))
    assert notice["Subject"].startswith("[Thư điện tử công vụ] Thông báo kết quả xử lý hộp thư")
    assert notice["From"].addresses[0].addr_spec == f"tdieuhanh@{DOMAIN}"
    assert notice["Content-Language"] == "vi"
    body = notice.get_body(("plain",)).get_content()
    assert "MẬT KHẨU BAN ĐẦU CỦA HỘP THƯ CÁ NHÂN" in body and "101/ĐN-E2E" in body
    assert "phải đổi mật khẩu ngay khi đăng nhập lần đầu (khoản 1 Điều 12)" in body
    assert operator_notice.get_body(("plain",)).get_content().startswith(
        f"Kính gửi: {OPERATOR['technical_unit']}\n")
    assert list(credentials_in(notice)) == [f"tnguoimoi@{DOMAIN}"]  # its own stays with Sở TTTT
    server.assert_initial_password("tnguoimoi", credentials_in(notice)[f"tnguoimoi@{DOMAIN}"])


def test_revocation_is_journaled_and_not_notified(province):
    server = province.server
    province.declare(mailbox("tnghihuu", "tnghihuu"))
    province.run(commit="c1", approved_by="pheduyet")
    lines = (server.outbox / "tnghihuu.jsonl").read_text().count("\n")
    province.declare(mailbox("tnghihuu", "tnghihuu", status="revoked"))
    province.run(commit="c2", approved_by="pheduyet")
    assert (server.outbox / "tnghihuu.jsonl").read_text().count("\n") == lines
    journal = [json.loads(line) for line in (server.data / "journal.jsonl").read_text(
        "utf-8").splitlines()]
    mine = [(e["action"], e["commit"], e["approved_by"]) for e in journal
            if e["address"] == "tnghihuu"]
    assert mine == [("create", "c1", "pheduyet"), ("revoke", "c2", "pheduyet")]
    text = (server.data / "journal.jsonl").read_text("utf-8")
    assert '"password"' not in text
    assert_no_secret(server, text)


def test_failed_send_keeps_the_notice_and_the_next_run_delivers_it(province):
    server = province.server
    province.declare(mailbox("tguilai", "tguilai", kind="agency"), mailbox("tthulai", "tguilai"))
    province.run()
    outbox = server.outbox / "tguilai.jsonl"
    before = outbox.read_text("utf-8")

    failed = notify(server, ["tguilai"], sender="sotttt", port=closed_port())
    assert (failed["sent"], failed["kept"]) == (0, 1) and failed["errors"][0].startswith("HYN001")
    assert outbox.read_text("utf-8") == before

    retried = notify(server, ["tguilai"], sender="sotttt")
    assert (retried["sent"], retried["kept"]) == (1, 0) and not outbox.exists()
    [notice] = read_notices(server, "tguilai", province.password("tguilai"))
    server.assert_initial_password("tthulai", credentials_in(notice)[f"tthulai@{DOMAIN}"])


def test_a_transfer_is_told_to_the_receiving_agency_by_its_own_name(province):
    """The security review's L7: the notice of a move reached tienlu@ as "Kính gửi: Sở
    Thông tin và Truyền thông" (the sending agency's name). The sending agency is named
    once, as where the person comes from."""
    server = province.server
    sending, receiving = {"agency_name": "Sở Gửi Đi"}, {"agency_name": "Ủy ban Nhận Về"}
    province.declare(mailbox("tguidi", "tguidi", kind="agency", directory=sending),
                     mailbox("tnhanve", "tnhanve", kind="agency", directory=receiving),
                     mailbox("tchuyendi", "tguidi", directory=sending))
    province.run()
    password = province.password("tnhanve")
    notify(server, ["tguidi", "tnhanve"], sender="sotttt")
    province.declare(mailbox("tguidi", "tguidi", kind="agency", directory=sending),
                     mailbox("tnhanve", "tnhanve", kind="agency", directory=receiving),
                     mailbox("tchuyendi", "tnhanve", directory=receiving))
    province.run()
    assert not (server.outbox / "tguidi.jsonl").exists()
    assert notify(server, ["tnhanve"], sender="sotttt")["sent"] == 1
    [notice] = [n for n in read_notices(server, "tnhanve", password)
                if "tchuyendi@" in n.get_body(("plain",)).get_content()]
    body = notice.get_body(("plain",)).get_content()
    assert body.startswith("Kính gửi: Ủy ban Nhận Về\n")
    # the sending agency by its name (review N4), never its id, and only as the origin
    assert "   Chuyển công tác từ: Sở Gửi Đi.\n" in body and body.count("Sở Gửi Đi") == 1
    assert "tguidi" not in body


def test_many_refused_recipients_do_not_stop_the_batch(province):
    """Postfix drops a client after 20 errors (smtpd_hard_error_limit): the notifier must
    not lose the notices that come after many refused ones."""
    server = province.server
    province.declare(mailbox("tzcuoi", "tzcuoi", kind="agency"))
    province.run()
    meta = {"domain": DOMAIN, "operator": "sotttt", "now": "2026-11-29T03:00:00+00:00"}
    missing = [f"tkhongco{i}" for i in range(25)]
    outbox.append_notices(str(server.outbox), {m: new_notice(m, meta) for m in missing})
    result = notify(server, [*missing, "tzcuoi"], sender="sotttt")
    assert (result["sent"], result["kept"]) == (1, 25)
    assert {e.split()[0] for e in result["errors"]} == {"HYN003"}
    assert not (server.outbox / "tzcuoi.jsonl").exists()


@pytest.mark.playbook
def test_apply_playbook_leaves_each_agency_its_notice(server, tmp_path):
    """``make apply`` on a small province: apply.yml, which ends with notify.yml.

    apply.yml sets up the session's server too: its postmaster@ and abuse@ stay with the
    inventory's operator (``mailserver_root_recipient``), so that the tests after this one
    find the server as the suite set it up."""
    result = run_playbook(
        "apply.yml", str(server.state_dir), "-e", f"mailboxes_dir={ROOT}/tests/fixtures/notify",
        "-e", f"desired_file={tmp_path}/desired.json", "-e", "operator_mailbox=sonv",
        "-e", f"mailserver_root_recipient={INVENTORY['operator_mailbox']}@{DOMAIN}",
        "-e", "commit=e2e-apply", "-e", "approved_by=pheduyet")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "bootstrap/sonv@hungyen.gov.vn.credentials" in result.stdout
    passwords = {}
    for agency in ("sonv", "kimdong", "toanthang"):
        notices = delivered_notices(server, agency)
        assert len(notices) == 1, agency
        passwords.update(credentials_in(notices[0]))
    # Sở Nội vụ, the operator here, holds the agency and division mailboxes' passwords
    assert set(passwords) == {f"{a}@{DOMAIN}" for a in (
        "btnanh", "kimdong", "pnv.kimdong", "hvthu", "toanthang", "dthong")}
    assert not any(password in result.stdout for password in passwords.values())
    server.assert_initial_password("dthong", passwords[f"dthong@{DOMAIN}"])
