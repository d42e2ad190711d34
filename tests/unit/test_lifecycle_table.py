"""The lifecycle (common/lifecycle.py): every transition from lifecycle_cases.yml, checked in
the table itself, in the planner and in the change-request policy; then every action's words."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy import (
    LOCK_KINDS,
    STATE_KINDS,
    status_kinds,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import lifecycle
from ansible_collections.hungyen.mail.plugins.module_utils.common.glossary import (
    capitalised,
    cite,
    label,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import (
    account_from_mailbox,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from glossary_check import findings
from helpers import SCHEMA, case_table

CASES = case_table("lifecycle_cases.yml")
LETTER = Request("12/ĐN-STTTT", "2026-11-02")
NEW_LETTER = Request("13/ĐN-STTTT", "2026-11-09")


def mailbox(status: str, reason: str = "violation", request: Request = LETTER) -> Mailbox:
    return Mailbox(address="nvan", kind="person", agency="sotttt", name="Nguyễn Văn An",
                   status=status, lock_reason=reason if status == "locked" else None,
                   request=request)


def step_of(action: str) -> dict:
    """What lifecycle.py says of one action, in the words of the case table."""
    return {
        "action": action, "status": lifecycle.STATUS_AFTER[action],
        "new_password": action in lifecycle.NEW_PASSWORD,
        "disruptive": action in lifecycle.DISRUPTIVE,
        "delisting": action in lifecycle.DELISTING, "silent": action in lifecycle.SILENT,
        "label": lifecycle.LABELS[action], "say": lifecycle.SAY[action],
        "articles": list(lifecycle.BY_CODE[action].articles),
    }


@pytest.mark.parametrize("case", CASES)
def test_transition(case):
    actions = lifecycle.transition(case["before"], case["after"])
    assert [step_of(action) for action in actions] == case["steps"]


@pytest.mark.parametrize("case", CASES)
def test_steps_lead_from_before_to_after(case):
    status = case["before"]
    for step in case["steps"]:
        assert step["status"] != status, f"{step['action']} changes nothing"
        status = step["status"]
    assert status == case["after"]


@pytest.mark.parametrize("case", CASES)
def test_planner_follows_the_table(case):
    before, after = mailbox(case["before"]), mailbox(case["after"], request=NEW_LETTER)
    live = account_from_mailbox(before).evolve(status=before.status,
                                               lock_reason=before.lock_reason,
                                               must_change=False)
    changes = plan_changes([after], {"nvan": live})
    expected = case["steps"]
    assert [(c.action, c.needs_password) for c in changes] == [
        (step["action"], step["new_password"]) for step in expected]
    assert [c.after["status"] for c in changes] == [step["status"] for step in expected]


@pytest.mark.parametrize("case", CASES)
def test_policy_follows_the_table(case):
    kinds = status_kinds(mailbox(case["before"]), mailbox(case["after"]))
    assert kinds == [step["action"] for step in case["steps"]]


def test_the_table_covers_every_pair_of_statuses_once():
    pairs = [(case.values[0]["before"], case.values[0]["after"]) for case in CASES]
    every = list(itertools.product(lifecycle.STATUSES, repeat=2))
    assert sorted(pairs) == sorted(every) == sorted(lifecycle.TRANSITIONS)


def test_a_new_lock_reason_is_the_policys_lock_reason_and_the_planners_update():
    before, after = mailbox("locked", "violation"), mailbox("locked", "compromised")
    assert status_kinds(before, after) == ["lock_reason"]
    live = account_from_mailbox(before).evolve(status="locked", lock_reason="violation")
    assert [c.action for c in plan_changes([after], {"nvan": live})] == ["update"]


def test_a_base_status_the_schema_does_not_know_reads_as_active():
    assert [status_kinds(mailbox("paused"), mailbox(s)) for s in lifecycle.STATUSES] == [
        [], ["lock"], ["revoke"]]


# ---------------------------------------------------------------- every action


def test_the_sets_are_what_the_plan_and_the_policy_always_meant():
    assert lifecycle.ACTIONS == ("create", "rename", "reinstate", "unlock", "lock", "revoke",
                                 "move", "delegate", "reset_password", "update", "drift")
    assert sorted(lifecycle.NEW_PASSWORD) == ["create", "reinstate", "reset_password", "unlock"]
    assert sorted(lifecycle.DISRUPTIVE) == ["lock", "rename", "revoke"]
    assert sorted(lifecycle.DELISTING) == ["remove", "rename", "revoke"]
    assert sorted(lifecycle.SILENT) == ["revoke"]


@pytest.mark.parametrize("action", lifecycle.ACTION_TABLE, ids=lambda a: a.code)
def test_a_label_cites_the_articles_its_action_implements(action):
    if action.label and action.articles:
        assert action.label.endswith(f" ({cite(*action.articles)})")
        assert action.label.startswith(capitalised(label(action.term)))
    for article in action.articles:
        number, *points = article.split(".")
        assert 1 <= int(number) <= 14 and all(re.fullmatch(r"\d+|[a-zđ]", p) for p in points)


# What people read for each action: the glossary's label, capitalised, and the articles in
# the full form (issue 20); the policy's words inside a sentence.
LABELS = {
    "create": ("Cấp mới (điểm a khoản 2 Điều 6)", "cấp mới"),
    "rename": ("Đổi tên hộp thư (điểm d khoản 2 Điều 6)", "đổi tên hộp thư"),
    "reinstate": ("Cấp lại hộp thư đã thu hồi (khoản 1 Điều 6)",
                  "cấp lại hộp thư đã thu hồi"),
    "unlock": ("Khôi phục, cấp mật khẩu mới (khoản 2 Điều 7)", "khôi phục"),
    "lock": ("Tạm khóa (khoản 1 Điều 7)", "tạm khóa"),
    "revoke": ("Thu hồi (điểm c khoản 2 Điều 6)", "thu hồi"),
    "move": ("Thuyên chuyển công tác trong tỉnh (điểm b khoản 2 Điều 6)",
             "thuyên chuyển công tác trong tỉnh"),
    "delegate": ("Ủy quyền sử dụng (khoản 1 Điều 9)", "đổi người được ủy quyền"),
    "reset_password": ("Cấp lại mật khẩu (khoản 2 Điều 9, khoản 1 Điều 12)",
                       "cấp lại mật khẩu"),
    "update": ("Cập nhật thông tin danh bạ (điểm đ khoản 1 Điều 10)", None),
    "drift": ("Có trên máy chủ nhưng chưa khai báo (giữ nguyên)", None),
    "purge": ("Xóa thư của hộp thư đã thu hồi, sau khi đã sao lưu (điểm c khoản 2 Điều 6, "
              "điểm đ khoản 2 Điều 10)", None),
    "remove": (None, "xóa khỏi khai báo"),
    "lock_reason": (None, "đổi lý do tạm khóa"),
}


def test_every_action_is_in_the_table_of_words():
    assert set(LABELS) == set(lifecycle.BY_CODE)


@pytest.mark.parametrize("code", LABELS)
def test_an_actions_words_are_the_glossarys(code):
    action = lifecycle.BY_CODE[code]
    assert (action.label, action.say) == LABELS[code]


@pytest.mark.parametrize(("status", "shown"), [
    ("active", "Đang hoạt động"), ("locked", "Đang tạm khóa"), ("revoked", "Đã thu hồi")])
def test_a_status_reads_as_the_glossarys_state(status, shown):
    assert lifecycle.STATUS_LABELS[status] == shown == capitalised(label(status))


@pytest.mark.parametrize(("reason", "shown"), [
    ("violation", "vi phạm quy định tại Điều 4 (điểm a khoản 1 Điều 7)"),
    ("compromised", "bị chiếm dụng (điểm b khoản 1 Điều 7)"),
    ("spam_malware", "tham gia phát tán thư rác, mã độc (điểm c khoản 1 Điều 7)")])
def test_a_lock_reason_reads_as_the_regulations_point(reason, shown):
    assert lifecycle.LOCK_REASON_LABELS[reason] == shown


def test_every_action_has_its_words():
    assert set(lifecycle.ACTIONS) | {"purge"} == set(lifecycle.LABELS)
    assert {"create", "remove", *STATE_KINDS, *LOCK_KINDS} <= set(lifecycle.SAY)
    assert set(lifecycle.WARNINGS) == lifecycle.DISRUPTIVE
    assert len(lifecycle.BY_CODE) == len(lifecycle.ACTION_TABLE)


def test_statuses_and_lock_reasons_are_the_schemas():
    definitions = json.loads(SCHEMA.read_text("utf-8"))["$defs"]
    assert tuple(definitions["status"]["enum"]) == lifecycle.STATUSES
    assert tuple(definitions["lock_reason"]["enum"]) == lifecycle.LOCK_REASONS
    assert set(lifecycle.STATUS_LABELS) == set(lifecycle.STATUSES)


def test_every_word_of_the_lifecycle_passes_the_glossary_check():
    texts = [*lifecycle.LABELS.values(), *lifecycle.SAY.values(), *lifecycle.WARNINGS.values(),
             *lifecycle.STATUS_LABELS.values(), *lifecycle.LOCK_REASON_LABELS.values()]
    assert [line for text in texts for line in findings(text, "lifecycle")] == []
