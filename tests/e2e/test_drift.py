"""The drift report against the real server: undeclared mailboxes, hand edits of the data
files (by the digests the backend records), emergency holds, and hand edits of the
configuration the role wrote (HYD005, by the role's record under state_dir/etc/managed)."""

from __future__ import annotations

import json
import os
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift, emergency
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from e2e_support import DOMAIN, mailbox, run_playbook

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


def test_hand_edit_of_the_embedded_main_cf_is_hyd005_until_undone(province):
    """Embedded mode records its configuration under state_dir/etc too (mailserver.yml's
    last task): a hand edit of main.cf there is HYD005, naming it and Postfix."""
    main_cf = province.server.state_dir / "etc" / "postfix" / "main.cf"
    original = main_cf.read_bytes()
    assert not _config_edits(report(province))
    try:
        main_cf.write_bytes(original + b"# sua tay\n")
        result = report(province)
        assert _config_edits(result) == [(os.path.realpath(main_cf), "postfix", "edited")]
        assert "HYD005" in result["msg"] and "dịch vụ đọc tệp: Postfix" in result["markdown"]
    finally:
        main_cf.write_bytes(original)
    assert not _config_edits(report(province))


def _config_edits(result: dict) -> list[tuple[str, str, str]]:
    return [(os.path.realpath(e["file"]), e["reader"], e["state"])
            for e in result["report"]["config_edits"]]


@pytest.mark.playbook
def test_the_next_setup_restores_the_embedded_main_cf_and_reloads_postfix_only(province):
    """mailserver.yml writes the edited file again and runs only Postfix's reload handler."""
    state_dir = province.server.state_dir
    main_cf = state_dir / "etc" / "postfix" / "main.cf"
    original = main_cf.read_bytes()
    pids = _master_pids(state_dir)
    main_cf.write_bytes(original + b"# sua tay\n")
    result = run_playbook("mailserver.yml", str(state_dir))
    assert result.returncode == 0, f"mailserver.yml failed:\n{result.stdout[-4000:]}"
    assert main_cf.read_bytes() == original
    handlers = re.findall(r"^RUNNING HANDLER \[[^:]+: (.+?)\]", result.stdout, re.M)
    assert handlers == ["Reload Postfix."]
    assert _master_pids(state_dir) == pids, "a server was restarted, not reloaded"
    assert not _config_edits(report(province))
    assert "HYD013 vai trò mailserver chạy lại toàn bộ: tệp " in result.stdout


POSTFIX_TASK = "Ensure the Postfix main.cf and master.cf are present."


@pytest.mark.playbook
def test_an_unchanged_setup_ends_the_role_after_its_checks(province):
    """Nothing the role reads or writes changed and the servers run: the role ends after
    the host's checks (HYD012), changing nothing; -e mailserver_force=true runs it whole."""
    state_dir = province.server.state_dir
    run_playbook("mailserver.yml", str(state_dir))  # whatever an earlier test left
    pids = _master_pids(state_dir)
    result = run_playbook("mailserver.yml", str(state_dir))
    assert result.returncode == 0, f"mailserver.yml failed:\n{result.stdout[-4000:]}"
    assert "HYD012 vai trò mailserver không chạy lại" in result.stdout, result.stdout[-4000:]
    assert POSTFIX_TASK not in result.stdout
    assert re.search(r"changed=0 ", result.stdout)
    forced = run_playbook("mailserver.yml", str(state_dir), "-e", "mailserver_force=true")
    assert forced.returncode == 0, f"mailserver.yml failed:\n{forced.stdout[-4000:]}"
    assert ("HYD013 vai trò mailserver chạy lại toàn bộ: có -e mailserver_force=true"
            in forced.stdout)
    assert POSTFIX_TASK in forced.stdout and re.search(r"changed=0 ", forced.stdout)
    assert _master_pids(state_dir) == pids


def _master_pids(state_dir) -> tuple[str, str]:
    return ((state_dir / "spool" / "pid" / "master.pid").read_text().strip(),
            (state_dir / "run" / "dovecot" / "master.pid").read_text().strip())
