"""The main job on the repository's real province: apply (with its notices), then again.

Every password the run generated (in the delivered notices and the bootstrap file) is then
looked for in both runs' Ansible output, the server's state, the desired state and the
repository: it may only be in the notices' mailboxes and the bootstrap file, and its hash
only in the account file."""

from __future__ import annotations

import email
import email.policy
import json
import re
import time

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import (
    ACTIONS,
    LABELS,
)
from e2e_support import DOMAIN, ROOT, issued_credentials, run_playbook, wipe
from secrets_scan import HASH, PASSWORD, REAL_HASH, Scanner, describe, repository_files
from test_notifications import credentials_in, delivered_notices

pytestmark = [pytest.mark.server, pytest.mark.playbook]


def reconcile_summary(output: str) -> dict:
    """The counts the apply printed for its reconcile task, by action code (the line reads
    ``Kế hoạch: 4 thay đổi. Cấp mới (điểm a khoản 2 Điều 6): 3; …`` with 10.000-style
    figures), and the total."""
    block = output.split("TASK [Show what was applied]", 1)[1].split("TASK [", 1)[0]
    line = " ".join(block.split())  # the callback wraps a long message
    figure = r"(\d+(?:\.\d{3})*)"
    total = re.search(rf"Kế hoạch: {figure} thay đổi", line)
    counts = {"total": int(total[1].replace(".", "")) if total else 0}
    for action in ACTIONS:
        found = re.search(rf"{re.escape(LABELS[action])}: {figure}", line)
        counts[action] = int(found[1].replace(".", "")) if found else 0
    return counts


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

    # Secrets: every password the run issued, and every hash, only where they belong.
    issued = issued_passwords(server)
    assert len(issued) == len(mailboxes), "a password the notices do not show"
    hashes = account_hashes(server)
    assert set(hashes) == set(issued)
    # The scanner sees each one where it is (the notices are base64 MIME parts).
    seen = Scanner(passwords=issued, shapes=None).paths(
        server.state_dir / "mail", server.state_dir / "bootstrap")
    assert {finding.what for finding in seen} == set(issued), "the scanner missed a notice"
    scanner = Scanner(passwords=issued, hashes=hashes, allowed={
        server.state_dir / "mail": {PASSWORD}, server.state_dir / "bootstrap": {PASSWORD},
        server.state_dir / "data" / "gen" / "*" / "users.passwd": {HASH},
        server.state_dir / "data" / "gen" / "*" / "must-change.passwd": {HASH},
        # the collection's code the web side runs (it names the hash scheme); the
        # repository's code is scanned for real hashes below
        server.state_dir / "lib": {HASH}})
    leaks = [finding for label, text in (
        ("first apply.yml stdout", first.stdout), ("first apply.yml stderr", first.stderr),
        ("second apply.yml stdout", second.stdout), ("second apply.yml stderr", second.stderr))
        for finding in scanner.text(label, text)]
    leaks += settled(lambda: scanner.paths(server.state_dir))  # the queue empties last
    leaks += scanner.paths(tmp_path)
    leaks += Scanner(passwords=issued, hashes=hashes, shapes=REAL_HASH).files(
        repository_files(ROOT))
    leaks += Scanner(passwords=issued, hashes=hashes, shapes=None).paths(ROOT / "build")
    assert not leaks, describe(leaks)


def issued_passwords(server) -> dict[str, str]:
    """Every password of the run, by address: in the notices delivered to any mailbox (the
    playbook sent them all) and in the bootstrap file (the operator mailbox's own)."""
    found = {}
    for path in sorted((server.state_dir / "mail" / DOMAIN).glob("*/Maildir/*/*")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Hymail-Notice"]:
            found.update(credentials_in(message))
    found.update((item["address"], item["password"]) for item in issued_credentials(server))
    return found


def account_hashes(server) -> dict[str, str]:
    """The hash of every account in the account file the servers read."""
    lines = (server.data / "live" / "users.passwd").read_text("utf-8").splitlines()
    return dict(line.split(":", 2)[:2] for line in lines if line.count(":") >= 2)


def settled(scan, timeout: float = 30) -> list:
    """The findings of ``scan`` once Postfix has removed delivered notices from its queue
    (their files leave spool/ just after the delivery): scans again for a while."""
    deadline = time.monotonic() + timeout
    while True:
        found = scan()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(1)
