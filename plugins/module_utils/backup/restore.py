"""Restoring a backup (all of it, or one mailbox) and purging a revoked mailbox's mail.

Restore never deletes mail: a file already present under the same name is left, and so is
a message present under another name (its flags changed: the same Maildir unique name).
Restore all copies the mail first, then reinstates the data files as a new live generation
under the apply lock; the journal is merged (no entry lost) and live holds are kept.
Purge removes a revoked mailbox's mail only when a verified backup holds every message.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator

from ..apply import holds, journal
from ..common.files import replace_atomically
from ..common.glossary import label, number
from ..common.lifecycle import STATUSES
from .archive import (
    DATA_PREFIX,
    LIVE_PREFIX,
    LOCK_TIMEOUT,
    MAIL_PREFIX,
    BackupError,
    Entry,
    Site,
    Verification,
    backup_lock,
    complete,
    copy_file,
    file_sha256,
    iso,
    log_event,
    make_dirs,
    now_utc,
    owner_ids,
    read_info,
    read_manifest,
    shown_name,
    verify,
)
from .create import MESSAGE_DIRS, unique_name
from .messages import render

MAILDIR_MARKERS = ("dovecot-uidlist", "maildirfolder")

# --- choosing a backup -----------------------------------------------------------------


def candidates(backup_dir: str, name: str | None) -> list[str]:
    """The named backup, or every complete one, newest first."""
    names = complete(backup_dir)
    if name:
        if name not in names:
            shown = ", ".join(reversed(names[-5:])) or "không có"
            raise BackupError("HYB004", name=name, backup_dir=backup_dir, latest=shown)
        return [os.path.join(backup_dir, name)]
    if not names:
        raise BackupError("HYB003", backup_dir=backup_dir)
    return [os.path.join(backup_dir, name) for name in reversed(names)]


def pick(backup_dir: str, name: str | None) -> tuple[str, Verification, list[str]]:
    """The named backup, or the newest that verifies whole: (path, check, skipped)."""
    skipped = []
    for path in candidates(backup_dir, name):
        checked = verify(path)
        if checked.ok:
            return path, checked, skipped
        skipped.append(checked.summary())
    raise BackupError("HYB005", detail="; ".join(skipped[:3]))


def verify_all(backup_dir: str, name: str | None) -> dict:
    """``verify`` action: one named backup, the newest (default) or ``all``."""
    with _locked_dir(backup_dir):
        paths = candidates(backup_dir, None if name == "all" else name)
        checks = [verify(path) for path in (paths if name == "all" else paths[:1])]
    failed = [check.summary() for check in checks if not check.ok]
    if failed:
        raise BackupError("HYB005", detail="; ".join(failed[:5]))
    return {"changed": False, "verified": [check.to_dict() for check in checks],
            "msg": f"{number(len(checks))} bản sao lưu khớp MANIFEST: "
                   f"{', '.join(check.name for check in checks)}"}


# --- restore all -----------------------------------------------------------------------


def restore_all(site: Site, backup_dir: str, name: str | None = None, force: bool = False,
                lock_timeout: float = LOCK_TIMEOUT, check_mode: bool = False) -> dict:
    """Mail first (nothing deleted), then the data files as a new generation, journal
    merged, holds kept when the live ones exist."""
    with _locked_dir(backup_dir):
        path, checked, skipped = pick(backup_dir, name)
        entries = read_manifest(path)
        dropped = _dropped_accounts(site, path)
        if dropped and not force:
            raise BackupError("HYB006", count=len(dropped), name=os.path.basename(path),
                              addresses=", ".join(dropped[:10]))
        mail = FileRestore([(e, os.path.join(path, e.path), os.path.join(site.state_dir, e.path))
                            for e in entries if e.path.startswith(MAIL_PREFIX)], check_mode)
        copied = mail.run()
        result = {"changed": not check_mode, "backup": os.path.basename(path),
                  "verified": checked.to_dict(), "skipped": skipped, "mail": copied,
                  "dropped_accounts": dropped}
        if check_mode:
            return result | {"msg": _all_message(result, check_mode)}
        with site.locked(lock_timeout):
            result["generation"] = site.install(os.path.join(path, LIVE_PREFIX), [
                dataclasses.replace(e, path=e.path[len(LIVE_PREFIX):])
                for e in entries if e.path.startswith(LIVE_PREFIX)])
            result["state"] = _restore_state(site, path)
        result["warnings"] = _hold_warnings(site)
        log_event(backup_dir, {"event": "restore", "at": iso(now_utc()), "backup": result["backup"],
                               "generation": result["generation"], "mail": copied})
    return result | {"msg": _all_message(result, check_mode)}


def _all_message(result: dict, check_mode: bool) -> str:
    mail = result["mail"]
    verb = "sẽ khôi phục" if check_mode else "đã khôi phục"
    return (f"{verb} từ bản sao lưu {shown_name(result['backup'])} toàn bộ dữ liệu: chép lại "
            f"{number(mail['copied'])} tệp thư ({number(mail['messages'])} thư), giữ nguyên "
            f"{number(mail['kept'])} tệp đã có; dữ liệu tài khoản được ghi thành một phiên bản "
            "dữ liệu mới")


def _dropped_accounts(site: Site, path: str) -> list[str]:
    """Accounts live now that the backup's users.passwd does not have (only names read)."""
    passwd = os.path.join(path, LIVE_PREFIX, "users.passwd")
    kept = set()
    if os.path.exists(passwd):
        with open(passwd, encoding="utf-8") as handle:
            for line in handle:
                local, at, domain = line.split(":", 1)[0].strip().lower().rpartition("@")
                if at and domain == site.domain:
                    kept.add(local)
    return sorted(set(site.accounts()) - kept)


def _restore_state(site: Site, path: str) -> dict:
    """Journal merged into the live one (nothing lost); holds only when none are live."""
    done = {}
    source = os.path.join(path, DATA_PREFIX, "journal.jsonl")
    if os.path.exists(source):
        added = merge_journal(journal.journal_path(site.state_dir), source)
        done["journal"] = f"+{added}"
    source = os.path.join(path, DATA_PREFIX, holds.HOLDS_FILE)
    live = os.path.join(site.data_dir, holds.HOLDS_FILE)
    if os.path.exists(source) and not os.path.exists(live):
        _replace_with(live, source, holds.FILE_MODE)
        done["holds"] = "restored"
    else:
        done["holds"] = "kept" if os.path.exists(live) else "none"
    return done


def merge_journal(live: str, backup: str) -> int:
    """Put back every backup entry the live journal lacks, before the live-only ones
    (the backup's are older); returns how many came back."""
    ours = _lines(backup)
    theirs = _lines(live) if os.path.exists(live) else []
    present = set(theirs)
    missing = [line for line in ours if line not in present]
    if missing:
        known = set(ours)
        text = "".join(ours + [line for line in theirs if line not in known])
        replace_atomically(live, text, journal.JOURNAL_MODE)
    return len(missing)


def _lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line if line.endswith("\n") else line + "\n" for line in handle if line.strip()]


def _replace_with(target: str, source: str, mode: int) -> None:
    with open(source, encoding="utf-8") as handle:
        replace_atomically(target, handle.read(), mode)


def _hold_warnings(site: Site) -> list[str]:
    """Live emergency holds the restored data no longer shows (taken after the backup)."""
    accounts = site.accounts()
    off = [hold.address for hold in holds.load_holds(site.state_dir).values()
           if hold.address in accounts and accounts[hold.address].status != hold.status]
    if not off:
        return []
    return [render("HYB022", addresses=", ".join(off))]


# --- restore one mailbox ---------------------------------------------------------------


def restore_mailbox(site: Site, backup_dir: str, address: str, source: str | None = None,
                    name: str | None = None, check_mode: bool = False) -> dict:
    """Copy one mailbox's mail from a backup into its current home, touching no other."""
    local = local_part(address, site.domain)
    source = local_part(source, site.domain) if source else local
    if local not in site.accounts():
        raise BackupError("HYB007", address=f"{local}@{site.domain}")
    home = site.home(local)
    with _locked_dir(backup_dir):
        path, prefix, entries, checked = _holding(backup_dir, name, site, source)
        restore = FileRestore([(e, os.path.join(path, e.path),
                                os.path.join(home, e.path[len(prefix):])) for e in entries],
                              check_mode)
        copied = restore.run()
        if not check_mode:
            log_event(backup_dir, {"event": "restore_mailbox", "at": iso(now_utc()),
                                   "address": local, "source": source,
                                   "backup": os.path.basename(path), "mail": copied})
    verb = "sẽ chép lại" if check_mode else "đã chép lại"
    return {"changed": not check_mode and copied["copied"] > 0, "address": local, "home": home,
            "backup": os.path.basename(path), "verified": checked.to_dict(), "mail": copied,
            "msg": f"{local}: {verb} {number(copied['copied'])} tệp "
                   f"({number(copied['messages'])} thư) từ bản "
                   f"{shown_name(os.path.basename(path))}, "
                   f"giữ nguyên {number(copied['kept'])} tệp đã có"}


def _holding(backup_dir: str, name: str | None, site: Site, source: str):
    """The newest (or named) backup holding mail of ``source``, verified for that mail."""
    for path in candidates(backup_dir, name):
        prefix = mailbox_prefix(path, site, source)
        entries = [e for e in read_manifest(path) if e.path.startswith(prefix)]
        checked = verify(path, (prefix,)) if entries else None
        if checked is not None and checked.ok:
            return path, prefix, entries, checked
        if name and checked is not None:
            raise BackupError("HYB005", detail=checked.summary())
    raise BackupError("HYB008", address=f"{source}@{site.domain}")


def mailbox_prefix(path: str, site: Site, local: str) -> str:
    """Where the backup holds the home of ``local`` (as it was then), with a slash."""
    homes = read_info(path).get("homes") or {}
    return (homes.get(local) or f"{MAIL_PREFIX}{site.domain}/{local}").rstrip("/") + "/"


# --- copying files back ----------------------------------------------------------------


class FileRestore:
    """Backup files back to their places, never over a file that is there (same name,
    or the same Maildir message under other flags); the byte counts are checked."""

    def __init__(self, items: list[tuple[Entry, str, str]], dry: bool):
        self.items, self.dry = items, dry
        self.folders: dict[str, set[str]] = {}
        self.counts = {"copied": 0, "messages": 0, "kept": 0, "bytes": 0}

    def run(self) -> dict:
        for entry, source, target in self.items:
            if self._present(target):
                self.counts["kept"] += 1
                continue
            if not self.dry:
                self._copy(entry, source, target)
            self.counts["copied"] += 1
            self.counts["bytes"] += entry.size
            self.counts["messages"] += _is_message(target)
        return dict(self.counts)

    def _present(self, target: str) -> bool:
        if os.path.lexists(target):
            return True
        if not _is_message(target):
            return False
        folder = os.path.dirname(os.path.dirname(target))
        if folder not in self.folders:
            self.folders[folder] = set(_unique_names(folder))
        name = unique_name(target)
        if name in self.folders[folder]:
            return True
        self.folders[folder].add(name)  # copied now (or would be): later duplicates are kept
        return False

    def _copy(self, entry: Entry, source: str, target: str) -> None:
        ids = owner_ids(entry)
        make_dirs(os.path.dirname(target), owner=ids)
        folder = _maildir_folder(target)
        if folder:  # a Maildir folder needs all three (a backup holds no empty directory)
            for sub in (*MESSAGE_DIRS, "tmp"):
                make_dirs(os.path.join(folder, sub), owner=ids)
        digest = copy_file(source, target, entry.mode)
        os.chown(target, *ids)
        if digest != entry.sha256:
            os.unlink(target)
            raise BackupError("HYB018", source=source, detail=" (các tệp đã chép được giữ)")


def _maildir_folder(path: str) -> str | None:
    """The Maildir folder a file belongs to: a message's, or the one whose Dovecot list
    of UIDs (or Maildir++ marker) it is; None for other files."""
    if _is_message(path):
        return os.path.dirname(os.path.dirname(path))
    if os.path.basename(path) in MAILDIR_MARKERS:
        return os.path.dirname(path)
    return None


def _is_message(path: str) -> bool:
    return os.path.basename(os.path.dirname(path)) in MESSAGE_DIRS


def _unique_names(folder: str) -> Iterator[str]:
    for sub in MESSAGE_DIRS:
        directory = os.path.join(folder, sub)
        if os.path.isdir(directory):
            yield from (unique_name(name) for name in os.listdir(directory))


# --- purge -----------------------------------------------------------------------------


def purge(site: Site, backup_dir: str, address: str, by: str = "", reason: str = "",
          lock_timeout: float = LOCK_TIMEOUT, check_mode: bool = False) -> dict:
    """Remove a revoked mailbox's mail (Điều 6.2.c, Consequence 4) once a verified backup
    holds every message file it has; record it in the journal and the backup log."""
    local = local_part(address, site.domain)
    _purgeable(site, local)  # refuse early, before any lock; checked again under them
    with _locked_dir(backup_dir), site.locked(lock_timeout):
        account = _purgeable(site, local)
        home = site.home(local)
        _check_home(site, home)
        if not os.path.isdir(home):
            return {"changed": False, "address": local, "home": home,
                    "msg": f"{local}: không còn thư mục thư ({home}), không có gì để xóa"}
        messages = message_digests(home)
        path, checked = holding_backup(backup_dir, site, local, messages)
        purged = {"address": local, "home": home, "messages": len(messages),
                  "bytes": _size(home), "backup": os.path.basename(path)}
        if not check_mode:
            shutil.rmtree(home)
            _record_purge(site, backup_dir, account, purged, by, reason)
    verb = "sẽ xóa" if check_mode else "đã xóa"
    return {"changed": True, "purged": purged, "verified": checked.to_dict(),
            "msg": f"{local}: {verb} {number(purged['messages'])} thư ({home}); bản sao lưu "
                   f"{shown_name(purged['backup'])} đã kiểm tra giữ đủ, được giữ lại vĩnh viễn"}


def _purgeable(site: Site, local: str):
    account = site.accounts().get(local)
    if account is None:
        raise BackupError("HYB010", address=f"{local}@{site.domain}")
    if account.status != "revoked":
        state = label(account.status) if account.status in STATUSES else account.status
        raise BackupError("HYB011", address=f"{local}@{site.domain}", state=state)
    if local in holds.load_holds(site.state_dir):
        raise BackupError("HYB012", address=f"{local}@{site.domain}")
    return account


def _check_home(site: Site, home: str) -> None:
    real, root = os.path.realpath(home), os.path.realpath(site.mail_dir)
    if os.path.commonpath([real, root]) != root or real == root:
        raise BackupError("HYB019", home=home, mail_dir=site.mail_dir)


def message_digests(home: str) -> dict[str, str]:
    """sha256 of every message file (in a ``cur`` or ``new``), by path below ``home``."""
    found = {}
    for root, _dirs, names in os.walk(home):
        if os.path.basename(root) in MESSAGE_DIRS:
            for name in names:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    found[os.path.relpath(path, home)] = file_sha256(path)
    return found


def uncovered(messages: dict[str, str], entries: list[Entry], prefix: str) -> list[str]:
    """Messages a backup does not hold: neither the same relative name with the same
    sha256 nor the same sha256 anywhere in that mailbox (flags renamed since)."""
    by_name = {entry.path[len(prefix):]: entry.sha256 for entry in entries}
    digests = set(by_name.values())
    return sorted(name for name, digest in messages.items()
                  if by_name.get(name) != digest and digest not in digests)


def holding_backup(backup_dir: str, site: Site, local: str,
                   messages: dict[str, str]) -> tuple[str, Verification]:
    """The newest backup that holds every message and re-reads right (that mailbox)."""
    best = None
    for path in candidates(backup_dir, None):
        prefix = mailbox_prefix(path, site, local)
        entries = [e for e in read_manifest(path) if e.path.startswith(prefix)]
        missing = uncovered(messages, entries, prefix)
        checked = verify(path, (prefix,)) if not missing else None
        if checked is not None and checked.ok:
            return path, checked
        if best is None or len(missing) < len(best[1]):
            best = (os.path.basename(path), missing or [checked.summary()])
    name, missing = best
    raise BackupError("HYB013", count=len(messages), address=f"{local}@{site.domain}",
                      name=name, missing=len(missing), examples=", ".join(missing[:3]))


def _record_purge(site: Site, backup_dir: str, account, purged: dict, by: str,
                  reason: str) -> None:
    now = iso(now_utc())
    request = account.request
    entry = {"v": journal.JOURNAL_VERSION, "at": now, "action": "purge",
             "address": account.address, "agency": account.agency, "kind": account.kind,
             "name": account.name, "status": account.status,
             "request": {"number": request.number, "date": request.date} if request else None,
             "approved_by": by or None, "reason": reason or None,
             "backup": purged.get("backup")}
    journal.append(journal.journal_path(site.state_dir),
                   [{key: value for key, value in entry.items() if value is not None}])
    log_event(backup_dir, {"event": "purge", "at": now, "by": by, "reason": reason, **purged})


def _size(home: str) -> int:
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _dirs, names in os.walk(home) for name in names
               if os.path.isfile(os.path.join(root, name)))


# --- shared ----------------------------------------------------------------------------


def local_part(address: str, domain: str) -> str:
    """``x`` or ``x@<domain>`` -> ``x``; another domain is refused."""
    local, at, other = address.strip().lower().rpartition("@")
    if not at:
        local, other = other, domain
    if other != domain or not local or "/" in local or local.startswith("."):
        raise BackupError("HYB009", detail=f"'{address}' không phải địa chỉ @{domain}")
    return local


def _locked_dir(backup_dir: str):
    if not os.path.isdir(backup_dir):
        raise BackupError("HYB003", backup_dir=backup_dir, detail=" (thư mục không có)")
    return backup_lock(backup_dir)
