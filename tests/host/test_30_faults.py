"""Faults of the deployed host in systemd mode (issue 19, items 1 and 5): a master killed with
SIGKILL (each, and both), a reboot with the listen address there early, and one where it
appears 20 s after boot. After each, the units restart what died (NRestarts grows), the
ports answer within 15 s, and mail accepted just before (or during) the fault is delivered
within 60 s of the ports answering, with nobody running ``postqueue -f``.
"""

from __future__ import annotations

import time

import pytest
from deploy_support import (
    DOMAIN,
    OPERATOR,
    UNITS,
    send,
    token,
    units_state,
    wait_active,
    wait_delivered,
    wait_ports,
)

pytestmark = [pytest.mark.testhost]

RECIPIENT = f"{OPERATOR}@{DOMAIN}"
PORTS_WITHIN = 15
DELIVERED_WITHIN = 60


@pytest.mark.parametrize("killed", [("postfix@-.service",), ("dovecot.service",), UNITS],
                         ids=["postfix", "dovecot", "both"])
def test_a_killed_master_is_restarted_and_its_mail_delivered(deployed, testhost, killed):
    wait_active(testhost, 30)
    before = units_state(testhost)
    subjects = [token()]
    send(testhost, RECIPIENT, subjects[0])  # accepted just before the kill
    pids = " ".join(before[unit]["MainPID"] for unit in killed)
    testhost.run(f"kill -9 {pids}")
    if "postfix@-.service" not in killed:
        # Postfix takes it while Dovecot is away: deferred, then delivered after the restart.
        subjects.append(token())
        send(testhost, RECIPIENT, subjects[1])
    answering = wait_ports(testhost, PORTS_WITHIN)
    after = wait_active(testhost, 10)
    for unit in killed:
        assert int(after[unit]["NRestarts"]) > int(before[unit]["NRestarts"]), (unit, after)
        assert after[unit]["MainPID"] != before[unit]["MainPID"]
    for unit in set(UNITS) - set(killed):
        assert after[unit]["MainPID"] == before[unit]["MainPID"], f"{unit} restarted too"
    for subject in subjects:
        wait_delivered(testhost, subject, DELIVERED_WITHIN)
    assert answering < PORTS_WITHIN


@pytest.mark.parametrize("address_delay", [0, 20], ids=["address-early", "address-20s-late"])
def test_after_a_reboot_both_servers_come_back(deployed, testhost, address_delay):
    wait_active(testhost, 30)
    subject = token()
    send(testhost, RECIPIENT, subject)
    marker = token()
    testhost.run(f"logger -t hytest {marker}; journalctl --flush")
    testhost.reboot(address_delay=address_delay)
    booted = time.monotonic()
    # The units retried while the address was missing (every few seconds, never giving up).
    wait_ports(testhost, 60)
    states = wait_active(testhost, 30)
    assert time.monotonic() - booted < 60 + PORTS_WITHIN
    for unit in UNITS:
        assert testhost.run(f"systemctl is-enabled {unit}").stdout.strip() == "enabled"
        if address_delay:
            assert int(states[unit]["NRestarts"]) > 0, (unit, states[unit])
    wait_delivered(testhost, subject, DELIVERED_WITHIN)
    previous = testhost.run("journalctl -u dovecot -b -1 --no-pager -q").stdout
    assert "dovecot" in previous, "journalctl -u dovecot -b -1 shows nothing of the last boot"
    assert marker in testhost.run("journalctl -b -1 -t hytest --no-pager -q").stdout
    # A message sent now goes through the restarted servers end to end.
    fresh = token()
    send(testhost, RECIPIENT, fresh)
    wait_delivered(testhost, fresh, DELIVERED_WITHIN)
