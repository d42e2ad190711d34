"""Every lifecycle action against the real Postfix + Dovecot: the four-step check
(check, apply, check, apply) and what a user then sees over SMTP and IMAP on loopback."""

from __future__ import annotations

import json
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    meets_policy,
    verify,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from e2e_support import DOMAIN, mailbox

pytestmark = pytest.mark.server
RESET_LETTER = Request("202/ĐN-E2E", "2026-11-30")


def passwd_hash(server, local: str) -> str:
    for line in (server.live / "users.passwd").read_text().splitlines():
        if line.startswith(f"{local}@{DOMAIN}:"):
            return line.split(":")[1]
    raise AssertionError(f"{local} not in users.passwd")


def account_record(server, local: str) -> dict:
    return json.loads((server.live / "accounts.json").read_text("utf-8"))["accounts"][local]


def test_create_gives_login_and_delivery(province):
    server = province.server
    province.declare(mailbox("tmoi", "tcreate"), mailbox("tcreate", "tcreate", kind="agency"))
    results = province.four_steps()
    # one notice for the agency; the agency mailbox's password goes to the operator's
    assert results[0]["summary"]["create"] == 2 and results[1]["applied"]["notices"] == {
        "sotttt": 1, "tcreate": 1}
    issued = province.issued_password("tmoi")
    assert meets_policy(issued) and len(issued) >= 12
    assert passwd_hash(server, "tmoi").startswith("{ARGON2ID}$argon2id$")
    assert account_record(server, "tmoi")["must_change"] is True
    assert stat.S_IMODE((server.outbox / "tcreate.jsonl").stat().st_mode) == 0o600
    for name in ("users.passwd", "must-change.passwd"):
        assert not stat.S_IMODE((server.live / name).stat().st_mode) & 0o007
    server.send("tmoi", "chao mung")
    assert server.delivered("tmoi", "chao mung")
    server.assert_initial_password("tmoi", issued)  # refused until changed (Điều 12.1)
    server.assert_login("tmoi", province.password("tmoi"))
def test_locked_mailbox_refuses_login_but_receives_mail_then_unlock_issues_new_password(
        province):
    server = province.server
    province.declare(mailbox("tkhoa", "tlock"))
    province.run()
    old_password = province.password("tkhoa")
    province.declare(mailbox("tkhoa", "tlock", status="locked", lock_reason="compromised"))
    assert province.four_steps()[0]["summary"]["lock"] == 1
    server.assert_no_login("tkhoa", old_password)
    server.send("tkhoa", "thu khi bi khoa")
    assert server.delivered("tkhoa", "thu khi bi khoa")

    province.declare(mailbox("tkhoa", "tlock"))
    assert province.four_steps()[0]["summary"]["unlock"] == 1
    server.assert_initial_password("tkhoa", province.issued_password("tkhoa"))
    new_password = province.password("tkhoa")
    assert new_password != old_password
    server.assert_login("tkhoa", new_password)
    server.assert_no_login("tkhoa", old_password)
def test_lock_reason_change_is_an_update(province):
    province.declare(mailbox("tlydo", "tlock2", status="locked", lock_reason="violation"))
    province.run()
    province.declare(mailbox("tlydo", "tlock2", status="locked", lock_reason="spam_malware"))
    results = province.four_steps()
    assert [c["action"] for c in results[0]["changes"]] == ["update"]
    assert account_record(province.server, "tlydo")["lock_reason"] == "spam_malware"


def test_revoked_address_refused_at_rcpt_and_mail_kept_then_reinstated(province):
    server = province.server
    province.declare(mailbox("tthuhoi", "trevoke"))
    province.run()
    password = province.password("tthuhoi")
    server.send("tthuhoi", "thu cu")
    kept = server.delivered("tthuhoi", "thu cu")

    province.declare(mailbox("tthuhoi", "trevoke", status="revoked"))
    assert province.four_steps()[0]["summary"]["revoke"] == 1
    code, text = server.refusal("tthuhoi")
    assert 500 <= code < 600 and "revoked" in text and "thu hoi" in text
    assert kept.exists()
    server.assert_no_login("tthuhoi", password)
    province.declare(mailbox("tthuhoi", "trevoke"))
    assert province.four_steps()[0]["summary"]["reinstate"] == 1
    server.assert_initial_password("tthuhoi", province.issued_password("tthuhoi"))
    new_password = province.password("tthuhoi")
    assert new_password != password, "no new password"
    server.assert_login("tthuhoi", new_password)
    server.send("tthuhoi", "thu moi")
    assert server.delivered("tthuhoi", "thu moi") and kept.exists()


def test_rename_keeps_mail_and_login_and_old_address_still_delivers(province):
    server = province.server
    old, new = "ptckh.trename", "ptckhdt.trename"
    province.declare(mailbox(old, "trename", kind="division"))
    province.run()
    password = province.password(old)
    server.send(old, "truoc khi doi ten")
    server.delivered(old, "truoc khi doi ten")

    province.forget(old)
    province.declare(mailbox(new, "trename", kind="division", previous=(old,)))
    results = province.four_steps()
    assert [(c["action"], c["old_address"]) for c in results[0]["changes"]] == [("rename", old)]
    assert server.maildir(new) == server.maildir(old)  # the mail did not move (atomic)
    assert server.delivered(new, "truoc khi doi ten")
    imap = server.imap(new, password)
    assert imap.select("INBOX")[1] == [b"1"]  # the new address logs into the old mail
    imap.logout()
    server.assert_login(new, password)
    server.send(old, "gui dia chi cu")
    assert server.delivered(new, "gui dia chi cu")


def test_move_changes_directory_data_only(province):
    server = province.server
    province.declare(mailbox("tchuyen", "tmovefrom"))
    province.run()
    password = province.password("tchuyen")
    server.send("tchuyen", "truoc khi chuyen")
    message = server.delivered("tchuyen", "truoc khi chuyen")
    hashed = passwd_hash(server, "tchuyen")

    province.declare(mailbox("tchuyen", "tmoveto"))
    results = province.four_steps()
    assert [c["action"] for c in results[0]["changes"]] == ["move"]
    assert account_record(server, "tchuyen")["agency"] == "tmoveto"
    assert message.exists() and passwd_hash(server, "tchuyen") == hashed
    server.assert_login("tchuyen", password)
def test_reset_password_on_request(province):
    server = province.server
    province.declare(mailbox("tdatlai", "treset"))
    province.run()
    old_password = province.password("tdatlai")
    province.declare(mailbox("tdatlai", "treset", password_reset=RESET_LETTER))
    results = province.four_steps()
    assert [c["action"] for c in results[0]["changes"]] == ["reset_password"]
    assert results[0]["changes"][0]["request"]["number"] == RESET_LETTER.number
    assert not verify(passwd_hash(server, "tdatlai"), old_password)
    assert account_record(server, "tdatlai")["must_change"] is True
    server.assert_initial_password("tdatlai", province.issued_password("tdatlai"))
    server.assert_login("tdatlai", province.password("tdatlai"))


def test_delegate_reads_agency_mailbox_with_own_login(province):
    server = province.server
    agency = mailbox("tuyquyen", "tuyquyen", kind="agency")
    province.declare(agency, mailbox("tvanthu", "tuyquyen"), mailbox("tphophong", "tuyquyen"))
    province.run()
    server.send("tuyquyen", "cong van den")
    server.delivered("tuyquyen", "cong van den")

    province.declare(mailbox("tuyquyen", "tuyquyen", kind="agency",
                             delegates=("tvanthu", "tphophong")))
    assert province.four_steps()[0]["summary"]["delegate"] == 1
    for delegate in ("tvanthu", "tphophong"):
        assert _reads_shared(server, delegate, province.password(delegate), "tuyquyen")

    province.declare(mailbox("tuyquyen", "tuyquyen", kind="agency", delegates=("tvanthu",)))
    assert province.four_steps()[0]["summary"]["delegate"] == 1
    _wait_acl_cache()
    assert not _reads_shared(server, "tphophong", province.password("tphophong"), "tuyquyen")


def _reads_shared(server, delegate: str, password: str, owner: str) -> bool:
    """Whether the delegate sees the owner's INBOX in the shared namespace and reads it."""
    _wait_acl_cache()
    imap = server.imap(delegate, password)
    try:
        status, _ = imap.select(f'"shared/{owner}@{DOMAIN}"', readonly=True)
        if status != "OK":
            return False
        _, data = imap.search(None, "SUBJECT", '"cong van den"')
        return bool(data[0].split())
    finally:
        imap.logout()


def _wait_acl_cache() -> None:
    import time

    time.sleep(1.2)  # the local inventory's mailserver_acl_cache_secs is 1


def test_undeclared_mailbox_is_drift_and_untouched(province):
    server = province.server
    province.declare(mailbox("tngoai", "tdrift"), mailbox("tkhaibao", "tdrift"))
    province.run()
    password = province.password("tngoai")
    hashed = passwd_hash(server, "tngoai")

    province.forget("tngoai")
    for result in (province.run(check=True), province.run()):
        assert result["changed"] is False
        assert "tngoai" in [d["address"] for d in result["drift"]]
    assert passwd_hash(server, "tngoai") == hashed
    server.send("tngoai", "van nhan thu")
    assert server.delivered("tngoai", "van nhan thu")
    server.assert_login("tngoai", password)
def test_update_of_directory_data_issues_no_password(province):
    province.declare(mailbox("tcapnhat", "tupdate"))
    province.run()
    province.declare(mailbox("tcapnhat", "tupdate", name="Tên mới",
                             directory={"title": "Trưởng phòng"}))
    assert [c["action"] for c in province.four_steps()[0]["changes"]] == ["update"]
    last = json.loads((province.server.outbox / "tupdate.jsonl").read_text().splitlines()[-1])
    assert [c["action"] for c in last["changes"]] == ["update"] and not last["credentials"]
    assert account_record(province.server, "tcapnhat")["name"] == "Tên mới"


def test_diff_mode_gives_before_and_after_per_mailbox(province):
    province.declare(mailbox("tdiff", "tdiffmode"))
    province.run()
    province.declare(mailbox("tdiff", "tdiffmode", status="locked", lock_reason="violation"))
    result = province.run(check=True, diff=True)
    [entry] = result["diff"]
    assert '"status": "active"' in entry["before"] and '"status": "locked"' in entry["after"]


def test_plan_file_holds_no_secret(province, tmp_path):
    province.declare(mailbox("tkehoach", "tplan"))
    plan_file = tmp_path / "plan.json"
    province.run(plan_file=str(plan_file))
    province.declare(mailbox("tkehoach", "tplan", password_reset=RESET_LETTER))
    province.run(check=True, plan_file=str(plan_file))
    plan = json.loads(plan_file.read_text("utf-8"))
    assert [c["action"] for c in plan["changes"] if c["action"] != "drift"] == [
        "reset_password"]
    markdown = plan_file.with_suffix(".md").read_text("utf-8")
    assert "Cấp lại mật khẩu" in markdown
    for text in (plan_file.read_text("utf-8"), markdown):
        assert province.issued_password("tkehoach") not in text and "$argon2" not in text
