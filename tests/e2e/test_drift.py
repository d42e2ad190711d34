"""The drift report against the real server: undeclared mailboxes, hand edits of the data
files (by the digests the backend records), and emergency holds."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift, emergency
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from e2e_support import DOMAIN, mailbox

pytestmark = pytest.mark.server


def report(province) -> dict:
    """The drift module's run, on what the province declares now."""
    payload = {"domain": DOMAIN, "mailboxes": [m.to_dict() for m in province.mailboxes.values()]}
    province.desired_file.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    before = province.server.snapshot()
    result = drift.run({"desired_file": str(province.desired_file),
                        "state_dir": str(province.server.state_dir), "domain": DOMAIN})
    assert province.server.snapshot() == before, "the drift report wrote to the server"
    return result


def test_undeclared_mailbox_is_drift(province):
    province.declare(mailbox("tdrift.khaibao", "tdriftrep"), mailbox("tdrift.bo", "tdriftrep"))
    province.run()
    assert "tdrift.bo" not in [e["address"] for e in report(province)["report"]["undeclared"]]
    province.forget("tdrift.bo")
    result = report(province)
    assert result["drift"] is True
    [entry] = [e for e in result["report"]["undeclared"] if e["address"] == "tdrift.bo"]
    assert entry["agency"] == "tdriftrep"
    assert f"`tdrift.bo@{DOMAIN}`" in result["markdown"] and "HYD001" in result["markdown"]


def test_hand_edit_of_a_data_file_is_drift_until_undone(province):
    province.declare(mailbox("tdrift.tay", "tdrifthand"))
    province.run()
    vmailbox = province.server.live / "vmailbox"
    original = vmailbox.read_text()
    assert not _edited(report(province), "vmailbox")
    try:
        vmailbox.write_text(original + f"ghost@{DOMAIN} OK\n")
        result = report(province)
        assert result["drift"] and _edited(result, "vmailbox") == "edited"
        assert "`data/live/vmailbox`: nội dung đã bị sửa" in result["markdown"]
    finally:
        vmailbox.write_text(original)
    assert not _edited(report(province), "vmailbox")


def test_active_hold_is_in_the_report(province):
    province.declare(mailbox("tdrift.giu", "tdrifthold"))
    province.run()
    backend = backend_from_settings(str(province.server.state_dir), DOMAIN)
    state_dir = str(province.server.state_dir)
    emergency.run(backend, state_dir, {"address": "tdrift.giu", "action": "lock",
                                       "reason": "phát tán mã độc", "by": "pheduyet-sotttt"})
    try:
        result = report(province)
        [hold] = [h for h in result["report"]["holds"] if h["address"] == "tdrift.giu"]
        assert hold["action"] == "lock" and hold["reason"] == "phát tán mã độc"
        assert "HYD002" in result["markdown"] and "⛔ BIỆN PHÁP KHẨN CẤP" in result["markdown"]
        [pending] = [p for p in result["report"]["pending"] if p["address"] == "tdrift.giu"]
        assert pending["action"] == "unlock" and pending["held"] is True
    finally:
        emergency.run(backend, state_dir, {"address": "tdrift.giu", "action": "release",
                                           "by": "pheduyet-sotttt"})
    province.run()


def _edited(result: dict, name: str) -> str | None:
    states = {e["file"]: e["state"] for e in result["report"]["hand_edits"]}
    return states.get(name)
