"""Taking a backup: data files under the apply lock, maildirs file by file, then verify.

Maildir is safe to copy live: a message file never changes content, only its name (flags)
or its folder (``new`` to ``cur``). The walk takes ``new`` before ``cur`` and, when a file
vanished between listing and copying, looks for its new name, so no message that was there
when the backup started is missed; a message delivered during the copy may or may not be in.
Unchanged message files are hard links to the previous backup (same path, size and mtime).
"""

from __future__ import annotations

import datetime
import os
import shutil
import time

from ..common.files import commit_directory
from .archive import (
    DATA_PREFIX,
    DIR_MODE,
    FORMAT,
    LIVE_PREFIX,
    LOCK_TIMEOUT,
    NOT_COPIED,
    PARTIAL,
    STAMP_FORMAT,
    BackupError,
    Entry,
    Site,
    apply_retention,
    backup_lock,
    check_retention,
    choose_retention,
    complete,
    copy_file,
    iso,
    log_event,
    make_dirs,
    now_utc,
    owner_names,
    pinned,
    prepare_dir,
    read_manifest,
    verify,
    write_info,
    write_manifest,
)
from .messages import render

# Kept beside the generations in ``data/``; anything else the live directory holds is served.
STATE_FILES = ("journal.jsonl", "holds.json")
MESSAGE_DIRS = ("new", "cur")  # in this order: a message moves from new to cur


def create(site: Site, backup_dir: str, keep: int, keep_days: int, tool_version: str = "",
           lock_timeout: float = LOCK_TIMEOUT, check_mode: bool = False) -> dict:
    """Take one backup, verify it, make it visible, then apply the retention policy."""
    check_retention(keep, keep_days)
    prepare_dir(site, backup_dir, create=not check_mode)
    if check_mode:
        return _preview(site, backup_dir, keep, keep_days)
    with backup_lock(backup_dir):
        _drop_partials(backup_dir)
        started = now_utc()
        name = _free_stamp(backup_dir, started)
        work = os.path.join(backup_dir, name + PARTIAL)
        os.mkdir(work, DIR_MODE)
        info = _copy_all(site, backup_dir, work, lock_timeout)
        info |= {"format": FORMAT, "name": name, "created": iso(started),
                 "tool_version": tool_version, "domain": site.domain,
                 "state_dir": site.state_dir}
        _seal(work, info)
        final = commit_directory(work, os.path.join(backup_dir, name))
        retention = apply_retention(backup_dir, keep, keep_days, now_utc())
        summary = _summary(info)
        log_event(backup_dir, {"event": "backup", "at": iso(now_utc()), **summary,
                               "deleted": retention["deleted"]})
    return {"changed": True, "backup": summary | {"path": final}, "retention": retention,
            "warnings": info["warnings"]}


def _copy_all(site: Site, backup_dir: str, work: str, lock_timeout: float) -> dict:
    """Data files under the lock (consistent with each other), then the mail."""
    with site.locked(lock_timeout):
        live = site.live_dir() or site.data_dir
        entries = _copy_data(site, live, work)
        accounts = site.accounts()
        homes = {local: site.relative(site.home(local)) for local in sorted(accounts)}
    previous = complete(backup_dir)
    copier = MailCopier(site, work, os.path.join(backup_dir, previous[-1]) if previous else None)
    entries += copier.run()
    statuses = [account.status for account in accounts.values()]
    return {"entries": entries, "generation": _generation(site, live),
            "accounts": len(accounts),
            "by_status": {status: statuses.count(status) for status in sorted(set(statuses))},
            "messages": copier.messages, "linked": copier.linked,
            "previous": previous[-1] if previous else None, "homes": homes,
            "warnings": _warnings(site, live, homes)}


def _copy_data(site: Site, live: str, work: str) -> list[Entry]:
    """The served files of the live generation, then the journal and the holds."""
    entries = [copy_in(os.path.join(live, name), work, LIVE_PREFIX + name)
               for name in served_names(site, live)]
    for name in STATE_FILES:
        path = os.path.join(site.data_dir, name)
        if os.path.isfile(path):
            entries.append(copy_in(path, work, DATA_PREFIX + name))
    return [entry for entry in entries if entry is not None]


def served_names(site: Site, live: str) -> list[str]:
    """Every regular file the live generation holds, but the work an apply left pending
    (it may carry passwords); in the flat layout of old, not the journal and holds."""
    skip = set(NOT_COPIED) | (set(STATE_FILES) if live == site.data_dir else set())
    return sorted(name for name in os.listdir(live) if not name.startswith(".")
                  and name not in skip and _regular(os.path.join(live, name)))


def copy_in(source: str, work: str, relative: str, times: bool = True) -> Entry | None:
    """Copy one file into the backup (0600, 0700 directories); None if it vanished."""
    target = os.path.join(work, relative)
    make_dirs(os.path.dirname(target))
    try:
        info = os.stat(source)
        digest = copy_file(source, target, times=times)
    except FileNotFoundError:
        return None
    owner, group = owner_names(info)
    return Entry(relative, digest, os.path.getsize(target), info.st_mode & 0o7777, owner, group)


def _regular(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


class MailCopier:
    """The mail tree ``mail/<domain>`` into a backup, linking unchanged messages."""

    def __init__(self, site: Site, work: str, previous: str | None):
        self.site, self.work, self.previous = site, work, previous
        self.before = _mail_entries(previous) if previous else {}
        self.entries: list[Entry] = []
        self.seen: set[str] = set()
        self.messages = self.linked = 0

    def run(self) -> list[Entry]:
        if os.path.isdir(self.site.mail_dir):
            self._walk(self.site.mail_dir)
        return self.entries

    def _walk(self, directory: str) -> None:
        try:
            names = sorted(os.listdir(directory), key=_walk_order)
        except FileNotFoundError:
            return
        maildir = {"cur", "new"} & set(names)
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isdir(path) and not os.path.islink(path):
                if not (maildir and name == "tmp"):  # deliveries in progress
                    self._walk(path)
            elif _regular(path):
                self._file(path)

    def _file(self, path: str) -> None:
        relative = self.site.relative(path)
        if relative in self.seen:  # already taken under this name by _renamed
            return
        is_message = os.path.basename(os.path.dirname(path)) in MESSAGE_DIRS
        entry = self._link(path, relative) if is_message else None
        entry = entry or copy_in(path, self.work, relative)
        if entry is None and is_message:
            entry = self._renamed(path)
        if entry is not None:
            self.entries.append(entry)
            self.seen.add(entry.path)
            self.messages += is_message

    def _link(self, path: str, relative: str) -> Entry | None:
        """A hard link to the previous backup's copy of an unchanged message file."""
        old = self.before.get(relative)
        if old is None:
            return None
        source = os.path.join(self.previous, relative)
        try:
            live, kept = os.stat(path), os.stat(source)
        except FileNotFoundError:
            return None
        if (live.st_size, live.st_mtime_ns) != (kept.st_size, kept.st_mtime_ns) \
                or live.st_size != old.size:
            return None
        target = os.path.join(self.work, relative)
        make_dirs(os.path.dirname(target))
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links, or too many: copy instead
            return None
        self.linked += 1
        owner, group = owner_names(live)
        return Entry(relative, old.sha256, old.size, live.st_mode & 0o7777, owner, group)

    def _renamed(self, path: str) -> Entry | None:
        """A message renamed (flags) or moved to ``cur`` after it was listed: its new name."""
        folder, base = os.path.dirname(os.path.dirname(path)), unique_name(path)
        for sub in MESSAGE_DIRS:
            directory = os.path.join(folder, sub)
            for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                candidate = os.path.join(directory, name)
                if unique_name(candidate) == base \
                        and self.site.relative(candidate) not in self.seen:
                    return copy_in(candidate, self.work, self.site.relative(candidate))
        return None


def unique_name(path: str) -> str:
    """A Maildir message's unique part: its file name without ``:2,<flags>``."""
    return os.path.basename(path).split(":", 1)[0]


def _walk_order(name: str) -> tuple[int, str]:
    return ({"new": 0, "cur": 1}.get(name, 2), name)


def _mail_entries(directory: str) -> dict[str, Entry]:
    try:
        return {entry.path: entry for entry in read_manifest(directory)
                if entry.path.startswith("mail/")}
    except (OSError, ValueError):
        return {}


def _seal(work: str, info: dict) -> None:
    """MANIFEST and backup.json, synced; the verification must pass before the rename."""
    entries = info.pop("entries")
    info["manifest_sha256"] = write_manifest(work, entries)
    info |= {"files": len(entries), "bytes": sum(entry.size for entry in entries)}
    write_info(work, info)
    os.sync()
    checked = verify(work)
    if not checked.ok:
        raise BackupError("HYB002", summary=checked.summary(), work=work)
    info["verified"] = iso(now_utc())
    write_info(work, info)


def _summary(info: dict) -> dict:
    keys = ("name", "created", "verified", "generation", "accounts", "by_status", "messages",
            "files", "bytes", "linked", "previous", "tool_version")
    return {key: info.get(key) for key in keys}


def _generation(site: Site, live: str) -> str | None:
    return None if live == site.data_dir else os.path.basename(live)


def _warnings(site: Site, live: str, homes: dict[str, str]) -> list[str]:
    """What the backup does not hold and the operator should know."""
    warnings = []
    outside = sorted(local for local, home in homes.items()
                     if not (home + "/").startswith(site.relative(site.mail_dir) + "/"))
    if outside:
        warnings.append(render("HYB020", count=len(outside), mail_dir=site.mail_dir,
                               addresses=", ".join(outside[:20])))
    if any(os.path.exists(os.path.join(live, name)) for name in NOT_COPIED):
        warnings.append(render("HYB021"))
    return warnings


def _drop_partials(backup_dir: str) -> None:
    """Remove what an interrupted backup left (we hold the backup lock: none is running)."""
    for name in os.listdir(backup_dir):
        if name.endswith(PARTIAL):
            shutil.rmtree(os.path.join(backup_dir, name), ignore_errors=True)


def _free_stamp(backup_dir: str, moment: datetime.datetime) -> str:
    """The stamp of ``moment``, or of the next free second (two backups in one second)."""
    for _attempt in range(5):
        name = moment.strftime(STAMP_FORMAT)
        if not os.path.lexists(os.path.join(backup_dir, name)):
            return name
        time.sleep(1)
        moment = now_utc()
    raise BackupError("HYB017", name=name)


def _preview(site: Site, backup_dir: str, keep: int, keep_days: int) -> dict:
    """Check mode: what a backup would take and what the retention would remove."""
    live = site.live_dir() or site.data_dir
    accounts, now = site.accounts(), now_utc()
    names = complete(backup_dir)
    decision = choose_retention([*names, now.strftime(STAMP_FORMAT)], now, keep, keep_days,
                                pinned(backup_dir))
    deleted = sorted(name for name, why in decision.items() if why == "delete")
    return {"changed": True, "backup": {"accounts": len(accounts),
                                        "data_files": served_names(site, live),
                                        "previous": names[-1] if names else None},
            "retention": {"deleted": deleted, "keep": keep, "keep_days": keep_days},
            "warnings": []}
