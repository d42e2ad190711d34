"""The planner: declared mailboxes vs. server accounts -> typed changes (pure, in-process)."""

from __future__ import annotations

import copy
import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import (
    Account,
    account_from_mailbox,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import (
    ACTIONS,
    NEW_PASSWORD,
    plan_changes,
    summarize,
)

LETTER = Request("12/ĐN-STTTT", "2026-11-02")
RESET = Request("15/ĐN-STTTT", "2026-11-20")
OTHER_RESET = Request("20/ĐN-STTTT", "2026-11-25")


def box(address: str = "nvan", **fields) -> Mailbox:
    """A declared mailbox with sensible defaults."""
    base = {"kind": "person", "agency": "sotttt", "name": "Nguyễn Văn An", "request": LETTER}
    return Mailbox(address=address, **(base | fields))


def live(mailbox: Mailbox, **fields) -> Account:
    """The account a fully applied ``mailbox`` has on the server, with some fields changed."""
    account = account_from_mailbox(mailbox).evolve(
        status=mailbox.status, lock_reason=mailbox.lock_reason, must_change=False)
    return account.evolve(**fields)


def actions(desired: list[Mailbox], actual: list[Account], holds=()) -> list[tuple]:
    changes = plan_changes(desired, {a.address: a for a in actual}, holds=holds)
    return [(c.action, c.address) for c in changes]


CASES = [
    # id, desired, actual, expected (action, address) list
    ("nothing_declared_nothing_live", [], [], []),
    ("create", [box()], [], [("create", "nvan")]),
    ("no_op", [box()], [live(box())], []),
    ("create_locked_then_lock", [box(status="locked", lock_reason="violation")], [],
     [("create", "nvan"), ("lock", "nvan")]),
    ("never_issued_revoked_is_nothing", [box(status="revoked")], [], []),
    ("lock", [box(status="locked", lock_reason="compromised")], [live(box())],
     [("lock", "nvan")]),
    ("unlock", [box()], [live(box(), status="locked", lock_reason="violation")],
     [("unlock", "nvan")]),
    ("revoke_active", [box(status="revoked")], [live(box())], [("revoke", "nvan")]),
    ("revoke_locked", [box(status="revoked")],
     [live(box(), status="locked", lock_reason="violation")], [("revoke", "nvan")]),
    ("reinstate", [box()], [live(box(), status="revoked")], [("reinstate", "nvan")]),
    ("reinstate_locked", [box(status="locked", lock_reason="violation")],
     [live(box(), status="revoked")], [("reinstate", "nvan"), ("lock", "nvan")]),
    ("lock_reason_changed_is_update", [box(status="locked", lock_reason="spam_malware")],
     [live(box(status="locked", lock_reason="violation"))], [("update", "nvan")]),
    ("move", [box(agency="sonv")], [live(box())], [("move", "nvan")]),
    ("rename", [box("ptckh.tienlu2", kind="division", previous=("ptckh.tienlu",))],
     [live(box("ptckh.tienlu", kind="division"))], [("rename", "ptckh.tienlu2")]),
    ("rename_done_is_no_op", [box("new", previous=("old",))],
     [live(box("new"), aliases=("old",))], []),
    ("previous_kept_as_live_account_is_drift", [box("new", previous=("old",))],
     [live(box("new"), aliases=()), live(box("old"))],
     [("drift", "old")]),
    ("declared_previous_never_live_becomes_alias", [box("new", previous=("gone",))],
     [live(box("new"))], [("update", "new")]),
    ("reset_password", [box(password_reset=RESET)], [live(box())],
     [("reset_password", "nvan")]),
    ("reset_done_is_no_op", [box(password_reset=RESET)],
     [live(box(), password_reset=RESET)], []),
    ("second_reset_letter", [box(password_reset=OTHER_RESET)],
     [live(box(), password_reset=RESET)], [("reset_password", "nvan")]),
    ("no_reset_for_revoked", [box(status="revoked", password_reset=RESET)],
     [live(box(), status="revoked")], []),
    ("unlock_covers_pending_reset", [box(password_reset=RESET)],
     [live(box(), status="locked", lock_reason="violation")], [("unlock", "nvan")]),
    ("create_covers_reset", [box(password_reset=RESET)], [], [("create", "nvan")]),
    ("delegate", [box("sotttt", kind="agency", delegates=("nvan", "ttbinh"))],
     [live(box("sotttt", kind="agency"))], [("delegate", "sotttt")]),
    ("delegate_order_does_not_matter", [box("sotttt", delegates=("ttbinh", "nvan"))],
     [live(box("sotttt", delegates=("nvan", "ttbinh")))], []),
    ("update_name", [box(name="Nguyễn Văn Ân")], [live(box())], [("update", "nvan")]),
    ("update_directory", [box(directory={"title": "Giám đốc"})], [live(box())],
     [("update", "nvan")]),
    ("request_letter_alone_is_no_change", [box(request=RESET)], [live(box())], []),
    ("drift", [box()], [live(box()), live(box("lththu"))], [("drift", "lththu")]),
    ("move_and_delegate_and_update",
     [box(agency="sonv", delegates=("a",), name="Khác")], [live(box())],
     [("move", "nvan"), ("delegate", "nvan"), ("update", "nvan")]),
]


@pytest.mark.parametrize(("desired", "actual", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_plan_actions(desired, actual, expected):
    assert actions(desired, actual) == expected


def test_every_action_code_is_exercised():
    seen = {action for case in CASES for action, _ in case[3]}
    assert seen == set(ACTIONS)


def test_order_is_by_agency_then_address_with_drift_last():
    desired = [box("b", agency="z"), box("a", agency="z"), box("c", agency="m")]
    actual = [live(box("zz")), live(box("aa"))]
    assert actions(desired, actual) == [
        ("create", "c"), ("create", "a"), ("create", "b"), ("drift", "aa"), ("drift", "zz")]


def test_plan_is_deterministic_whatever_the_input_order():
    desired = [box(x, agency=x[0]) for x in ("qa", "pb", "qc", "pd")]
    assert actions(desired, []) == actions(list(reversed(desired)), [])


def test_planner_does_not_modify_its_inputs():
    desired, actual = [box(agency="sonv")], {"nvan": live(box())}
    before = copy.deepcopy((desired, actual))
    plan_changes(desired, actual)
    assert (desired, actual) == before


def test_rename_keeps_old_address_as_alias_and_carries_status():
    old = live(box("old", status="locked", lock_reason="violation"), aliases=("older",))
    [change] = plan_changes([box("new", previous=("old",), status="locked",
                                 lock_reason="violation")], {"old": old})
    assert change.old_address == "old"
    assert change.after["aliases"] == ["old", "older"]
    assert change.after["status"] == "locked"


def test_rename_source_used_once():
    desired = [box("new1", previous=("old",)), box("new2", previous=("old",))]
    assert actions(desired, [live(box("old"))]) == [("rename", "new1"), ("create", "new2")]


def test_steps_chain_before_and_after():
    changes = plan_changes([box(status="locked", lock_reason="violation", agency="sonv")],
                           {"nvan": live(box(), status="revoked")})
    assert [c.action for c in changes] == ["reinstate", "lock", "move"]
    for first, second in zip(changes, changes[1:], strict=False):
        assert first.after == second.before


@pytest.mark.parametrize("action", sorted(NEW_PASSWORD))
def test_new_password_actions_mark_must_change(action):
    _, desired, actual, _ = {case[0]: case for case in CASES}[action]
    [change] = plan_changes(desired, {a.address: a for a in actual})
    assert change.needs_password and change.after["must_change"] is True


def test_reset_change_cites_the_reset_letter():
    [change] = plan_changes([box(password_reset=RESET)], {"nvan": live(box())})
    assert change.request == RESET


def test_unlock_records_pending_reset_letter_so_it_is_not_repeated():
    [change] = plan_changes([box(password_reset=RESET)],
                            {"nvan": live(box(), status="locked", lock_reason="violation")})
    assert change.after["password_reset"] == {"number": RESET.number, "date": RESET.date}


def test_drift_is_reported_never_applied():
    [change] = plan_changes([], {"x": live(box("x"))})
    assert change.action == "drift" and not change.applies and change.after is None


def test_holds_are_planned_but_not_applied():
    changes = plan_changes([box(status="revoked"), box("b")], {"nvan": live(box())},
                           holds=["nvan"])
    assert [(c.action, c.held, c.applies) for c in changes] == [
        ("create", False, True), ("revoke", True, False)]


def test_holds_match_the_old_address_of_a_rename():
    [change] = plan_changes([box("new", previous=("old",))], {"old": live(box("old"))},
                            holds=("old",))
    assert change.held


def test_summary_counts_every_action():
    changes = plan_changes([box("a"), box("b"), box(status="revoked")],
                           {"nvan": live(box()), "x": live(box("x"))}, holds=("b",))
    summary = summarize(changes)
    assert summary["create"] == 2 and summary["revoke"] == 1 and summary["drift"] == 1
    assert summary["held"] == 1 and summary["total"] == 4
    assert set(ACTIONS) <= set(summary)


def test_change_to_dict_is_json_ready():
    [change] = plan_changes([box("new", previous=("old",))], {"old": live(box("old"))})
    data = json.loads(json.dumps(change.to_dict()))
    assert data["action"] == "rename" and data["after"]["aliases"] == ["old"]
    assert {"action", "address", "agency", "request", "before", "after"} <= set(data)


def test_another_accounts_old_address_is_not_given_away():
    """A new mailbox naming another account's alias in previous_addresses does not take it
    (the security review's H4, with an old address instead of an account)."""
    owner = live(box("pnv.tienlu", kind="division", agency="tienlu"), aliases=("pnv2.tienlu",))
    changes = plan_changes([box("luutru", agency="vangiang", previous=("pnv2.tienlu", "xua"))],
                           {"pnv.tienlu": owner})
    create = next(change for change in changes if change.address == "luutru")
    assert create.action == "create" and create.after["aliases"] == ["xua"]


@pytest.mark.parametrize(("owner", "adopted"), [("tienlu", True), ("", True),
                                                ("vangiang", False)])
def test_a_rename_taking_another_agencys_account_is_an_adoption(owner, adopted):
    [change] = plan_changes([box("luutru", agency="vangiang", previous=("lvthu",))],
                            {"lvthu": live(box("lvthu", agency=owner))})
    assert change.action == "rename" and change.adopted is adopted
    assert change.to_dict()["adopted"] is adopted
