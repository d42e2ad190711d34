"""The module's logic in-process (``mailbox_reconcile.run``) on a hand-made state dir."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.modules import mailbox_reconcile
from ansible_collections.hungyen.mail.plugins.modules.mailbox_reconcile import ReconcileError

DOMAIN = "hungyen.gov.vn"
FAKE_POSTMAP = '#!/bin/sh\nfor last; do :; done\ncp "${last#*:}" "${last#*:}.db"\n'
MAILBOX = {"address": "nvan", "kind": "person", "agency": "sotttt", "name": "Nguyễn Văn An",
           "request": {"number": "1/ĐN", "date": "2026-11-01"}}


@pytest.fixture(name="params")
def fixture_params(tmp_path) -> dict:
    postmap = tmp_path / "postmap"
    postmap.write_text(FAKE_POSTMAP)
    postmap.chmod(0o755)
    desired = tmp_path / "desired.json"
    desired.write_text(json.dumps({"domain": DOMAIN, "mailboxes": [MAILBOX]}))
    return {"desired_file": str(desired), "state_dir": str(tmp_path / "state"),
            "domain": DOMAIN, "postmap": str(postmap), "hash_time_cost": 1,
            "hash_memory_kib": 8192}


def test_four_steps(params):
    results = [mailbox_reconcile.run(params, check) for check in (True, False, True, False)]
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert results[1]["applied"]["notices"] == {"sotttt": 1}
    assert "applied" not in results[0] and "applied" not in results[3]


def test_result_has_plan_summary_and_no_secret(params, tmp_path):
    result = mailbox_reconcile.run(params)
    notice = json.loads((tmp_path / "state" / "outbox" / "sotttt.jsonl").read_text())
    text = json.dumps(result, ensure_ascii=False)
    [credential] = notice["credentials"]
    assert credential["password"] not in text and "$argon2" not in text
    assert result["summary"]["create"] == 1 and result["plan"]["state_digest"]
    assert result["plan_markdown"].startswith("# Kế hoạch")


def test_stale_plan_is_refused(params):
    digest = mailbox_reconcile.run(params, check_mode=True)["plan"]["state_digest"]
    mailbox_reconcile.run(params)
    with pytest.raises(ReconcileError, match="HYR003"):
        mailbox_reconcile.run(params | {"expected_state": digest})


def test_matching_digest_applies(params):
    digest = mailbox_reconcile.run(params, check_mode=True)["plan"]["state_digest"]
    assert mailbox_reconcile.run(params | {"expected_state": digest})["changed"]


def test_desired_file_for_another_domain_is_refused(params, tmp_path):
    (tmp_path / "desired.json").write_text(json.dumps({"domain": "x.vn", "mailboxes": []}))
    with pytest.raises(ReconcileError, match="HYR002"):
        mailbox_reconcile.run(params)


def test_missing_desired_file_says_to_validate_first(params):
    with pytest.raises(ReconcileError, match="HYR001 .*tệp hoặc thư mục không có.*make validate"):
        mailbox_reconcile.run(params | {"desired_file": "/nonexistent/desired.json"})


def test_holds_keep_changes_out(params):
    result = mailbox_reconcile.run(params | {"holds": ["nvan"]})
    assert result["changed"] is False and result["summary"]["held"] == 1
