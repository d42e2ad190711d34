"""The backup actions on a real backend: the Site adapter, and one entry point for the module.

The Postfix + Dovecot backend offers the lock, the live generation, each account's home and
the generations themselves; a restored generation is staged and committed the way an apply
commits one (``generations.py``), after finishing what an interrupted apply left.
"""

from __future__ import annotations

import math
import os
import time

from ..apply import after_commit, journal
from ..backends.postfix_dovecot.state import hash_digest
from ..common import clock
from ..common.files import removed_on_error
from ..common.glossary import number
from ..password.change import PasswordChanged
from .archive import (
    DEFAULT_KEEP,
    DEFAULT_KEEP_DAYS,
    LOCK_TIMEOUT,
    BackupError,
    Entry,
    Site,
    copy_file,
    owner_ids,
    shown_name,
)
from .create import create
from .restore import purge, restore_all, restore_mailbox, verify_all


def site_for(backend) -> Site:
    """The Site of a backend (backends.base.MailBackend)."""
    return Site(state_dir=backend.state_dir, domain=backend.domain,
                live_dir=backend.live_dir, locked=backend.locked, home=backend.home,
                accounts=backend.read_state,
                install=lambda directory, entries: install(backend, directory, entries),
                data_dir=backend.data_dir)


def install(backend, directory: str, entries: list[Entry]) -> str:
    """Make the backup's data files the live generation, then keep the passwords the users
    chose since (``keep_chosen_passwords``); returns the live generation's name."""
    with backend.locked():
        after_commit.recover(backend)  # an interrupted apply's work is finished first
        chosen = chosen_passwords(backend)
        generations = backend.generations
        live = generations.live_dir()
        with removed_on_error(generations.stage()) as staging:
            for entry in entries:
                place(os.path.join(directory, entry.path), os.path.join(staging, entry.path),
                      entry, os.path.join(live, entry.path) if live else None)
            final = generations.commit(staging)
        generations.prune()
        kept = keep_chosen_passwords(backend, chosen)
    return kept or os.path.basename(final)


def chosen_passwords(backend) -> dict[str, tuple[str, str | None]]:
    """The live accounts whose hash is not the one the tool issued (their users chose it,
    issue 14): local part -> (hash, when it was chosen)."""
    state = backend.load()
    return {local: (hashed, state.accounts[local].password_changed)
            for local, hashed in state.hashes.items()
            if local in state.accounts and state.issued.get(local) != hash_digest(hashed)}


def keep_chosen_passwords(backend, chosen: dict[str, tuple[str, str | None]]) -> str | None:
    """A restore never takes a password its user chose back to an older one: above all not
    to the initial password the agency's clerk read (Điều 12.1). Every account the restored
    generation holds, active, with another hash than the one its user chose, gets that
    hash back in one more generation (journal ``password_kept``); the password history is
    outside the backups and stays. Returns that generation's name, None when none was
    needed. Called under the lock, right after the restored generation is committed."""
    restored = backend.load()
    updates = {local: (restored.hashes[local], hashed, at or "")
               for local, (hashed, at) in sorted(chosen.items())
               if local in restored.accounts and restored.accounts[local].status == "active"
               and restored.hashes.get(local) != hashed}
    if not updates:
        return None
    now = clock.now().isoformat()
    updates = {local: (old, new, at or now) for local, (old, new, at) in updates.items()}
    entries = [{"v": journal.JOURNAL_VERSION, "at": now, "action": "password_kept",
                "address": local, "agency": restored.accounts[local].agency,
                "reason": "khôi phục từ bản sao lưu: giữ mật khẩu người dùng đã đổi"}
               for local in updates]
    done = backend.set_password_hashes(
        updates, now=now, after=PasswordChanged(backend.state_dir, backend.domain, *entries))
    return done["generation"]


def place(source: str, target: str, entry: Entry, current: str | None) -> None:
    """One data file, byte for byte, with its recorded mode and owner, and an mtime in a
    later second than the file it replaces (Dovecot re-reads a passwd-file on a change of
    whole-second mtime or size)."""
    digest = copy_file(source, target, entry.mode, times=False)
    if digest != entry.sha256:
        raise BackupError("HYB018", source=source)
    os.chown(target, *owner_ids(entry))
    if current and os.path.exists(current):
        stamp = max(time.time(), math.floor(os.stat(current).st_mtime) + 1)
        os.utime(target, (stamp, stamp))


def run(backend, params: dict, check_mode: bool = False) -> dict:
    """One action of ``mailbox_backup``: backup, verify, restore (all, or one mailbox), purge."""
    site = site_for(backend)
    backup_dir = params.get("backup_dir") or os.path.join(backend.state_dir, "backups")
    action, timeout = params["action"], float(params.get("lock_timeout") or LOCK_TIMEOUT)
    if action == "backup":
        result = create(site, backup_dir, _int(params, "keep", DEFAULT_KEEP),
                        _int(params, "keep_days", DEFAULT_KEEP_DAYS),
                        params.get("tool_version") or "", timeout, check_mode)
        return result | {"msg": backup_message(result, check_mode)}
    if action == "verify":
        return verify_all(backup_dir, params.get("backup"))
    if action == "restore" and params.get("address"):
        return restore_mailbox(site, backup_dir, params["address"], params.get("source"),
                               params.get("backup"), check_mode)
    if action == "restore":
        return restore_all(site, backup_dir, params.get("backup"), bool(params.get("force")),
                           timeout, check_mode)
    if action == "purge":
        if not params.get("address"):
            raise BackupError("HYB009", detail="thiếu địa chỉ hộp thư cần xóa (address)")
        return purge(site, backup_dir, params["address"], params.get("by") or "",
                     params.get("reason") or "", timeout, check_mode)
    raise BackupError("HYB009", detail=f"action='{action}'")


def backup_message(result: dict, check_mode: bool) -> str:
    backup, deleted = result["backup"], result["retention"]["deleted"]
    if check_mode:
        return (f"sẽ sao lưu {number(backup['accounts'])} hộp thư; chính sách lưu giữ sẽ xóa "
                f"{number(len(deleted))} bản cũ")
    return (f"đã sao lưu và kiểm tra bản {shown_name(backup['name'])}: "
            f"{number(backup['accounts'])} hộp thư, {number(backup['messages'])} thư, "
            f"{number(backup['files'])} tệp ({_size(backup['bytes'])}); xóa "
            f"{number(len(deleted))} bản cũ theo chính sách lưu giữ")


def _int(params: dict, key: str, default: int) -> int:
    value = params.get(key)
    return default if value is None else int(value)


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            text = f"{count:.0f}" if unit == "B" else f"{count:.1f}".replace(".", ",")
            return f"{text} {unit}"
        count /= 1024
    return ""
