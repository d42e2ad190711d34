"""Backup, verify, retention, restore and purge on a hand-made server (no mail server).

A backup is named by the product's clock: every test here also runs with that clock one and
three years ahead (the ``clock`` mark, tests/conftest.py); a test that compares a backup with
the fixed ``NOW`` stands the clock there (``clock_at``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import pathlib
import shutil

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backup import create as backup_create
from ansible_collections.hungyen.mail.plugins.module_utils.backup import restore as backup_restore
from ansible_collections.hungyen.mail.plugins.module_utils.backup import site as backup_site
from ansible_collections.hungyen.mail.plugins.module_utils.backup.archive import (
    Entry,
    Site,
    choose_retention,
    complete,
    pinned,
    read_info,
    read_log,
    read_manifest,
    shown_name,
    verify,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backup.restore import merge_journal
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account

DOMAIN = "hungyen.gov.vn"
LETTER = Request("12/ĐN", "2026-11-01")
HASH_LINE = "{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA"

pytestmark = pytest.mark.clock


class FakeServer:
    """A state dir in the generation layout, with accounts and maildirs, as a Site."""

    def __init__(self, root):
        self.state = root / "state"
        self.data = self.state / "data"
        self.mail = self.state / "mail" / DOMAIN
        self.accounts = {}
        self.lock_depth = 0
        self.installed = []
        self.generation(1, self.passwd_files(["nvan", "ttbinh", "lhcuong"]))
        (self.data / "journal.jsonl").write_text('{"at": "2026-11-01T00:00:00+00:00"}\n')
        for local in ("nvan", "ttbinh", "lhcuong"):
            self.accounts[local] = Account(local, agency="sotttt", kind="person",
                                           name=f"Cán bộ {local}", request=LETTER)
            self.deliver(local, f"{local}-1", b"Subject: one\r\n\r\nx\r\n")
            self.deliver(local, f"{local}-2", b"Subject: two\r\n\r\ny\r\n", seen=True)

    def passwd_files(self, locals_: list[str]) -> dict[str, str]:
        passwd = "".join(f"{local}@{DOMAIN}:{HASH_LINE}::::::\n" for local in locals_)
        return {"users.passwd": passwd, "vmailbox": passwd.replace(HASH_LINE, "OK"),
                "vmailbox.db": "index", "accounts.json": "{}\n", "digests.json": "{}\n",
                "pending.json": '{"notices": "secret"}'}

    def generation(self, number: int, files: dict[str, str]) -> None:
        directory = self.data / "gen" / str(number)
        directory.mkdir(parents=True)
        for name, text in files.items():
            (directory / name).write_text(text)
            (directory / name).chmod(0o640 if name == "users.passwd" else 0o644)
        link = self.data / "live"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(f"gen/{number}")

    def deliver(self, local: str, unique: str, body: bytes, seen: bool = False) -> str:
        maildir = self.mail / local / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        path = maildir / ("cur" if seen else "new") / (unique + (":2,S" if seen else ""))
        path.write_bytes(body)
        path.chmod(0o600)
        return str(path)

    def site(self) -> Site:
        return Site(state_dir=str(self.state), domain=DOMAIN, live_dir=self.live_dir,
                    locked=self.locked, home=lambda local: str(self.mail / local),
                    accounts=lambda: dict(self.accounts), install=self.install)

    def live_dir(self) -> str:
        return os.path.realpath(self.data / "live")

    @contextlib.contextmanager
    def locked(self, timeout: float = 0):
        self.lock_depth += 1
        try:
            yield
        finally:
            self.lock_depth -= 1

    def install(self, directory: str, entries: list[Entry]) -> str:
        assert self.lock_depth, "a generation is installed under the lock"
        number = int(os.path.basename(self.live_dir())) + 1
        files = {e.path: (pathlib.Path(directory) / e.path).read_text() for e in entries}
        self.generation(number, files)
        self.installed.append(number)
        return str(number)

    def tree(self) -> dict[str, bytes]:
        """Every file of the mail tree and the live generation, with its bytes."""
        found = {}
        for base in (self.mail, self.data / "live"):
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    found[str(path.relative_to(self.state))] = path.read_bytes()
        return found


@pytest.fixture(name="server")
def fixture_server(tmp_path) -> FakeServer:
    return FakeServer(tmp_path)


@pytest.fixture(name="backups")
def fixture_backups(tmp_path) -> str:
    return str(tmp_path / "backups")


def take(server: FakeServer, backups: str, keep: int = 7, keep_days: int = 30) -> dict:
    return backup_create.create(server.site(), backups, keep, keep_days, "test")


# --- manifest and verification ---------------------------------------------------------


def test_manifest_line_round_trips_a_path_with_spaces():
    entry = Entry("mail/x/a b:2,S", "ab" * 32, 12, 0o640, "root", "dovecot")
    assert Entry.parse(entry.line()) == entry


def test_backup_holds_data_journal_and_mail_with_private_modes(server, backups):
    result = take(server, backups)
    path = result["backup"]["path"]
    paths = {entry.path for entry in read_manifest(path)}
    assert {"data/live/users.passwd", "data/live/vmailbox.db", "data/live/digests.json",
            "data/journal.jsonl"} <= paths
    assert "data/live/pending.json" not in paths  # an apply's pending work is never copied
    assert f"mail/{DOMAIN}/nvan/Maildir/cur/nvan-2:2,S" in paths
    assert os.path.basename(path) in complete(backups)
    assert os.stat(backups).st_mode & 0o777 == 0o700
    for root, dirs, files in os.walk(path):
        assert all(os.stat(os.path.join(root, d)).st_mode & 0o777 == 0o700 for d in dirs)
        assert all(os.stat(os.path.join(root, f)).st_mode & 0o777 == 0o600 for f in files)
    info = read_info(path)
    assert (info["accounts"], info["messages"], info["generation"]) == (3, 6, "1")
    assert info["verified"] and info["tool_version"] == "test"


def test_manifest_records_the_original_mode(server, backups):
    path = take(server, backups)["backup"]["path"]
    modes = {entry.path: entry.mode for entry in read_manifest(path)}
    assert modes["data/live/users.passwd"] == 0o640


def test_result_and_backup_json_never_hold_a_hash(server, backups):
    result = take(server, backups)
    info = pathlib.Path(result["backup"]["path"], "backup.json").read_text()
    text = json.dumps(result) + info
    assert "argon2" not in text and "secret" not in text


def test_verify_catches_a_flipped_byte(server, backups):
    path = take(server, backups)["backup"]["path"]
    target = pathlib.Path(path, f"mail/{DOMAIN}/ttbinh/Maildir/new/ttbinh-1")
    data = bytearray(target.read_bytes())
    data[3] ^= 0x01
    target.write_bytes(bytes(data))
    checked = verify(path)
    assert not checked.ok and checked.changed == [f"mail/{DOMAIN}/ttbinh/Maildir/new/ttbinh-1"]


def test_verify_catches_missing_and_unexpected_files(server, backups):
    path = take(server, backups)["backup"]["path"]
    os.unlink(os.path.join(path, "data/journal.jsonl"))
    pathlib.Path(path, "data/extra").write_text("x")
    checked = verify(path)
    assert checked.missing == ["data/journal.jsonl"] and checked.unexpected == ["data/extra"]
    assert checked.summary().endswith(": 1 tệp bị thiếu (ví dụ: data/journal.jsonl), 1 tệp "
                                      "không có trong MANIFEST (ví dụ: data/extra)")


def test_verify_catches_an_edited_manifest(server, backups):
    path = take(server, backups)["backup"]["path"]
    with open(os.path.join(path, "MANIFEST"), "a") as handle:
        handle.write(Entry("data/x", "0" * 64, 0).line())
    assert "MANIFEST" in verify(path).problem


def test_an_interrupted_backup_never_looks_complete(server, backups, monkeypatch):
    def broken(self):
        raise OSError("disk full")

    monkeypatch.setattr(backup_create.MailCopier, "run", broken)
    with pytest.raises(OSError):
        take(server, backups)
    assert complete(backups) == [] and any(n.endswith(".partial") for n in os.listdir(backups))
    monkeypatch.undo()
    take(server, backups)
    assert len(complete(backups)) == 1
    assert not any(name.endswith(".partial") for name in os.listdir(backups))


def test_unchanged_messages_are_hard_links_to_the_previous_backup(server, backups):
    first = take(server, backups)["backup"]["path"]
    server.deliver("nvan", "nvan-3", b"Subject: three\r\n\r\nz\r\n")
    os.utime(server.mail, None)
    second = backup_create.create(server.site(), backups, 7, 30)
    relative = f"mail/{DOMAIN}/nvan/Maildir/new/nvan-1"
    assert os.stat(os.path.join(first, relative)).st_ino == \
        os.stat(os.path.join(second["backup"]["path"], relative)).st_ino
    assert second["backup"]["linked"] == 6 and second["backup"]["messages"] == 7


def test_a_message_renamed_during_the_copy_is_taken_under_its_new_name(server, tmp_path):
    site = server.site()
    old = server.mail / "nvan" / "Maildir" / "new" / "nvan-1"
    new = server.mail / "nvan" / "Maildir" / "cur" / "nvan-1:2,S"
    os.rename(old, new)
    work = tmp_path / "work"
    work.mkdir()
    copier = backup_create.MailCopier(site, str(work), None)
    copier._file(str(old))  # listed as new/nvan-1, gone when copied
    assert [e.path for e in copier.entries] == [f"mail/{DOMAIN}/nvan/Maildir/cur/nvan-1:2,S"]


def test_backup_dir_inside_the_mail_tree_is_refused(server):
    with pytest.raises(backup_restore.BackupError, match="HYB016"):
        take(server, str(server.mail / "backups"))


# --- retention -------------------------------------------------------------------------

NOW = datetime.datetime(2026, 11, 29, 12, tzinfo=datetime.UTC)


def stamps(*days_ago: float) -> list[str]:
    return [(NOW - datetime.timedelta(days=d)).strftime("%Y%m%dT%H%M%SZ") for d in days_ago]


@pytest.mark.parametrize(("days_ago", "keep", "keep_days", "deleted"), [
    ((0, 1, 2), 7, 30, []),                       # few: all kept
    ((0, 40, 50, 60), 2, 30, [2, 3]),             # the newest 2, then none younger than 30 d
    ((0, 1, 2, 3, 40), 2, 30, [4]),               # younger than 30 d kept beyond the newest 2
    ((100, 200), 1, 30, [1]),                     # all old: the newest is still kept
    ((0, 1, 2), 1, 0, [1, 2]),                    # keep_days 0: only the newest N
])
def test_retention_keeps_the_newest_n_and_the_recent(days_ago, keep, keep_days, deleted):
    names = stamps(*days_ago)
    decision = choose_retention(names, NOW, keep, keep_days)
    assert sorted(n for n, why in decision.items() if why == "delete") == \
        sorted(names[i] for i in deleted)


def test_retention_keeps_a_backup_a_purge_relied_on():
    names = stamps(0, 100)
    assert choose_retention(names, NOW, 1, 30, {names[1]})[names[1]] == "pinned"


def test_retention_refuses_to_keep_nothing():
    with pytest.raises(backup_restore.BackupError, match="HYB014"):
        choose_retention(stamps(0), NOW, 0, 30)


def test_backup_applies_retention(server, backups):
    os.makedirs(os.path.join(backups, "20200101T000000Z"))  # an old, complete backup
    result = take(server, backups, keep=1, keep_days=30)
    assert result["retention"]["deleted"] == ["20200101T000000Z"]
    assert complete(backups) == [result["backup"]["name"]]


# --- restore ---------------------------------------------------------------------------


def test_restore_all_brings_everything_back_byte_for_byte(server, backups):
    before = server.tree()
    take(server, backups)
    shutil.rmtree(server.mail)
    for path in (server.data / "live").iterdir():
        path.unlink()
    (server.data / "journal.jsonl").unlink()
    result = backup_restore.restore_all(server.site(), backups)
    after = server.tree()
    del before["data/live/pending.json"]
    assert after == before
    assert result["mail"]["copied"] == 6 and result["generation"] == "2"
    assert result["msg"].endswith("dữ liệu tài khoản được ghi thành một phiên bản dữ liệu mới")
    assert (server.data / "journal.jsonl").read_text().startswith('{"at": "2026-11-01')


def test_restore_all_keeps_newer_mail_and_never_duplicates_a_renamed_message(server, backups):
    take(server, backups)
    maildir = server.mail / "nvan" / "Maildir"
    os.rename(maildir / "new" / "nvan-1", maildir / "cur" / "nvan-1:2,S")  # read since
    server.deliver("nvan", "nvan-9", b"Subject: newer\r\n\r\n")
    (maildir / "cur" / "nvan-2:2,S").unlink()  # deleted since: comes back
    result = backup_restore.restore_all(server.site(), backups)
    names = sorted(p.name for p in maildir.rglob("*") if p.is_file())
    assert names == ["nvan-1:2,S", "nvan-2:2,S", "nvan-9"]
    assert result["mail"]["copied"] == 1


def test_restore_all_refuses_to_drop_accounts_created_since(server, backups):
    take(server, backups)
    server.accounts["moi"] = Account("moi")
    with pytest.raises(backup_restore.BackupError, match="HYB006 .*moi"):
        backup_restore.restore_all(server.site(), backups)
    assert backup_restore.restore_all(server.site(), backups, force=True)["dropped_accounts"] \
        == ["moi"]


def test_restore_all_in_check_mode_writes_nothing(server, backups):
    take(server, backups)
    shutil.rmtree(server.mail / "ttbinh")
    result = backup_restore.restore_all(server.site(), backups, check_mode=True)
    assert result["mail"]["copied"] == 2 and not (server.mail / "ttbinh").exists()
    assert server.installed == []


def test_restore_uses_the_newest_backup_that_verifies(server, backups):
    first = take(server, backups)["backup"]["name"]
    server.deliver("nvan", "nvan-3", b"Subject: three\r\n\r\n")
    second = take(server, backups)["backup"]["path"]
    with open(os.path.join(second, "MANIFEST"), "a") as handle:
        handle.write("broken\n")
    result = backup_restore.restore_all(server.site(), backups, check_mode=True)
    assert result["backup"] == first and len(result["skipped"]) == 1
    with pytest.raises(backup_restore.BackupError, match="HYB005"):
        backup_restore.restore_all(server.site(), backups, os.path.basename(second))


def test_restore_one_mailbox_touches_no_other(server, backups):
    take(server, backups)
    shutil.rmtree(server.mail / "ttbinh")
    shutil.rmtree(server.mail / "nvan")
    result = backup_restore.restore_mailbox(server.site(), backups, f"ttbinh@{DOMAIN}")
    assert result["mail"]["messages"] == 2 and not (server.mail / "nvan").exists()
    assert (server.mail / "ttbinh" / "Maildir" / "new" / "ttbinh-1").read_bytes() == \
        b"Subject: one\r\n\r\nx\r\n"
    assert (server.mail / "ttbinh" / "Maildir" / "tmp").is_dir()


def test_restore_one_mailbox_refusals(server, backups):
    with pytest.raises(backup_restore.BackupError, match="HYB003"):
        backup_restore.restore_mailbox(server.site(), backups, "nvan")
    take(server, backups)
    with pytest.raises(backup_restore.BackupError, match="HYB007"):
        backup_restore.restore_mailbox(server.site(), backups, "khongco")
    server.accounts["moi"] = Account("moi")
    with pytest.raises(backup_restore.BackupError, match="HYB008"):
        backup_restore.restore_mailbox(server.site(), backups, "moi")
    with pytest.raises(backup_restore.BackupError, match="HYB009"):
        backup_restore.restore_mailbox(server.site(), backups, "nvan@example.org")


@pytest.mark.parametrize(("ours", "theirs", "result", "added"), [
    ("a\nb\n", None, "a\nb\n", 2),             # journal lost: the backup's
    ("a\nb\n", "a\nb\nc\n", "a\nb\nc\n", 0),   # live is newer: kept as it is
    ("a\nb\n", "c\n", "a\nb\nc\n", 2),         # live restarted: the backup's first
])
def test_merge_journal_loses_no_entry(tmp_path, ours, theirs, result, added):
    backup, live = tmp_path / "backup.jsonl", tmp_path / "live.jsonl"
    backup.write_text(ours)
    if theirs is not None:
        live.write_text(theirs)
    assert merge_journal(str(live), str(backup)) == added
    assert live.read_text() == result


# --- purge -----------------------------------------------------------------------------


def revoke(server: FakeServer, local: str) -> None:
    server.accounts[local] = server.accounts[local].evolve(status="revoked")


def test_purge_refuses_an_active_mailbox(server, backups):
    take(server, backups)
    with pytest.raises(backup_restore.BackupError, match="HYB011 hộp thư nvan@hungyen.gov.vn "
                       "đang hoạt động, .*điểm c khoản 2 Điều 6"):
        backup_restore.purge(server.site(), backups, "nvan")


def test_purge_refuses_without_a_backup(server, backups):
    revoke(server, "nvan")
    with pytest.raises(backup_restore.BackupError, match="HYB003"):
        backup_restore.purge(server.site(), backups, "nvan")


def test_purge_refuses_when_no_backup_holds_every_message(server, backups):
    take(server, backups)
    revoke(server, "nvan")
    server.deliver("nvan", "nvan-late", b"Subject: after the backup\r\n\r\n")
    with pytest.raises(backup_restore.BackupError,
                       match="HYB013 .*thiếu 1 thư, ví dụ: Maildir/new/nvan-late "):
        backup_restore.purge(server.site(), backups, "nvan")
    assert (server.mail / "nvan").exists()


def test_purge_refuses_when_the_backup_copy_is_damaged(server, backups):
    path = take(server, backups)["backup"]["path"]
    revoke(server, "nvan")
    damaged = pathlib.Path(path, f"mail/{DOMAIN}/nvan/Maildir/new/nvan-1")
    damaged.write_bytes(damaged.read_bytes() + b"!")
    with pytest.raises(backup_restore.BackupError, match="HYB013"):
        backup_restore.purge(server.site(), backups, "nvan")


def test_purge_refuses_a_held_mailbox(server, backups):
    take(server, backups)
    revoke(server, "nvan")
    (server.data / "holds.json").write_text(json.dumps({"holds": {"nvan": {
        "address": "nvan", "action": "revoke", "reason": "x", "by": "y", "at": "z"}}}))
    with pytest.raises(backup_restore.BackupError,
                       match="HYB012 hộp thư nvan@hungyen.gov.vn đang chịu biện pháp khẩn cấp"):
        backup_restore.purge(server.site(), backups, "nvan")


def test_purge_check_mode_deletes_nothing(server, backups):
    take(server, backups)
    revoke(server, "nvan")
    result = backup_restore.purge(server.site(), backups, "nvan", check_mode=True)
    assert result["purged"]["messages"] == 2 and (server.mail / "nvan").exists()
    assert "purge" not in (server.data / "journal.jsonl").read_text()


def test_purge_removes_the_mail_records_it_and_pins_the_backup(server, backups, clock_at):
    clock_at(NOW)  # the backup is taken, and the purge recorded, at NOW
    name = take(server, backups)["backup"]["name"]
    assert name == NOW.strftime("%Y%m%dT%H%M%SZ")
    revoke(server, "nvan")
    maildir = server.mail / "nvan" / "Maildir"
    os.rename(maildir / "new" / "nvan-1", maildir / "cur" / "nvan-1:2,S")  # flags since
    result = backup_restore.purge(server.site(), backups, "nvan", by="pheduyet", reason="nghỉ hưu")
    assert result["purged"] | {"home": None} == {
        "address": "nvan", "home": None, "messages": 2, "bytes": result["purged"]["bytes"],
        "backup": name}
    assert not (server.mail / "nvan").exists() and (server.mail / "ttbinh").exists()
    entry = json.loads((server.data / "journal.jsonl").read_text().splitlines()[-1])
    assert (entry["action"], entry["address"], entry["at"]) == ("purge", "nvan", NOW.isoformat())
    assert entry["request"] == {"number": "12/ĐN", "date": "2026-11-01"}
    assert (entry["approved_by"], entry["reason"], entry["backup"]) == ("pheduyet", "nghỉ hưu",
                                                                        name)
    assert read_log(backups)[-1]["backup"] == name
    assert pinned(backups) == {name}
    later = stamps(-1)  # a newer backup: the pinned one is past every other rule
    assert choose_retention([name, *later], NOW + datetime.timedelta(days=900), 1, 0,
                            pinned(backups))[name] == "pinned"


def test_purge_of_a_purged_mailbox_changes_nothing(server, backups):
    take(server, backups)
    revoke(server, "nvan")
    backup_restore.purge(server.site(), backups, "nvan")
    assert backup_restore.purge(server.site(), backups, "nvan")["changed"] is False


def test_restore_remakes_the_maildir_folders_a_backup_holds_no_directory_of(server, backups):
    sent = server.mail / "nvan" / "Maildir" / ".Sent"
    sent.mkdir()
    (sent / "maildirfolder").write_text("")
    (sent / "dovecot-uidlist").write_text("3 V1 N1\n")
    take(server, backups)
    shutil.rmtree(server.mail / "nvan")
    backup_restore.restore_mailbox(server.site(), backups, "nvan")
    assert all((sent / sub).is_dir() for sub in ("cur", "new", "tmp"))
    assert os.stat(sent).st_mode & 0o777 == 0o700


@pytest.mark.parametrize(("name", "shown"), [
    ("20261129T020000Z", "20261129T020000Z (09:00 ngày 29/11/2026)"),
    ("20261128T220000Z", "20261128T220000Z (05:00 ngày 29/11/2026)"),  # the 29th in Hưng Yên
    ("khong-phai-ban-sao-luu", "khong-phai-ban-sao-luu"),
])
def test_a_backup_is_named_with_when_it_was_taken_in_vietnams_time(name, shown):
    assert shown_name(name) == shown


def test_backup_message_reads_vietnamese_figures():
    result = {"backup": {"name": "20261129T020000Z", "accounts": 12345, "messages": 1000000,
                         "files": 2000, "bytes": 1536 * 1024},
              "retention": {"deleted": ["a", "b"]}}
    assert backup_site.backup_message(result, False) == (
        "đã sao lưu và kiểm tra bản 20261129T020000Z (09:00 ngày 29/11/2026): 12.345 hộp thư, "
        "1.000.000 thư, 2.000 tệp (1,5 MB); xóa 2 bản cũ theo chính sách lưu giữ")
