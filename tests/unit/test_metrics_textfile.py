"""The project's own figures (module_utils/metrics/textfile.py) and the alert rules of
monitoring/ checked and unit-tested by promtool (Debian's prometheus; make test-deps)."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.metrics import textfile
from ansible_collections.hungyen.mail.plugins.modules import metrics_write

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "hymail.rules.yml"
RULE_TESTS = ROOT / "monitoring" / "tests" / "hymail.test.yml"
NOW = 1_796_400_000.0  # a fixed clock: 2026-12-04T16:00:00Z


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    assert tool, "promtool missing: make test-deps installs Debian's prometheus"
    return subprocess.run([tool, *args], input=stdin, capture_output=True, text=True,
                          check=False, timeout=120)


def values(text: str) -> dict[str, float]:
    """``name{labels}`` -> value of a text exposition."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


# --- pure functions -----------------------------------------------------------------------

def test_pending_notices_count_every_line_and_give_the_oldest():
    outbox = {"/o/a.jsonl": [{"created": "2026-12-04T10:00:00+07:00"},
                             {"created": "2026-12-04T02:00:00Z"}],
              "/o/b.jsonl": [{"unreadable": "x"}]}
    count, oldest = textfile.pending_notices(outbox)
    assert count == 3
    assert oldest == textfile.unix("2026-12-04T02:00:00Z")
    assert textfile.pending_notices({}) == (0, 0.0)


def test_verified_backups_ignore_unverified_ones():
    infos = {"20261201T020000Z": {"verified": "2026-12-01T02:05:00Z"},
             "20261202T020000Z": {"verified": "2026-12-02T02:05:00Z"},
             "20261203T020000Z": {}}
    assert textfile.verified_backups(infos) == (2, textfile.unix("2026-12-02T02:05:00Z"))
    assert textfile.verified_backups({}) == (0, 0.0)


def test_certificate_end_date_is_read_in_utc():
    assert textfile.cert_not_after("notAfter=Dec  6 12:00:00 2027 GMT\n") == 1828094400.0
    assert textfile.cert_not_after("garbage") is None


def test_render_is_valid_exposition_and_omits_what_nobody_recorded():
    found = textfile.samples(NOW, {}, (0, 0.0), (0, 0.0), None, None)
    text = textfile.render(found)
    names = {key.partition("{")[0] for key in values(text)}
    assert "hymail_last_apply_timestamp_seconds" not in names
    assert "hymail_drift_items" not in names
    assert "hymail_backup_newest_verified_timestamp_seconds" in names
    result = promtool("check", "metrics", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


def test_events_replace_their_own_kind_only():
    events = textfile.record_event({}, "drift", {"at": 1, "count": 2})
    events = textfile.record_event(events, "apply", {"at": 3, "duration": 4, "changes": 5})
    assert events["drift"] == {"at": 1.0, "count": 2.0}
    with pytest.raises(ValueError):
        textfile.record_event(events, "other", {})


# --- the writer on a state directory ------------------------------------------------------

def state_dir_with_figures(root: pathlib.Path) -> pathlib.Path:
    state = root / "state"
    (state / "outbox").mkdir(parents=True)
    (state / "outbox" / "tienlu.jsonl").write_text(
        json.dumps({"id": "n1", "to": "tienlu", "created": "2026-12-04T15:00:00Z"}) + "\n"
        + json.dumps({"id": "n2", "to": "tienlu", "created": "2026-12-04T15:30:00Z"}) + "\n")
    backup = state / "backups" / "20261204T020000Z"
    backup.mkdir(parents=True)
    (backup / "backup.json").write_text(json.dumps({"verified": "2026-12-04T02:10:00Z"}))
    (state / "backups" / "20261204T030000Z.partial").mkdir()  # unfinished: not counted
    return state


def test_write_reads_the_state_dir_and_keeps_events(tmp_path):
    state = state_dir_with_figures(tmp_path)
    textfile.write(str(state), NOW, "apply", {"at": NOW, "duration": 12.5, "changes": 3},
                   statuses=["active", "locked", "locked", "revoked"])
    result = textfile.write(str(state), NOW + 60, "drift", {"at": NOW + 60, "count": 4})
    path = pathlib.Path(result["path"])
    assert path == state / "metrics" / "hymail.prom"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    found = values(path.read_text())
    assert found["hymail_notices_pending"] == 2
    assert found["hymail_notices_oldest_pending_timestamp_seconds"] == textfile.unix(
        "2026-12-04T15:00:00Z")
    assert found["hymail_backups_verified"] == 1
    assert found["hymail_backup_newest_verified_timestamp_seconds"] == textfile.unix(
        "2026-12-04T02:10:00Z")
    # the apply recorded first is kept by the drift's write
    assert found["hymail_last_apply_changes"] == 3
    assert found["hymail_last_apply_duration_seconds"] == 12.5
    assert found["hymail_drift_items"] == 4
    assert found["hymail_metrics_written_timestamp_seconds"] == NOW + 60
    # the second write knew no statuses: the mailbox figures are left out, not zero
    assert "hymail_mailboxes_locked" not in found
    assert promtool("check", "metrics", stdin=path.read_text()).returncode == 0


def test_write_holds_no_address(tmp_path):
    state = state_dir_with_figures(tmp_path)
    textfile.write(str(state), NOW, statuses=["locked"])
    text = (state / "metrics" / "hymail.prom").read_text()
    assert "tienlu" not in text and "@" not in text
    assert values(text)["hymail_mailboxes_locked"] == 1


def test_module_records_an_apply_and_a_certificate(tmp_path):
    state = state_dir_with_figures(tmp_path)
    cert = tmp_path / "cert.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
         "-subj", "/CN=mail.example", "-keyout", os.devnull, "-out", str(cert)],
        capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    expected = textfile.cert_not_after(subprocess.run(
        ["openssl", "x509", "-enddate", "-noout", "-in", str(cert)],
        capture_output=True, text=True, check=True).stdout)
    result = metrics_write.run({"state_dir": str(state), "domain": "hungyen.gov.vn",
                                "event": "apply", "started": NOW - 7, "changes": 2,
                                "ssl_cert": str(cert)}, now=NOW)
    found = values(pathlib.Path(result["path"]).read_text())
    assert found["hymail_last_apply_timestamp_seconds"] == NOW
    assert found["hymail_last_apply_duration_seconds"] == 7
    assert found["hymail_ssl_cert_expiry_timestamp_seconds"] == expected


def test_an_apply_start_is_recorded_and_its_end_gives_the_duration(tmp_path, monkeypatch):
    """The start only records its time (no figure shows it, so no mailbox is read); the
    end, given no ``started``, measures the duration from it and writes every figure."""
    state = state_dir_with_figures(tmp_path)
    textfile_path = pathlib.Path(textfile.metrics_dir(str(state))) / textfile.TEXTFILE
    params = {"state_dir": str(state), "domain": "hungyen.gov.vn"}
    monkeypatch.setattr(metrics_write, "backend_from_settings",
                        lambda *a, **k: pytest.fail("the start read the mailboxes"))
    start = metrics_write.run(params | {"event": "apply_start"}, now=NOW - 30)
    assert start["samples"] == [] and not textfile_path.exists()
    monkeypatch.undo()
    end = metrics_write.run(params | {"event": "apply", "changes": 0}, now=NOW)
    found = values(textfile_path.read_text())
    assert end["path"] == start["path"] == str(textfile_path)
    assert found["hymail_last_apply_duration_seconds"] == 30


# --- the alert rules ------------------------------------------------------------------------

def test_promtool_accepts_the_rules_and_the_example_configuration():
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    result = promtool("check", "config", str(ROOT / "monitoring" / "prometheus.example.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_is_unit_tested_and_the_tests_pass():
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    import yaml

    rules = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"]
             for rule in group["rules"]}
    tested = {case["alertname"] for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
              for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert rules == tested
    assert len(rules) == 9


def test_every_alert_speaks_vietnamese_and_names_a_runbook():
    import yaml

    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            notes = rule["annotations"]
            assert set(notes) == {"summary", "description", "runbook"}, rule["alert"]
            assert any(ord(char) > 127 for char in notes["summary"] + notes["description"])
            assert notes["runbook"].startswith("README.md#alerts: ")


def test_a_broken_rule_fails_its_unit_test(tmp_path):
    """The rule tests can fail: the same tests against rules whose threshold is wrong."""
    broken = RULES.read_text().replace("> 26 * 3600", "> 260 * 3600")
    (tmp_path / "hymail.rules.yml").write_text(broken)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "hymail.test.yml").write_text(RULE_TESTS.read_text())
    result = promtool("test", "rules", str(tmp_path / "tests" / "hymail.test.yml"))
    assert result.returncode != 0
    assert "HymailNoVerifiedBackup" in result.stdout + result.stderr
