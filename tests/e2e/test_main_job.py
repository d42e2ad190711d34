"""The main job on the repository's real province: apply (with its notices), then again."""

from __future__ import annotations

import json
import re

import pytest
from e2e_support import run_playbook, wipe
from test_notifications import delivered_notices

pytestmark = [pytest.mark.server, pytest.mark.playbook]


def reconcile_summary(output: str) -> dict:
    """The counts the apply printed for its reconcile task."""
    block = output.split("TASK [Show what was applied]", 1)[1]
    return {key: int(value) for key, value in re.findall(r"^\s+(\w+): (\d+)$", block, re.M)}


@pytest.fixture
def empty_server(server):
    """The session's server, emptied before and after: the province is large."""
    wipe(str(server.state_dir))
    yield server
    wipe(str(server.state_dir))


def test_real_province_is_provisioned_notified_and_a_second_apply_changes_nothing(
        empty_server, tmp_path):
    server = empty_server
    desired = tmp_path / "desired.json"
    first = run_playbook("apply.yml", str(server.state_dir), "-e", f"desired_file={desired}")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    mailboxes = json.loads(desired.read_text("utf-8"))["mailboxes"]
    agencies = sorted({m["agency"] for m in mailboxes})
    assert len(agencies) == 189 and reconcile_summary(first.stdout)["create"] == len(mailboxes)
    for agency in agencies:
        assert len(delivered_notices(server, agency)) == 1, agency
    assert "bootstrap/sotttt@hungyen.gov.vn.credentials" in first.stdout

    second = run_playbook("apply.yml", str(server.state_dir), "-e", f"desired_file={desired}")
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr
    assert reconcile_summary(second.stdout)["total"] == 0
    assert re.search(r"localhost\s+: ok=\d+\s+changed=0 ", second.stdout), second.stdout[-2000:]
    assert not list(server.outbox.glob("*.jsonl"))
