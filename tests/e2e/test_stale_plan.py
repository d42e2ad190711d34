"""Apply re-plans and refuses what the reviewed plan did not show (HYR003), but goes ahead
when the server moved only by changes the reviewed plan showed (an earlier merge)."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.plan.review import StalePlanError
from e2e_support import Province, mailbox

pytestmark = pytest.mark.server


def reviewed(province, tmp_path) -> str:
    """The merge request's plan job: check mode, plan written to a file."""
    plan_file = tmp_path / "review" / "plan.json"
    province.run(check=True, plan_file=str(plan_file))
    return str(plan_file)


def test_change_the_reviewed_plan_did_not_show_is_refused(province, tmp_path):
    province.declare(mailbox("tcu.ten", "tstale"))
    province.run()
    province.declare(mailbox("tmoi.xem", "tstale"))
    plan = reviewed(province, tmp_path)

    other = Province(province.server, tmp_path)  # someone renames the person on the server
    other.declare(mailbox("tcu.ten", "tstale", name="Tên sửa ngoài quy trình"))
    other.run()

    stale = r"HYR003.*cập nhật thông tin danh bạ \(update\) tcu.ten"
    with pytest.raises(StalePlanError, match=stale):
        province.run(reviewed_plan=plan)
    assert "tmoi.xem" not in json.loads(
        (province.server.live / "accounts.json").read_text("utf-8"))["accounts"]


def test_changes_already_applied_since_the_review_do_not_make_the_plan_stale(province, tmp_path):
    province.declare(mailbox("tdau.tien", "tstale2"), mailbox("tthu.hai", "tstale2"))
    plan = reviewed(province, tmp_path)

    earlier = Province(province.server, tmp_path)  # an earlier merge creates the first one
    earlier.declare(mailbox("tdau.tien", "tstale2"))
    earlier.run()

    result = province.run(reviewed_plan=plan)
    assert [(c["action"], c["address"]) for c in result["changes"]] == [("create", "tthu.hai")]
    assert province.run(reviewed_plan=plan)["changed"] is False


def test_unreadable_reviewed_plan_is_refused(province, tmp_path):
    (tmp_path / "plan.json").write_text('{"domain": "example.org", "changes": []}')
    with pytest.raises(StalePlanError, match="HYR004"):
        province.run(reviewed_plan=str(tmp_path / "plan.json"))
