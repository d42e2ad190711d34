"""Embedded mode changes nothing outside state_dir and the packages (issue 19, item 2): a run
of playbooks/mailserver.yml with the local inventory leaves this machine's nftables ruleset,
APT settings and systemd units exactly as they were. The hardening role is for systemd mode.

The run looked at is the session server's own set-up (tests/e2e/conftest.py records the
machine before and after it, and keeps its output): a second installation of a whole server
only for this test took about 100 s. When there is no such run (a session that reuses a
server already set up: HYMAIL_E2E_STATE_DIR), or when it installed Debian packages (their
units are no change of the playbook's: a first set-up on a bare machine), the test sets up
a server of its own, as it always did.
"""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from e2e_support import port_variables, run_playbook
from helpers import stop_server
from machine_state import differences, hardening_results, machine_state

# Ports of this test's own server, away from the session's (HYMAIL_E2E_*) and a developer's.
PORTS = {"smtp_port": 26525, "imap_port": 26143, "submission_port": 26587,
         "submissions_port": 26465, "imaps_port": 26993, "relay_port": 26526,
         "web_port": 26080,
         "dovecot_metrics_port": 26166, "postfix_exporter_port": 26154,
         "node_exporter_port": 26100}


def own_installation() -> dict:
    """A run of mailserver.yml on a state_dir of this test's own, the machine around it."""
    before = machine_state()
    state_dir = tempfile.mkdtemp(prefix="hymail-untouched-")
    os.chmod(state_dir, 0o755)  # the vmail user walks into mail/ below it
    try:
        extra = ["-e", json.dumps(port_variables(PORTS))]
        result = run_playbook("mailserver.yml", state_dir, *extra)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr
        after = machine_state()
    finally:
        stop_server(state_dir)
    return {"before": before, "after": after, "stdout": result.stdout}


@pytest.mark.server
@pytest.mark.playbook
def test_embedded_mailserver_leaves_firewall_apt_and_units_alone(server):
    run = server.installation
    if run is None or run["installed_packages"]:
        run = own_installation()
    before, after = run["before"], run["after"]
    assert before["apt"] and before["/lib/systemd/system"], "nothing read: the test is blind"
    hardening = hardening_results(run["stdout"])
    assert hardening and set(hardening) == {"skipping"}, hardening
    for part, listing in before.items():
        assert differences(listing, after[part]) == [], f"embedded mode changed {part}"
