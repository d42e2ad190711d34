"""Embedded mode changes nothing outside state_dir and the packages (issue 19, item 2): a run
of playbooks/mailserver.yml with the local inventory leaves this machine's nftables ruleset,
APT settings and systemd units exactly as they were. The hardening role is for systemd mode.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest
from e2e_support import port_variables, run_playbook
from helpers import stop_server

# Ports of this test's own server, away from the session's (HYMAIL_E2E_*) and a developer's.
PORTS = {"smtp_port": 26525, "imap_port": 26143, "submission_port": 26587,
         "submissions_port": 26465, "imaps_port": 26993, "relay_port": 26526,
         "web_port": 26080,
         "dovecot_metrics_port": 26166, "postfix_exporter_port": 26154,
         "node_exporter_port": 26100}
SYSTEMD_DIRS = ("/etc/systemd/system", "/lib/systemd/system")
# Test hosts (tools/testhost.py) of other checkouts on this machine add and remove their own
# NAT tables at any time; the playbook never writes a table of that name.
TESTHOST_TABLE_PREFIX = "hymail_testhost_"


def nft_tables() -> dict[str, str]:
    """Every table of this machine, stateless (no counters), by "family name"; ``{}`` with
    no nft at all."""
    if shutil.which("nft") is None:
        return {}
    listed = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True,
                            check=True).stdout.split("\n")
    tables = {}
    for line in filter(None, (entry.strip() for entry in listed)):
        _table, family, name = line.split()
        if not name.startswith(TESTHOST_TABLE_PREFIX):
            tables[f"{family} {name}"] = subprocess.run(
                ["nft", "-s", "list", "table", family, name], capture_output=True, text=True,
                check=True).stdout
    return tables


def tree(root: str) -> dict[str, str]:
    """Every entry under ``root``: a file's SHA-256, a link's target, or "dir"."""
    found = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = pathlib.Path(directory, name)
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[str(path)] = "dir"
            else:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def machine_state() -> dict[str, dict[str, str]]:
    return {"nft": nft_tables(), "apt": tree("/etc/apt"),
            **{directory: tree(directory) for directory in SYSTEMD_DIRS}}


def differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(f"{key}: {before.get(key, '(none)')!r} -> {after.get(key, '(none)')!r}"
                  for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def hardening_results(stdout: str) -> list[str]:
    """The outcome word (ok, changed, skipping...) of every host line of the hardening
    role's tasks in ansible-playbook's output."""
    outcomes = []
    for block in stdout.split("\nTASK [")[1:]:
        if block.startswith("hungyen.mail.hardening : "):
            outcomes += [line.split(":")[0] for line in block.splitlines()[1:]
                         if line.startswith(("ok:", "changed:", "skipping:", "fatal:"))]
    return outcomes


@pytest.mark.server
@pytest.mark.playbook
def test_embedded_mailserver_leaves_firewall_apt_and_units_alone():
    before = machine_state()
    assert before["apt"] and before["/lib/systemd/system"], "nothing read: the test is blind"
    state_dir = tempfile.mkdtemp(prefix="hymail-untouched-")
    os.chmod(state_dir, 0o755)  # the vmail user walks into mail/ below it
    try:
        extra = ["-e", json.dumps(port_variables(PORTS))]
        result = run_playbook("mailserver.yml", state_dir, *extra)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr
        hardening = hardening_results(result.stdout)
        assert hardening and set(hardening) == {"skipping"}, hardening
        after = machine_state()
    finally:
        stop_server(state_dir)
    for part, listing in before.items():
        assert differences(listing, after[part]) == [], f"embedded mode changed {part}"
