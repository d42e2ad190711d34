"""Backup, restore and purge on the deployed host (docs/operations.md), and an embedded state
moved to the host with the runbook's commands (issue 19 item 5).

The backup test runs backup.yml, restore.yml and purge.yml as an operator does: one message
lost on the host comes back from the backup and is read again over IMAPS by its owner; the
revoked mailbox of the test province (test_20's, set up here when test_20 did not run) is
purged once a backup holds its mail, and an active one is refused.

The move builds an embedded state on the controller with the playbooks (inventory/local, its
own ports), with a renamed and a revoked mailbox and mail in every mailbox, stops it, and
moves it as docs/production.md says: the host's units stopped, ``mail/`` and ``data/``
copied into its state_dir with rsync, apply.yml. Every message is then read at its
current address over IMAPS, the revoked address is refused, and drift.yml finds nothing.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import tempfile

import pytest
from helpers import stop_server
from mail_support import (
    ACTIVE,
    BEFORE_REVOKE,
    OPERATOR,
    REVOKED,
    STATE_DIR,
    Server,
    agency_file,
    assert_ok,
    full,
    in_maildir,
    local_playbook,
    move_to_host,
    passwords_from_notices,
    playbook,
    province,
    rcpt,
    send,
    send_local,
    subjects,
    tree,
    wait_read,
)

pytestmark = [pytest.mark.testhost, pytest.mark.playbook]
BACKUP_DIR = "/srv/backup/hymail"  # inventory/production.example's backup_dir


@pytest.fixture(scope="module")
def host(deployed, testhost):
    return testhost


def test_backup_restore_and_purge_on_the_host(host, tmp_path_factory):
    work = tmp_path_factory.mktemp("backup")
    passwords = province(host, tmp_path_factory.mktemp("mail-province")).passwords
    subject = "thu qua sao luu va khoi phuc"
    send(host, ACTIVE, subject)
    wait_read(host, ACTIVE, passwords[ACTIVE], subject)

    assert_ok(playbook(host, "backup.yml", work), "backup.yml", tuple(passwords.values()))
    backup = host.run(f"ls {BACKUP_DIR} | grep -E '^[0-9]{{8}}T[0-9]{{6}}Z$'").stdout.split()[-1]
    manifest = host.run(f"cat {BACKUP_DIR}/{backup}/MANIFEST").stdout
    assert f"/{ACTIVE}/Maildir/" in manifest and f"/{REVOKED}/Maildir/" in manifest

    # The loss: the message expunged on the host (its file deleted), gone for its owner.
    host.run(f"doveadm expunge -u {full(ACTIVE)} mailbox INBOX header subject '{subject}'")
    found = subjects(host, ACTIVE, passwords[ACTIVE])
    assert subject not in found, found

    result = playbook(host, "restore.yml", work)
    assert_ok(result, "restore.yml", tuple(passwords.values()))
    found = subjects(host, ACTIVE, passwords[ACTIVE])
    assert subject in found, found

    # Purge: refused for an active mailbox; a revoked one's mail goes once a backup holds it.
    refused = playbook(host, "purge.yml", work, "-e", f"address={ACTIVE}")
    assert refused.returncode != 0 and "HYB011" in refused.stdout, refused.stdout[-2000:]
    in_maildir(host, REVOKED, BEFORE_REVOKE, timeout=5)
    home = host.run(f"doveadm user -f home {full(REVOKED)}").stdout.strip()
    assert home.startswith(f"{STATE_DIR}/mail/"), home
    result = playbook(host, "purge.yml", work, "-e", f"address={REVOKED}",
                      "-e", "reason=kiem thu tren may chu", "-e", "by=testhost")
    assert_ok(result, "purge.yml", tuple(passwords.values()))
    assert host.run(f"test -e {home}", check=False).returncode == 1, f"{home} still there"
    entry = json.loads(host.run(f"tail -n 1 {STATE_DIR}/data/journal.jsonl").stdout)
    assert (entry["action"], entry["address"]) == ("purge", REVOKED), entry


MOVE_AGENCY, MOVE_AGENCY_NAME = "bcdtn", "Ban Chuyển đổi Thử nghiệm"
STAYS, GOES = "hvchuyen", "dtroi"  # Hoàng Văn Chuyển stays active, Đinh Thị Rời is revoked
OLD, NEW = f"plt.{MOVE_AGENCY}", f"pltds.{MOVE_AGENCY}"


def move_file(changed: bool) -> str:
    division = ({"name": "Phòng Lưu trữ số", "abbreviation": "pltds",
                 "previous_addresses": f"[{OLD}]"} if changed else
                {"name": "Phòng Lưu trữ", "abbreviation": "plt"})
    people = [{"name": "Hoàng Văn Chuyển", "title": "Chuyên viên"},
              {"name": "Đinh Thị Rời", "title": "Chuyên viên"}]
    if changed:
        people[1] |= {"status": "revoked"}
    return agency_file(MOVE_AGENCY, MOVE_AGENCY_NAME, [division], people)


@pytest.fixture
def embedded():
    """A state directory for an embedded server (the servers' users must traverse it)."""
    state_dir = pathlib.Path(tempfile.mkdtemp(prefix="hymail-move-", dir="/var/tmp"))
    os.chmod(state_dir, 0o755)
    yield state_dir
    stop_server(str(state_dir))


SAVED = "/var/lib/hymail-saved-by-test-50"


@pytest.fixture
def host_state_put_back(host):
    """The host's mail and data as they were before the move, put back afterwards (the
    tests after this one, test_60_pipeline, build on the deployed province)."""
    host.run(f"rm -rf {SAVED} && mkdir -m 0700 {SAVED} && "
             f"cp -a {STATE_DIR}/mail {STATE_DIR}/data {SAVED}/")
    yield
    host.run(f"systemctl stop postfix@- dovecot && cd {STATE_DIR} && rm -rf mail data && "
             f"mv {SAVED}/mail {SAVED}/data . && rmdir {SAVED} && "
             "systemctl start postfix@- dovecot")


def test_embedded_state_moved_to_the_host(host, host_state_put_back, embedded, tmp_path):
    created = tree(tmp_path / "created", {f"{MOVE_AGENCY}.yml": move_file(False)})
    changed = tree(tmp_path / "changed", {f"{MOVE_AGENCY}.yml": move_file(True)})
    local = Server(str(embedded))
    assert_ok(local_playbook("apply.yml", embedded, tmp_path, "-e", f"mailboxes_dir={created}"),
              "apply.yml (embedded, created)")
    sent = {MOVE_AGENCY: ["thu cho co quan"], STAYS: ["thu cho ca nhan"],
            GOES: ["thu truoc khi thu hoi"], OLD: ["thu truoc khi doi ten"]}
    for address, [subject] in sent.items():
        send_local(address, subject)
        local.delivered(address, subject, timeout=60)
    assert_ok(local_playbook("apply.yml", embedded, tmp_path, "-e", f"mailboxes_dir={changed}"),
              "apply.yml (embedded, renamed and revoked)")
    send_local(NEW, "thu sau khi doi ten")
    local.delivered(NEW, "thu sau khi doi ten", timeout=60)
    sent[NEW] = sent.pop(OLD) + ["thu sau khi doi ten"]
    # The runbook: pending notices sent (apply.yml ends with notify.yml), the operator's
    # first password read from the old machine's bootstrap file, the embedded servers stopped.
    assert not list((embedded / "outbox").glob("*.jsonl")), "notices still pending"
    operator = re.search(r"^password: (\S+)$", (embedded / "bootstrap" / (
        f"{full(OPERATOR)}.credentials")).read_text("utf-8"), re.M)[1]
    stopped = subprocess.run([str(embedded / "bin" / "mailserverctl"), "stop"],
                             capture_output=True, text=True, timeout=180, check=False)
    assert stopped.returncode == 0, stopped.stderr

    move_to_host(host, embedded)
    work = tmp_path / "host"
    work.mkdir()
    assert_ok(playbook(host, "apply.yml", work, "-e", f"mailboxes_dir={changed}"),
              "apply.yml (host, after the move)")

    # Every message at its current address, read by its owner with the password received
    # (the bootstrap file, then the notices in the moved mail).
    passwords = passwords_from_notices(host, OPERATOR, operator, {MOVE_AGENCY, OLD})
    passwords |= passwords_from_notices(host, MOVE_AGENCY, passwords[MOVE_AGENCY], {STAYS})
    passwords[NEW] = passwords.pop(OLD)  # a rename keeps the account and its password
    for address in (MOVE_AGENCY, STAYS, NEW):
        found = subjects(host, address, passwords[address])
        missing = set(sent[address]) - set(found)
        assert not missing, f"{full(address)} after the move: {sorted(missing)} missing"
    code, text = rcpt(host, full(GOES))
    assert code == 550 and text.startswith("5.1.6 "), (code, text)
    in_maildir(host, GOES, sent[GOES][0], timeout=5)  # a revoked mailbox's mail is kept
    send(host, OLD, "thu toi dia chi cu tren may chu")
    wait_read(host, NEW, passwords[NEW], "thu toi dia chi cu tren may chu")

    drift = playbook(host, "drift.yml", work, "-e", f"mailboxes_dir={changed}")
    assert drift.returncode == 0, (work / "drift.md").read_text("utf-8") \
        if (work / "drift.md").exists() else drift.stdout[-3000:]
