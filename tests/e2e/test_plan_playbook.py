"""playbooks/plan.yml end to end: validate, copy, reconcile in check mode, plan files; and
playbooks/snapshot.yml, whose snapshot gives the same plan without the mail host."""

from __future__ import annotations

import json
import pathlib
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import emergency
from ansible_collections.hungyen.mail.plugins.module_utils.apply.reconcile import ReconcileError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from e2e_support import (
    DOMAIN,
    ROOT,
    assert_no_secret,
    issued_credentials,
    mailbox,
    run_playbook,
)
from secrets_scan import Scanner, describe


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
    assert markdown.startswith(
        "# Kế hoạch thay đổi hộp thư điện tử công vụ @hungyen.gov.vn")
    assert f"| `create` | {len(issued)} |" in markdown and "CẢNH BÁO" in markdown
    for text in (result.stdout, plan_file.read_text("utf-8"), markdown):
        assert_no_secret(server, text)


def hashes_of(server) -> dict[str, str]:
    """The live password hashes (in memory only, for the scan)."""
    found = {}
    for line in (server.live / "users.passwd").read_text("utf-8").splitlines():
        user, _colon, rest = line.partition(":")
        if rest:
            found[user] = rest.split(":", 1)[0]
    return found


def plan_with(server, tmp_path, name: str, *extra: str) -> pathlib.Path:
    plan_file = tmp_path / name / "plan.json"
    result = run_playbook(
        "plan.yml", str(server.state_dir), "-e", f"mailboxes_dir={ROOT}/tests/fixtures/good",
        "-e", f"desired_file={tmp_path}/desired.json", "-e", f"plan_file={plan_file}",
        "-e", "change_author=vanthu-tsnapshot", *extra)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return plan_file


@pytest.mark.server
@pytest.mark.playbook
def test_a_plan_from_the_snapshot_is_the_plan_the_live_server_gave(province, tmp_path,
                                                                   monkeypatch):
    server = province.server
    province.declare(mailbox("tchupanh", "tsnapshot"), mailbox("tchupkhoa", "tsnapshot"))
    province.run()
    backend = backend_from_settings(str(server.state_dir), DOMAIN)
    emergency.run(backend, str(server.state_dir), {
        "address": "tchupkhoa", "action": "lock", "by": "pheduyet-sotttt",
        "reason": "tài khoản bị chiếm quyền", "lock_reason": "compromised"})
    try:
        snap = tmp_path / "snap" / "snapshot.json"
        result = run_playbook("snapshot.yml", str(server.state_dir), "-e", f"snapshot_file={snap}")
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr
        assert stat.S_IMODE(snap.stat().st_mode) == 0o600
        text = snap.read_text("utf-8")
        passwords = {item["address"]: item["password"] for item in issued_credentials(server)}
        found = Scanner(passwords=passwords, hashes=hashes_of(server)).text("snapshot", text)
        assert not found, describe(found)
        data = json.loads(text)
        assert "tchupkhoa" in data["holds"] and len(data["accounts"]) == len(hashes_of(server))

        live = plan_with(server, tmp_path, "live")
        # state_dir points nowhere: the plan from the snapshot never reads the server. The
        # installation's privacy key comes as the CI job gets it (plan/privacy.py).
        key = server.state_dir / "data" / "privacy.key"
        if key.exists():
            monkeypatch.setenv("HYMAIL_PRIVACY_KEY", key.read_text("ascii").strip())
        from_snapshot = plan_with(server, tmp_path, "snapshot", "-e", f"snapshot={snap}",
                                  "-e", f"state_dir={tmp_path}/no-server")
        assert from_snapshot.read_text("utf-8") == live.read_text("utf-8")
        assert from_snapshot.with_suffix(".md").read_text("utf-8") == \
            live.with_suffix(".md").read_text("utf-8")
        plan = json.loads(live.read_text("utf-8"))
        assert plan["state_digest"] == data["state_digest"]
        assert "tchupkhoa" in [h["address"] for h in plan["holds"]]

        # The server moves on: an apply of the plan made from the old snapshot is refused.
        province.declare(mailbox("tchupmoi", "tsnapshot"))
        province.run()
        province.declare(mailbox("tchupmoi2", "tsnapshot"))
        with pytest.raises(ReconcileError, match="HYR003"):
            province.run(expected_state=plan["state_digest"])
        with pytest.raises(BackendError, match="HYR017"):
            province.run(snapshot_file=str(snap))
    finally:
        emergency.run(backend, str(server.state_dir), {
            "address": "tchupkhoa", "action": "release", "by": "pheduyet-sotttt",
            "reason": "xong phép thử"})
