"""One real Postfix + Dovecot per test session (tests/e2e), stopped at the end.

The server is set up by playbooks/mailserver.yml ONCE, on ports away from the defaults so a
developer's own server does not clash. ``HYMAIL_E2E_STATE_DIR=<dir>`` reuses a server already
set up with those ports, after WIPING its accounts, mail and outbox (a test server only);
``HYMAIL_E2E_KEEP=1`` keeps the state directory for a post-mortem.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from e2e_support import Province, Server, run_playbook, wipe
from helpers import stop_server
from machine_state import machine_state, packages
from outside_support import OutsideWorld


@pytest.fixture(scope="session")
def server():
    """The session's mail server (set up by playbooks/mailserver.yml, stopped at the end)."""
    reuse = os.environ.get("HYMAIL_E2E_STATE_DIR")
    if reuse:
        wipe(reuse)
        yield Server(reuse)
        return
    state_dir = tempfile.mkdtemp(prefix="hymail-e2e-")
    os.chmod(state_dir, 0o755)  # the vmail user walks into mail/ below it
    # The machine around the set-up, for test_embedded_untouched (embedded mode leaves the
    # firewall, APT and systemd units alone): this run is the one it looks at.
    before, packages_before = machine_state(), packages()
    result = run_playbook("mailserver.yml", state_dir)
    try:
        if result.returncode != 0:
            pytest.fail(f"mailserver.yml failed:\n{result.stdout[-4000:]}\n{result.stderr}")
        session_server = Server(state_dir)
        session_server.installation = {
            "before": before, "after": machine_state(), "stdout": result.stdout,
            "installed_packages": packages() != packages_before}
        yield session_server
    finally:
        stop_server(state_dir)


@pytest.fixture
def province(server, tmp_path) -> Province:
    return Province(server, tmp_path)


@pytest.fixture(scope="session")
def outside():
    """The outside world (tests/e2e/outside_support.py): the receiving server on the relay
    port, where the mail server sends mail for other domains. Ask for it before the mail
    server sends: what Postfix relays while nobody listens waits in its queue."""
    with OutsideWorld() as world:
        yield world
