"""Who is told what after an apply (Điều 6, 7.2.b, 8, 12.1), and the journal of the apply."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import journal
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.notices import notices
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import Change, plan_changes

DOMAIN = "hungyen.gov.vn"
LETTER = Request("12/UBND-VP", "2024-03-01")
META = {"domain": DOMAIN, "operator": "sotttt", "now": "2026-11-29T03:00:00+00:00",
        "commit": "abc123", "approved_by": "pheduyet"}


def box(address: str, agency: str, kind: str = "person", **fields) -> Mailbox:
    directory, letter = {"agency_name": f"Cơ quan {agency}"}, fields.pop("request", LETTER)
    return Mailbox(address=address, kind=kind, agency=agency, name=f"Tên {address}",
                   request=letter, directory=directory, **fields)


def build(desired: list[Mailbox], actual: dict | None = None, final: dict | None = None):
    changes = plan_changes(desired, actual or {})
    passwords = {c.address: f"Pw#{c.address}9x" for c in changes if c.needs_password}
    return changes, notices.build(changes, passwords, final or {}, META)


def test_one_notice_per_agency_with_personal_passwords():
    _, out = build([box("tvan", "tienlu"), box("lthoa", "tienlu"), box("ddat", "anvien")])
    assert sorted(out.notices) == ["anvien", "tienlu"]
    tienlu = out.notices["tienlu"]
    assert tienlu["to"] == f"tienlu@{DOMAIN}" and tienlu["agency_name"] == "Cơ quan tienlu"
    assert [c["address"] for c in tienlu["changes"]] == [f"lthoa@{DOMAIN}", f"tvan@{DOMAIN}"]
    assert {c["password"] for c in tienlu["changes"]} == {"notice"}
    assert [(c["address"], c["password"]) for c in tienlu["credentials"]] == [
        (f"lthoa@{DOMAIN}", "Pw#lthoa9x"), (f"tvan@{DOMAIN}", "Pw#tvan9x")]
    assert tienlu["commit"] == "abc123" and tienlu["approved_by"] == "pheduyet"


def test_agency_and_division_passwords_go_to_the_operator():
    _, out = build([box("tienlu", "tienlu", "agency"), box("ptckh.tienlu", "tienlu", "division"),
                    box("sotttt", "sotttt", "agency")])
    tienlu, operator = out.notices["tienlu"], out.notices["sotttt"]
    assert tienlu["credentials"] == [] and tienlu["unit_credentials"] == []
    assert {c["password"] for c in tienlu["changes"]} == {"operator"}
    assert [c["address"] for c in operator["unit_credentials"]] == [
        f"ptckh.tienlu@{DOMAIN}", f"tienlu@{DOMAIN}"]
    assert operator["operator"] is True and not tienlu["operator"]


def test_operator_mailbox_password_goes_to_bootstrap_never_to_a_notice():
    _, out = build([box("sotttt", "sotttt", "agency")])
    [item] = out.bootstrap
    assert item["address"] == f"sotttt@{DOMAIN}" and item["password"] == "Pw#sotttt9x"
    assert "Pw#sotttt9x" not in json.dumps(out.notices)
    assert out.notices["sotttt"]["changes"][0]["password"] == "bootstrap"
    text = notices.bootstrap_text(item, META["now"])
    assert "password: Pw#sotttt9x" in text and "address: sotttt@hungyen.gov.vn" in text
    # who the operator is comes from the inventory, which this file is written without
    assert "Sở" not in text and "đơn vị quản lý hệ thống thư điện tử công vụ" in text
    assert "cấp lúc 10:00 ngày 29/11/2026" in text and f"issued: {META['now']}" in text


def test_revocation_is_not_notified_but_journaled():
    active = account_from_mailbox(box("vtlan", "tienlu"))
    changes, out = build([box("vtlan", "tienlu", status="revoked")], {"vtlan": active})
    assert [c.action for c in changes] == ["revoke"] and out.notices == {}
    [entry] = journal.entries_for(changes, {"commit": "abc123"}, META["now"])
    assert entry["action"] == "revoke" and entry["address"] == "vtlan"
    assert entry["request"] == {"number": "12/UBND-VP", "date": "2024-03-01"}


def test_unlock_tells_the_new_password_and_lock_tells_the_reason():
    locked = account_from_mailbox(box("tkhoa", "tienlu")).evolve(
        status="locked", lock_reason="compromised")
    _, out = build([box("tkhoa", "tienlu")], {"tkhoa": locked})
    [change] = out.notices["tienlu"]["changes"]
    assert change["action"] == "unlock" and change["password"] == "notice"
    assert out.notices["tienlu"]["credentials"][0]["password"] == "Pw#tkhoa9x"

    active = account_from_mailbox(box("tkhoa", "tienlu"))
    _, out = build([box("tkhoa", "tienlu", status="locked", lock_reason="violation")],
                   {"tkhoa": active})
    [change] = out.notices["tienlu"]["changes"]
    assert change["action"] == "lock" and change["lock_reason"] == "violation"
    assert out.notices["tienlu"]["credentials"] == []


def test_mailbox_created_locked_gets_no_password_told():
    _, out = build([box("tmoi", "tienlu", status="locked", lock_reason="violation")],
                   final={"tmoi": "locked"})
    notice = out.notices["tienlu"]
    assert [c["action"] for c in notice["changes"]] == ["create", "lock"]
    assert notice["changes"][0]["password"] == "withheld" and notice["credentials"] == []


def test_move_is_told_to_the_receiving_agency():
    before = account_from_mailbox(box("tchuyen", "tienlu"))
    _, out = build([box("tchuyen", "anvien")], {"tchuyen": before})
    assert list(out.notices) == ["anvien"]
    [change] = out.notices["anvien"]["changes"]
    assert change["from_agency"] == "tienlu" and change["from_agency_name"] == "Cơ quan tienlu"
    assert change["measure"] is None and change["request"] == {
        "number": "12/UBND-VP", "date": "2024-03-01"}


# the apply's record -> the measure each change carries (an emergency lock or revoke only)
MEASURES = [
    ({}, "lock", None),
    ({"emergency": "lock", "by": "quantri", "reason": "lộ mật khẩu"}, "lock",
     {"action": "lock", "reason": "lộ mật khẩu"}),
    ({"emergency": "lock", "by": "quantri"}, "lock", {"action": "lock", "reason": ""}),
    ({"emergency": "lock", "by": "quantri", "reason": "x"}, "create", None),
]


@pytest.mark.parametrize(("record", "action", "measure"), MEASURES)
def test_an_emergency_measure_is_carried_with_its_reason(record, action, measure):
    change = Change(action, "tkhan", "tienlu", "Tên tkhan", LETTER, None,
                    account_from_mailbox(box("tkhan", "tienlu")).view())
    out = notices.build([change], {"tkhan": "Pw#1"}, {}, META | record)
    assert out.notices["tienlu"]["changes"][0]["measure"] == measure


def test_a_basis_record_is_cited_instead_of_a_request():
    basis = {"number": "08/2017/QĐ-UBND", "date": "2017-06-02", "issuer": "UBND tỉnh"}
    changes = plan_changes([box("tcu", "tienlu", request=Request.from_dict(basis))], {})
    out = notices.build(changes, {"tcu": "Pw#1"}, {}, META)
    notice = out.notices["tienlu"]
    assert notice["changes"][0]["basis"] == basis and notice["changes"][0]["request"] is None
    assert notice["credentials"][0]["basis"] == basis


def test_a_transfer_notice_is_addressed_with_the_receiving_agencys_name():
    """The security review's L7: "Kính gửi: Sở TTTT" was sent to tienlu@ (the move's
    ``after`` kept the sending agency's directory data)."""
    before = account_from_mailbox(box("nhphuc", "sotttt"))
    _, out = build([box("nhphuc", "tienlu", password_reset=LETTER)], {"nhphuc": before})
    notice = out.notices["tienlu"]
    assert notice["to"] == f"tienlu@{DOMAIN}" and notice["agency_name"] == "Cơ quan tienlu"
    assert {c["agency_name"] for c in notice["credentials"]} == {"Cơ quan tienlu"}


def test_journal_entries_hold_no_secret_and_the_approval():
    changes, _ = build([box("tvan", "tienlu"), box("tienlu", "tienlu", "agency")])
    entries = journal.entries_for(changes, {"commit": "abc123", "approved_by": "pheduyet"},
                                  META["now"])
    assert [(e["action"], e["address"], e["agency"]) for e in entries] == [
        ("create", "tienlu", "tienlu"), ("create", "tvan", "tienlu")]
    assert all(e["commit"] == "abc123" and e["approved_by"] == "pheduyet" for e in entries)
    assert set(entries[0]) <= set(journal.FIELDS) and "Pw#" not in json.dumps(entries)


def test_journal_append_read_and_period(tmp_path):
    path = str(tmp_path / "data" / "journal.jsonl")
    days = ["2026-10-31T16:59:59+00:00", "2026-10-31T17:00:00+00:00", "2026-11-30T17:00:00Z"]
    journal.append(path, [{"at": at, "action": "create", "address": f"a{i}", "secret": "x"}
                          for i, at in enumerate(days)])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"at": "2026-11-02T00:00:00+00:00", "action": "cr')  # a torn last line
    assert [e["address"] for e in journal.read(path)] == ["a0", "a1", "a2"]
    # Vietnam's day (UTC+7): 17:00Z is already the next day there
    assert [e["address"] for e in journal.read(path, "2026-11-01", "2026-11-30")] == ["a1"]
    assert "secret" not in (tmp_path / "data" / "journal.jsonl").read_text()
    assert journal.read(str(tmp_path / "none.jsonl")) == []
