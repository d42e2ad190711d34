"""playbooks/plan.yml end to end: validate, copy, reconcile in check mode, plan files.

The only ansible-playbook run of the suite besides the mail server fixture.
"""

from __future__ import annotations

import json

import pytest
from e2e_support import ROOT, assert_no_secret, run_playbook


@pytest.mark.server
@pytest.mark.playbook
def test_plan_playbook_writes_the_plan_and_changes_nothing(server, tmp_path):
    live = (server.live / "users.passwd").read_text().count("\n")
    before = server.snapshot()
    plan_file = tmp_path / "review" / "plan.json"
    result = run_playbook(
        "plan.yml", str(server.state_dir), "-e", f"mailboxes_dir={ROOT}/tests/fixtures/good",
        "-e", f"desired_file={tmp_path}/desired.json", "-e", f"plan_file={plan_file}")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert server.snapshot() == before, "plan.yml changed the server"

    declared = json.loads((tmp_path / "desired.json").read_text("utf-8"))["mailboxes"]
    issued = [m for m in declared if m["status"] != "revoked"]  # never issued: nothing to do
    locked = [m for m in declared if m["status"] == "locked"]
    plan = json.loads(plan_file.read_text("utf-8"))
    assert plan["summary"]["create"] == len(issued) and plan["summary"]["lock"] == len(locked)
    planned = {c["address"] for c in plan["changes"] if c["action"] != "drift"}
    assert planned == {m["address"] for m in issued}
    assert plan["summary"]["drift"] == live
    markdown = plan_file.with_suffix(".md").read_text("utf-8")
    assert markdown.startswith("# Kế hoạch thay đổi hộp thư công vụ @hungyen.gov.vn")
    assert f"| `create` | {len(issued)} |" in markdown and "CẢNH BÁO" in markdown
    for text in (result.stdout, plan_file.read_text("utf-8"), markdown):
        assert_no_secret(server, text)
