"""Metrics and the "down" alert against the session's real server (issue 17).

Every metrics endpoint answers while the servers run (Dovecot's own, the Postfix exporter's,
node exporter's with the project's textfile). Then Dovecot is stopped: one scrape of every
endpoint before and one after, turned into the input series of a promtool rule test written
by the test, in which the shipped rule HymailServerDown must fire for Dovecot (and nothing
else for Postfix, still running). Dovecot is started again: the server is left as found.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import urllib.error
import urllib.request

import pytest
import yaml
from e2e_support import PORTS, ROOT, wait_for

pytestmark = pytest.mark.server

RULES = ROOT / "monitoring" / "hymail.rules.yml"
# job -> the port of its endpoint (the job names of monitoring/prometheus.example.yml)
JOBS = {"dovecot": PORTS["dovecot_metrics_port"], "postfix": PORTS["postfix_exporter_port"],
        "node": PORTS["node_exporter_port"]}
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{[^}]*\})?\s+(?P<value>\S+)")
# Series copied from the scrapes into the fixture besides up (a few: the fixture stays small).
KEPT = ("postfix_up", "postfix_showq_message_size_bytes_count", "hymail_drift_items",
        "hymail_notices_pending", "hymail_backup_newest_verified_timestamp_seconds")


def scrape(port: int) -> tuple[int, str]:
    """(up, body) of one scrape, as Prometheus would see it: up 0 when it fails."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            return (1 if answer.status == 200 else 0), answer.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def scrape_all() -> dict[str, tuple[int, str]]:
    return {job: scrape(port) for job, port in JOBS.items()}


def series(body: str) -> dict[str, float]:
    """The KEPT samples of a scrape: ``name{labels}`` -> value."""
    found = {}
    for line in body.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"] in KEPT:
            found[match["name"] + (match["labels"] or "{}")] = float(match["value"])
    return found


def with_target(key: str, job: str) -> str:
    """A sample's series as Prometheus stores it: the job and instance labels added."""
    name, labels = key.split("{", 1)
    extra = f'job="{job}",instance="127.0.0.1:{JOBS[job]}"'
    labels = labels.rstrip("}")
    return f"{name}{{{extra}{',' + labels if labels else ''}}}"


def render(rule: dict, labels: dict, value: float) -> dict:
    """The rule's annotations as Prometheus renders them for ``labels`` (what promtool
    compares)."""
    out = {}
    for key, text in rule["annotations"].items():
        text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m[1], ""), text)
        out[key] = text.replace("{{ $value }}", f"{value:g}")
    return out


def fixture(before: dict, after: dict, minutes_after: int = 6) -> dict:
    """A promtool rule test: the before scrape for 3 minutes, then the after one."""
    input_series = []
    for job in JOBS:
        up = [before[job][0]] * 3 + [after[job][0]] * minutes_after
        input_series.append({"series": with_target('up{}', job),
                             "values": " ".join(map(str, up))})
        old, new = series(before[job][1]), series(after[job][1])
        for key in sorted(set(old) | set(new)):
            values = ([_value(old.get(key))] * 3 + [_value(new.get(key))] * minutes_after)
            input_series.append({"series": with_target(key, job), "values": " ".join(values)})
    rule = next(r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]
                if r["alert"] == "HymailServerDown")
    down = {"job": "dovecot", "instance": f"127.0.0.1:{JOBS['dovecot']}"}
    expected = [{"exp_labels": {**down, **rule["labels"]},
                 "exp_annotations": render(rule, down, 0)}]
    return {"rule_files": [str(RULES)], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": input_series,
                       "alert_rule_test": [
                           {"eval_time": "2m", "alertname": "HymailServerDown",
                            "exp_alerts": []},
                           {"eval_time": f"{2 + minutes_after}m",
                            "alertname": "HymailServerDown", "exp_alerts": expected}]}]}


def _value(value: float | None) -> str:
    return "_" if value is None else f"{value:g}"  # "_": no sample (the series is gone)


def dovecot_pid(server) -> int | None:
    try:
        pid = int((server.state_dir / "run" / "dovecot" / "master.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def test_every_metrics_endpoint_answers(server):
    scraped = scrape_all()
    assert {job: up for job, (up, _body) in scraped.items()} == dict.fromkeys(JOBS, 1)
    assert "dovecot_build_info{" in scraped["dovecot"][1]
    assert re.search(r"^dovecot_auth_success_total \d", scraped["dovecot"][1], re.M)
    # the exporter reads the embedded server's queue through its showq socket
    showq = server.state_dir / "spool" / "public" / "showq"
    assert f'postfix_up{{path="{showq}"}} 1' in scraped["postfix"][1]
    # node exporter serves the host and the project's textfile
    assert "node_filesystem_avail_bytes{" in scraped["node"][1]
    assert re.search(r"^hymail_metrics_written_timestamp_seconds \S", scraped["node"][1], re.M)
    assert "node_textfile_scrape_error 0" in scraped["node"][1]


def test_stopping_dovecot_fires_the_down_rule(server, tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: make test-deps installs Debian's prometheus"
    ctl = server.state_dir / "bin" / "mailserverctl"
    before = scrape_all()
    assert before["dovecot"][0] == 1, "Dovecot's endpoint does not answer before the stop"
    pid = dovecot_pid(server)
    assert pid
    try:
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: dovecot_pid(server) is None), "Dovecot did not stop"
        after = scrape_all()
    finally:
        # Output to a file: a daemon started keeps a pipe open, and run() would wait on it.
        with open(tmp_path / "start.log", "w", encoding="utf-8") as log:
            started = subprocess.run([str(ctl), "start"], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert started.returncode == 0, (tmp_path / "start.log").read_text()
    assert (after["dovecot"][0], after["postfix"][0], after["node"][0]) == (0, 1, 1)
    status = subprocess.run([str(ctl), "status"], capture_output=True, text=True, timeout=60,
                            check=False, stdin=subprocess.DEVNULL)
    assert status.returncode == 0, status.stdout  # the server as found
    assert scrape(JOBS["dovecot"])[0] == 1

    test_file = tmp_path / "down.test.yml"
    test_file.write_text(yaml.safe_dump(fixture(before, after), allow_unicode=True,
                                        sort_keys=False, width=1000))
    result = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{test_file}:\n{result.stdout}{result.stderr}"
    # The same fixture with no stop in it (the before scrape throughout) must not fire.
    calm = fixture(before, before)
    calm["tests"][0]["alert_rule_test"][1]["exp_alerts"] = []
    calm_file = tmp_path / "calm.test.yml"
    calm_file.write_text(yaml.safe_dump(calm, allow_unicode=True, sort_keys=False, width=1000))
    result = subprocess.run([promtool, "test", "rules", str(calm_file)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{calm_file}:\n{result.stdout}{result.stderr}"
    written = yaml.safe_load(test_file.read_text())["tests"][0]["input_series"]
    ups = {item["series"]: item["values"] for item in written if item["series"].startswith("up{")}
    assert ups[with_target("up{}", "dovecot")] == "1 1 1 0 0 0 0 0 0"
    assert ups[with_target("up{}", "postfix")] == "1 1 1 1 1 1 1 1 1"
