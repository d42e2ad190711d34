"""Emergency holds, the reviewed-plan comparison and the drift report, as plain functions."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift, journal
from ansible_collections.hungyen.mail.plugins.module_utils.apply.drift import build, render_markdown
from ansible_collections.hungyen.mail.plugins.module_utils.apply.holds import (
    ACTION_WORDS,
    Authority,
    Hold,
    HoldError,
    HoldSet,
    action_choices,
    emergency_change,
    emergency_hold,
    held_status,
    settled,
)
from ansible_collections.hungyen.mail.plugins.module_utils.apply.reconcile import change_record
from ansible_collections.hungyen.mail.plugins.module_utils.backends import digests
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import plan_document
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import (
    render_markdown as plan_markdown,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.review import (
    StalePlanError,
    check_reviewed,
    unshown,
)

DOMAIN = "hungyen.gov.vn"
LETTER = Request("1/ĐN", "2026-11-01")


def box(address: str, **fields) -> Mailbox:
    return Mailbox(address=address, kind="person", agency="sotttt", name=f"Người {address}",
                   request=LETTER, **fields)


def hold(address: str, action: str = "lock") -> Hold:
    return Hold(address=address, action=action, reason="bị chiếm quyền", by="pheduyet",
                at="2026-11-29T10:00:00+00:00", lock_reason="compromised")


@pytest.mark.parametrize(("declared", "action", "ends"), [
    ("active", "lock", False), ("locked", "lock", True), ("revoked", "lock", False),
    ("revoked", "revoke", True), ("active", "revoke", False)])
def test_a_hold_ends_only_when_the_declared_status_equals_the_held_one(declared, action, ends):
    holds = {"an": hold("an", action)}
    kwargs = {"lock_reason": "violation"} if declared == "locked" else {}
    assert bool(settled(holds, [box("an", status=declared, **kwargs)])) is ends


def test_a_hold_on_an_old_address_ends_when_the_renamed_mailbox_declares_it():
    assert settled({"cu": hold("cu")}, [box("moi", previous=("cu",), status="locked",
                                             lock_reason="compromised")])


def test_an_undeclared_mailbox_keeps_its_hold():
    assert settled({"an": hold("an")}, []) == []


@pytest.mark.clock  # a hold records when it was set
def test_emergency_change_locks_once_and_needs_a_reason():
    account = account_from_mailbox(box("an"))
    change = emergency_change(account, emergency_hold(account, "lock", "x", "op", "compromised"))
    assert change.action == "lock" and change.after["status"] == "locked"
    assert emergency_change(account.evolve(status="locked"), hold("an")) is None
    with pytest.raises(HoldError, match="HYH002"):
        emergency_hold(account, "lock", " ", "op", None)
    with pytest.raises(HoldError, match="HYH003"):
        emergency_hold(account.evolve(status="revoked"), "lock", "x", "op", None)


def test_plan_shows_every_active_hold_loudly():
    changes = plan_changes([box("an")], {"an": account_from_mailbox(box("an")).evolve(
        status="locked", lock_reason="compromised")}, holds={"an"})
    text = plan_markdown(changes, DOMAIN, [hold("an").to_dict() | {"clears": False}])
    assert "⛔ BIỆN PHÁP KHẨN CẤP (điểm g khoản 1 Điều 10): 1 hộp thư" in text
    assert "**TẠM KHÓA KHẨN CẤP** `lock` `an@hungyen.gov.vn`" in text and "pheduyet" in text
    assert "BIỆN PHÁP KHẨN CẤP: không áp dụng lần này" in text


def reviewed_for(desired, actual, digest="old") -> dict:
    return json.loads(json.dumps(plan_document(plan_changes(desired, actual), DOMAIN,
                                               {"state_digest": digest})))


def test_reviewed_plan_allows_what_it_showed_and_refuses_the_rest():
    live = {"cu": account_from_mailbox(box("cu"))}
    reviewed = reviewed_for([box("cu"), box("moi")], live)
    assert unshown(plan_changes([box("cu"), box("moi")], live), reviewed, "new") == []
    moved = {"cu": live["cu"].evolve(name="Sửa tay")}
    extra = unshown(plan_changes([box("cu"), box("moi")], moved), reviewed, "new")
    assert [(c.action, c.address) for c in extra] == [("update", "cu")]
    stale = r"HYR003.*cập nhật thông tin danh bạ \(update\) cu"
    with pytest.raises(StalePlanError, match=stale):
        check_reviewed(plan_changes([box("cu"), box("moi")], moved), reviewed, "new")


def test_same_live_state_as_reviewed_is_never_stale():
    reviewed = reviewed_for([box("moi")], {}, digest="same")
    assert unshown(plan_changes([box("khac")], {}), reviewed, "same") == []


def test_drift_report_without_findings_says_so():
    report = build([], [], [], DOMAIN)
    assert report["drift"] is False and "Không có sai lệch" in render_markdown(report)


def test_drift_report_counts_each_kind_with_its_code():
    changes = plan_changes([box("khaibao")], {"la": account_from_mailbox(box("la"))})
    edits = [{"file": "vmailbox", "state": "edited", "expected": "a", "actual": "b"}]
    report = build(changes, [hold("x").to_dict() | {"clears": False}], edits, DOMAIN)
    assert report["summary"] == {"undeclared": 1, "holds": 1, "hand_edits": 1, "pending": 1,
                                 "config_edits": 0}
    text = render_markdown(report)
    for code in ("HYD001", "HYD002", "HYD003", "HYD004"):
        assert f"| {code} |" in text and f"## {code}" in text


@pytest.mark.parametrize(("fragment", "expected"), [
    # HYD001: the lifecycle's drift label, the server's status as people read it
    ("## HYD001 ", "## HYD001 Hộp thư có trên máy chủ nhưng chưa khai báo (giữ nguyên) — "
                   "điểm đ khoản 1 Điều 10, điểm c khoản 2 Điều 10"),
    ("`la@hungyen.gov.vn` — ", "`la@hungyen.gov.vn` — `Người la`, cơ quan `sotttt`, trạng thái "
                               "đang hoạt động"),
    ("## HYD002 ", "## HYD002 Biện pháp khẩn cấp đang có hiệu lực — điểm g khoản 1 Điều 10"),
    ("## HYD003 ", "## HYD003 Tệp dữ liệu bị sửa thủ công (mã băm SHA-256 khác với lần công cụ "
                   "ghi cuối)"),
    ("`data/live/vmailbox`: ", "`data/live/vmailbox`: nội dung đã bị sửa"),
])
def test_drift_report_reads_the_glossarys_words(fragment, expected):
    changes = plan_changes([box("khaibao")], {"la": account_from_mailbox(box("la"))})
    edits = [{"file": "vmailbox", "state": "edited", "expected": "a", "actual": "b"}]
    text = render_markdown(build(changes, [hold("x").to_dict() | {"clears": False}], edits,
                                 DOMAIN))
    [line] = [line for line in text.splitlines() if fragment in line]
    assert expected in line
    for avoided in ("tạm giữ", "active", "sửa tay", "dấu kiểm", "không được khai báo"):
        assert avoided not in text


@pytest.mark.parametrize(("directory", "agency"), [
    ({"agency_name": "Sở Thông tin và Truyền thông"}, "Sở Thông tin và Truyền thông (`sotttt`)"),
    ({}, "`sotttt`"),  # the server recorded no name: the id
])
def test_an_undeclared_mailbox_names_its_agency(directory, agency):
    changes = plan_changes([], {"la": account_from_mailbox(box("la", directory=directory))})
    text = render_markdown(build(changes, [], [], DOMAIN))
    assert f"— `Người la`, cơ quan {agency}, trạng thái đang hoạt động" in text


@pytest.mark.parametrize(("summary", "text"), [
    ({"undeclared": 2, "holds": 0, "hand_edits": 0, "pending": 1234},
     "2 mục HYD001, 1.234 mục HYD004"),
    ({"undeclared": 0, "holds": 1, "hand_edits": 3, "pending": 0}, "1 mục HYD002, 3 mục HYD003"),
])
def test_drift_run_counts_read_as_codes_and_vietnamese_numbers(summary, text):
    assert drift.summary_text(summary) == text


@pytest.mark.parametrize(("action", "status", "words"), [
    ("lock", "locked (đang tạm khóa)", "tạm khóa khẩn cấp"),
    ("revoke", "revoked (đã thu hồi)", "thu hồi khẩn cấp"),
])
def test_emergency_words_and_the_held_status_glossed(action, status, words):
    held = hold("x") if action == "lock" else Hold("x", "revoke", "r", "b", "2026-11-29")
    assert held_status(held) == status and ACTION_WORDS[action] == words
    assert f"{action} ({words})" in action_choices()
    refusal = Authority.of(None).refusal(held)
    assert refusal.startswith(f"HYH012 kho đã khai báo hộp thư x với trạng thái {status}, "
                              "nhưng biện pháp khẩn cấp vẫn giữ nguyên")


def test_an_unknown_emergency_action_lists_the_choices_with_their_words():
    account = account_from_mailbox(box("an"))
    with pytest.raises(HoldError, match="HYH001 thao tác 'khoa' .* lock \\(tạm khóa khẩn cấp\\), "
                       "revoke \\(thu hồi khẩn cấp\\), release \\(gỡ bỏ biện pháp khẩn cấp\\)"):
        emergency_hold(account, "khoa", "r", "b", None)


def test_digests_tell_hand_edits_from_the_backends_own_writes(tmp_path):
    (tmp_path / "vmailbox").write_text("a OK\n")
    (tmp_path / "valias").write_text("")
    (tmp_path / "acl").write_text("x\n")
    assert digests.hand_edits(str(tmp_path), ("vmailbox", "valias")) == [
        {"file": "vmailbox", "state": "unrecorded", "expected": None,
         "actual": digests.file_digest(str(tmp_path / "vmailbox"))}]
    digests.record(str(tmp_path), {"vmailbox": "a OK\n", "valias": "", "acl": "x\n"}, "now")
    assert digests.hand_edits(str(tmp_path), ("vmailbox", "valias", "acl")) == []
    (tmp_path / "vmailbox").write_text("a OK\nb OK\n")
    (tmp_path / "acl").unlink()
    states = {e["file"]: e["state"] for e in digests.hand_edits(str(tmp_path),
                                                                 ("vmailbox", "acl"))}
    assert states == {"vmailbox": "edited", "acl": "missing"}


# --- who may end a hold (issue 21 item 6) -------------------------------------------------
REVIEWERS = ("vanthu-sotttt", "pheduyet-sotttt")


@pytest.mark.parametrize(("author", "approvers", "ends", "code"), [
    ("vanthu-tienlu", ("vanthu-tienlu",), False, "HYH011"),  # a clerk's own merge request
    ("vanthu-tienlu", (), False, "HYH011"),
    (None, (), False, "HYH012"),  # the operator's local apply names nobody
    (None, ("pheduyet-sotttt",), False, "HYH012"),  # approvers without an author: unknown MR
    ("pheduyet-sotttt", (), True, None),  # authored by a Sở TTTT reviewer
    ("vanthu-tienlu", ("@PheDuyet-SoTTTT",), True, None),  # approved by one
])
def test_a_hold_the_repository_agrees_with_ends_only_with_a_sotttt_reviewer(
        author, approvers, ends, code):
    holds = {"an": hold("an", "revoke")}
    ready = settled(holds, [box("an", status="revoked")])
    held = HoldSet.judge(holds, ready, Authority.of(author, approvers, REVIEWERS))
    assert [h.address for h in held.cleared] == (["an"] if ends else [])
    assert held.frozen() == (set() if ends else {"an"})
    [shown] = held.describe()
    assert shown["clears"] is ends
    assert (shown.get("why") or "").startswith(code or "") and ("why" in shown) is not ends


def test_a_clerk_cannot_revoke_then_reinstate_through_an_emergency_revoke():
    holds = {"an": hold("an", "revoke")}
    clerk = Authority.of("vanthu-sotttt-khong", ["vanthu-tienlu"], REVIEWERS)
    for status in ("revoked", "active"):
        held = HoldSet.judge(holds, settled(holds, [box("an", status=status)]), clerk)
        assert held.cleared == [] and "an" in held.frozen()


def test_a_kept_hold_says_why_in_the_plan():
    holds = {"an": hold("an", "revoke")}
    held = HoldSet.judge(holds, settled(holds, [box("an", status="revoked")]),
                         Authority.of("vanthu-tienlu", [], REVIEWERS))
    assert "HYH011" in held.describe()[0]["why"]
    assert "vanthu-tienlu" in held.describe()[0]["why"]


def test_the_journal_records_the_merge_requests_author_approvers_and_merger():
    params = {"commit": "abc", "approved_by": None, "change_author": "vanthu-tienlu",
              "change_approvers": ["pheduyet-sotttt", "vanthu-sotttt"],
              "change_merger": "vanthu-sotttt"}
    record = change_record(params)
    change = plan_changes([box("an")], {})[0]
    [entry] = journal.entries_for([change], record, "2026-12-06T00:00:00+00:00")
    assert entry["author"] == "vanthu-tienlu" and entry["merger"] == "vanthu-sotttt"
    assert entry["approvers"] == ["pheduyet-sotttt", "vanthu-sotttt"]
    assert entry["approved_by"] == "pheduyet-sotttt, vanthu-sotttt" and entry["commit"] == "abc"
    bare = change_record({"commit": None, "approved_by": None})
    assert journal.entries_for([change], bare, "2026-12-06T00:00:00+00:00")[0].keys() \
        .isdisjoint({"author", "approvers", "merger", "approved_by"})
