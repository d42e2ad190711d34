"""Emergency action (Điều 10.1.g) against the real Postfix + Dovecot: the action is immediate,
apply never undoes it while its hold lasts, and the hold ends when the repository agrees or
when it is released."""

from __future__ import annotations

import json
import stat
from dataclasses import replace

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import emergency
from ansible_collections.hungyen.mail.plugins.module_utils.apply.holds import (
    HoldError,
    load_holds,
    read_file,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from e2e_support import DOMAIN, assert_no_secret, mailbox, run_playbook

pytestmark = pytest.mark.server
LOCK_LETTER = Request("303/STTTT-KHAN", "2026-11-30")


def act(server, address: str, action: str, check: bool = False, **extra) -> dict:
    """One emergency call, as playbooks/emergency.yml makes it."""
    params = {"address": f"{address}@{DOMAIN}", "action": action, "by": "pheduyet-sotttt",
              "reason": "tài khoản bị chiếm quyền, gửi thư lừa đảo", **extra}
    backend = backend_from_settings(str(server.state_dir), DOMAIN)
    return emergency.run(backend, str(server.state_dir), params, check_mode=check)


def status(server, local: str) -> str:
    """The account's status as the server's files say it."""
    return backend_from_settings(str(server.state_dir), DOMAIN).read_state()[local].status


def test_emergency_lock_is_immediate_and_survives_apply_until_the_repository_agrees(province):
    server = province.server
    province.declare(mailbox("tkhancap", "temergency"))
    province.run()
    password = province.password("tkhancap")
    before = server.snapshot()
    assert act(server, "tkhancap", "lock", check=True)["changed"] is True
    assert server.snapshot() == before, "check mode acted on the server"

    result = act(server, "tkhancap", "lock")
    assert result["changed"] and result["hold"]["by"] == "pheduyet-sotttt"
    assert result["msg"] == ("tkhancap: đã tạm khóa khẩn cấp; giữ nguyên cho đến khi kho khai "
                             "báo trạng thái locked (đang tạm khóa) hoặc gỡ bỏ biện pháp khẩn "
                             "cấp (action=release)")
    again = act(server, "tkhancap", "lock")
    assert again["changed"] is False  # idempotent
    assert again["msg"] == ("tkhancap: đã ở trạng thái đang tạm khóa, tạm khóa khẩn cấp đang "
                            "có hiệu lực")
    server.assert_no_login("tkhancap", password)
    server.send("tkhancap", "van nhan thu khi khoa khan cap")
    assert server.delivered("tkhancap", "van nhan thu khi khoa khan cap")

    # The repository still declares it active: apply plans the unlock but holds it.
    for run in (province.run(check=True), province.run()):
        assert run["changed"] is False and run["summary"]["held"] == 1
        assert [h["address"] for h in run["holds"]] == ["tkhancap"]
        assert "⛔ BIỆN PHÁP KHẨN CẤP" in run["plan_markdown"]
        assert "pheduyet-sotttt" in run["plan_markdown"]
    assert status(server, "tkhancap") == "locked"

    # Sở TTTT's merge request declares the lock: the hold ends, recorded in the result.
    province.declare(replace(mailbox("tkhancap", "temergency", status="locked",
                                     lock_reason="compromised"), request=LOCK_LETTER))
    sotttt = {"change_author": "pheduyet-sotttt", "reviewers": REVIEWERS}
    results = [province.run(check=True, **sotttt), province.run(**sotttt),
               province.run(check=True, **sotttt), province.run(**sotttt)]
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert results[0]["holds_cleared"] == ["tkhancap"] == results[1]["holds_cleared"]
    assert results[2]["holds_cleared"] == [] and results[2]["holds"] == []
    assert "tkhancap" not in load_holds(str(server.state_dir))
    events = [e["event"] for e in read_file(str(server.state_dir))["log"]
              if e["address"] == "tkhancap"]
    assert events == ["set", "clear"]


def test_emergency_revoke_held_then_released_lets_apply_restore_the_declaration(province):
    server = province.server
    province.declare(mailbox("tthukhan", "temergency2"))
    province.run()
    old_password = province.password("tthukhan")
    act(server, "tthukhan", "revoke")
    code, text = server.refusal("tthukhan")
    assert code == 550 and "revoked" in text and "diem c khoan 2 Dieu 6" in text

    assert province.run()["changed"] is False  # the reinstate is held
    assert server.refusal("tthukhan")[0] == 550

    released = act(server, "tthukhan", "release", reason="đã xác minh, an toàn")
    assert released["changed"] and released["released"]["action"] == "revoke"
    assert released["msg"].startswith("tthukhan: đã gỡ bỏ biện pháp khẩn cấp (thu hồi khẩn "
                                      "cấp); lần áp dụng sau")
    assert act(server, "tthukhan", "release")["changed"] is False
    result = province.run()
    assert [c["action"] for c in result["changes"]] == ["reinstate"]
    server.assert_initial_password("tthukhan", province.issued_password("tthukhan"))
    new_password = province.password("tthukhan")
    assert new_password != old_password, "the unlock issued no new password"
    server.assert_login("tthukhan", new_password)


def test_emergency_refuses_unknown_address_other_domain_and_missing_reason(province):
    with pytest.raises(HoldError, match="HYH004"):
        act(province.server, "khongco", "lock")
    with pytest.raises(HoldError, match="HYH006"):
        emergency.local_part("x@example.org", DOMAIN)
    province.declare(mailbox("tlydokhan", "temergency3"))
    province.run()
    with pytest.raises(HoldError, match="HYH002"):
        act(province.server, "tlydokhan", "lock", reason="  ")


# Sở TTTT's reviewers: the owners of mailboxes/sotttt.yml, as apply.yml reads them.
REVIEWERS = ["vanthu-sotttt", "pheduyet-sotttt"]
CLERK = {"change_author": "vanthu-temergency4", "change_approvers": ["vanthu-temergency4"],
         "reviewers": REVIEWERS}


def held(result: dict, address: str) -> dict:
    """The hold on ``address`` as the run shows it (holds of earlier tests stay)."""
    [found] = [hold for hold in result["holds"] if hold["address"] == address]
    return found


def held_and_declared(province, local: str, agency: str, action: str, **fields) -> None:
    """A new mailbox, applied, then held by Sở TTTT (``action``), then declared by the
    repository with the held status (``fields``) and Sở TTTT's letter."""
    province.declare(mailbox(local, agency))
    province.run()
    act(province.server, local, action)
    province.declare(replace(mailbox(local, agency, **fields), request=LOCK_LETTER))


def test_a_clerks_merge_request_declaring_the_revoke_does_not_end_an_emergency_revoke(province):
    """The attack: a clerk declares `status: revoked` (the hold settles), then `active`."""
    server = province.server
    held_and_declared(province, "tkhanclerk", "temergency4", "revoke", status="revoked")
    kept = province.run(**CLERK)
    assert kept["holds_cleared"] == [] and "tkhanclerk" in load_holds(str(server.state_dir))
    assert held(kept, "tkhanclerk")["why"].startswith("HYH011 ")
    assert "HYH011" in kept["plan_markdown"]

    province.declare(mailbox("tkhanclerk", "temergency4"))  # ... and reinstated next
    again = province.run(**CLERK)
    assert again["changed"] is False and again["summary"]["held"] == 1
    assert server.refusal("tkhanclerk")[0] == 550
    assert status(server, "tkhanclerk") == "revoked"


def test_without_a_named_author_an_apply_keeps_every_hold(province):
    server = province.server
    held_and_declared(province, "tkhanlocal", "temergency5", "lock", status="locked",
                      lock_reason="compromised")
    kept = province.run(reviewers=REVIEWERS)
    assert kept["holds_cleared"] == [] and held(kept, "tkhanlocal")["why"].startswith("HYH012 ")
    assert "tkhanlocal" in load_holds(str(server.state_dir))


def test_a_merge_request_approved_by_a_sotttt_reviewer_ends_the_hold(province):
    server = province.server
    held_and_declared(province, "tkhanduyet", "temergency6", "revoke", status="revoked")
    approved = CLERK | {"change_approvers": ["@PheDuyet-SoTTTT"], "change_merger": "vanthu-sotttt"}
    result = province.run(**approved)
    assert result["holds_cleared"] == ["tkhanduyet"]
    assert "tkhanduyet" not in load_holds(str(server.state_dir))
    cleared = [e for e in read_file(str(server.state_dir))["log"]
               if e["address"] == "tkhanduyet" and e["event"] == "clear"]
    assert [e["by"] for e in cleared] == ["pheduyet-sotttt"]

    # The next merge request's change is journaled with its author, approvers and merger.
    province.declare(replace(mailbox("tkhanduyet", "temergency6", status="revoked",
                                     name="Cán bộ đã nghỉ"), request=LOCK_LETTER))
    assert province.run(**approved)["changed"]
    journal = (server.data / "journal.jsonl").read_text("utf-8").splitlines()
    last = json.loads(journal[-1])
    assert last["address"] == "tkhanduyet" and last["author"] == "vanthu-temergency4"
    assert last["approvers"] == ["@PheDuyet-SoTTTT"] and last["merger"] == "vanthu-sotttt"


@pytest.mark.playbook
def test_the_emergency_playbook_leaves_a_hash_free_snapshot_with_the_hold(province, tmp_path):
    server = province.server
    province.declare(mailbox("tkhanchup", "temergency7"))
    province.run()
    snap = tmp_path / "build" / "snapshot.json"
    try:
        result = run_playbook("emergency.yml", str(server.state_dir), "-e", "address=tkhanchup",
                              "-e", "action=lock", "-e", "by=pheduyet-sotttt",
                              "-e", "reason=tài khoản bị chiếm quyền",
                              "-e", f"snapshot_file={snap}")
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr
        assert stat.S_IMODE(snap.stat().st_mode) == 0o600
        data = json.loads(snap.read_text("utf-8"))
        assert data["holds"]["tkhanchup"]["by"] == "pheduyet-sotttt"
        [account] = [a for a in data["accounts"] if a["address"] == "tkhanchup"]
        assert account["status"] == "locked"
        assert not (set(account) & {"hash", "password", "issued"})
        assert_no_secret(server, snap.read_text("utf-8"))
        assert "$argon2" not in snap.read_text("utf-8").lower()
    finally:
        act(server, "tkhanchup", "release", reason="xong phép thử")
