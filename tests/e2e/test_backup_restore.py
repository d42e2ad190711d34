"""Backup, restore and purge against the real Postfix + Dovecot (Điều 10.2.đ).

Deliver mail, back up, destroy, restore: every message comes back byte for byte, with its
owner and mode, and the issued passwords log in again. The module's logic runs in-process
(``mailbox_backup.run``); one test runs backup.yml and restore.yml for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backup.archive import (
    BackupError,
    complete,
    read_manifest,
)
from ansible_collections.hungyen.mail.plugins.modules import mailbox_backup
from e2e_support import DOMAIN, mailbox, run_playbook

pytestmark = pytest.mark.server


def run(server, backup_dir, check: bool = False, **params) -> dict:
    base = {"state_dir": str(server.state_dir), "domain": DOMAIN, "backup_dir": str(backup_dir)}
    result = mailbox_backup.run(base | params, check)
    text = json.dumps(result, ensure_ascii=False)
    assert "$argon2" not in text and "{ARGON2ID}" not in text
    return result


def messages(server, *locals_: str) -> dict[str, tuple[str, int, int, int]]:
    """Every message file of the mailboxes: sha256, mode, uid, gid, by path."""
    found = {}
    for local in locals_:
        for path in sorted(server.maildir(local).glob("*/*")):
            if path.parent.name in ("cur", "new") and path.is_file():
                info = path.stat()
                found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                    info.st_mode & 0o7777, info.st_uid, info.st_gid)
    return found


def served(server) -> dict[str, tuple[str, int, int, int]]:
    """The live generation's files (what the servers read), as ``messages`` describes them."""
    found = {}
    for path in sorted(server.live.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.name != "pending.json":
            info = path.stat()
            found[path.name] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                info.st_mode & 0o7777, info.st_uid, info.st_gid)
    return found


def stock(province, agency: str, *locals_: str, count: int = 2) -> dict[str, str]:
    """Create the mailboxes, deliver ``count`` messages to each; returns the passwords."""
    province.declare(*(mailbox(local, agency) for local in locals_))
    province.run()
    for local in locals_:
        for number in range(count):
            province.server.send(local, f"sao luu {local} {number}")
    for local in locals_:
        for number in range(count):
            province.server.delivered(local, f"sao luu {local} {number}")
    return {local: province.password(local) for local in locals_}


def test_destroy_then_restore_all_brings_every_message_back_and_logins_work(province, tmp_path):
    server = province.server
    names = ("bkan", "bkbinh", "bkcuong")
    passwords = stock(province, "tbackup", *names)
    mail_before, data_before = messages(server, *names), served(server)
    assert len(mail_before) == 6

    taken = run(server, tmp_path, action="backup")["backup"]
    assert taken["messages"] >= 6 and taken["accounts"] >= 3
    assert os.stat(taken["path"]).st_mode & 0o777 == 0o700

    for path in server.live.iterdir():  # the disaster: served files and all the mail gone
        if path.is_file():
            path.unlink()
    for home in (server.state_dir / "mail" / DOMAIN).iterdir():
        shutil.rmtree(home)

    result = run(server, tmp_path, action="restore")
    assert result["backup"] == taken["name"] and result["mail"]["messages"] >= 6
    assert messages(server, *names) == mail_before
    assert served(server) == data_before
    for local in names:
        server.assert_login(local, passwords[local])
    server.send("bkan", "sau khoi phuc")
    assert server.delivered("bkan", "sau khoi phuc")


def test_restore_one_mailbox_after_deleting_its_maildir_touches_no_other(province, tmp_path):
    server = province.server
    passwords = stock(province, "tbackup1", "bkmot", "bkhai", count=1)
    before = messages(server, "bkmot")
    run(server, tmp_path, action="backup")
    other = {str(p): p.stat().st_mtime_ns for p in server.maildir("bkhai").rglob("*")}
    shutil.rmtree(server.maildir("bkmot").parent)

    result = run(server, tmp_path, action="restore", address=f"bkmot@{DOMAIN}")
    assert result["mail"]["messages"] == 1 and messages(server, "bkmot") == before
    assert {str(p): p.stat().st_mtime_ns for p in server.maildir("bkhai").rglob("*")} == other
    imap = server.imap("bkmot", passwords["bkmot"])
    try:
        assert imap.select("INBOX")[1] == [b"1"]
    finally:
        imap.logout()


def test_purge_refused_until_revoked_and_backed_up_then_removes_the_mail(province, tmp_path):
    server = province.server
    stock(province, "tbackup2", "bkxoa", count=1)
    run(server, tmp_path, action="backup")
    with pytest.raises(BackupError, match="HYB011"):
        run(server, tmp_path, action="purge", address="bkxoa")

    server.send("bkxoa", "sau lan sao luu")
    server.delivered("bkxoa", "sau lan sao luu")
    province.declare(mailbox("bkxoa", "tbackup2", status="revoked"))
    assert province.run()["summary"]["revoke"] == 1
    with pytest.raises(BackupError, match="HYB013"):
        run(server, tmp_path, action="purge", address="bkxoa")

    run(server, tmp_path, action="backup")
    home = server.maildir("bkxoa").parent
    preview = run(server, tmp_path, check=True, action="purge", address="bkxoa")
    assert preview["purged"]["messages"] == 2 and home.exists()
    done = run(server, tmp_path, action="purge", address="bkxoa", by="e2e", reason="thử")
    assert done["purged"]["backup"] == complete(str(tmp_path))[-1] and not home.exists()
    entry = json.loads((server.data / "journal.jsonl").read_text().splitlines()[-1])
    assert (entry["action"], entry["address"]) == ("purge", "bkxoa")


@pytest.mark.playbook
def test_backup_and_restore_playbooks(province, tmp_path):
    server = province.server
    stock(province, "tbackup3", "bkpb", count=1)
    backups = tmp_path / "backups"
    result = run_playbook("backup.yml", str(server.state_dir), "-e", f"backup_dir={backups}")
    assert result.returncode == 0, result.stdout[-3000:]
    [name] = complete(str(backups))
    assert any(e.path.endswith("users.passwd") for e in read_manifest(str(backups / name)))
    [lost] = list(messages(server, "bkpb"))
    content = pathlib.Path(lost).read_bytes()
    os.unlink(lost)

    result = run_playbook("restore.yml", str(server.state_dir), "-e", f"backup_dir={backups}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert pathlib.Path(lost).read_bytes() == content
    assert "$argon2" not in result.stdout + result.stderr
