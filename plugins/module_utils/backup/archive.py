"""Backups of the mail server (Điều 10.2.đ): served data files, journal, holds and every maildir.

A backup is one directory ``<backup_dir>/<UTC stamp>/`` (mode 0700, files 0600)::

    data/live/<name>   the files of the generation being served (users.passwd, maps, acl...)
    data/<name>        journal.jsonl and holds.json, kept beside the generations
    mail/<domain>/...  every maildir, file by file (Maildir is safe to copy live)
    MANIFEST           one line per file: sha256, size, original mode, owner:group, path
    backup.json        when, which generation, counts, tool version, the MANIFEST's sha256

The data files are copied under the one-apply-at-a-time lock, so no apply interleaves;
the whole is written as ``<stamp>.partial`` and renamed to ``<stamp>`` only once complete
and verified: a directory named by a bare stamp is always a whole, verified backup.
Backups hold password hashes: nothing here ever prints a file's content.
"""

from __future__ import annotations

import contextlib
import datetime
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..common import clock
from ..common.files import append_durably, held_lock, replace_atomically
from .messages import render

FORMAT = 1
MANIFEST = "MANIFEST"
INFO = "backup.json"
LOG = "log.jsonl"
LOCK = ".backup.lock"
PARTIAL = ".partial"
STAMP = re.compile(r"^\d{8}T\d{6}Z$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
DIR_MODE, FILE_MODE = 0o700, 0o600
LIVE_PREFIX = "data/live/"
DATA_PREFIX = "data/"
MAIL_PREFIX = "mail/"
# Work an interrupted apply left for the next one (it may carry notices): never copied.
NOT_COPIED = frozenset({"pending.json"})
LOCK_TIMEOUT = 300.0
DEFAULT_KEEP, DEFAULT_KEEP_DAYS = 7, 30
SHOWN = 20  # problems listed in a result; the count says how many there are


class BackupError(Exception):
    """A backup, restore or purge that cannot go ahead: a stable code, then what to do."""

    def __init__(self, code: str, /, **fields: object):
        super().__init__(render(code, **fields))
        self.code = code


@dataclass(frozen=True)
class Entry:
    """One file of a backup: where it goes back, what it holds, how it was owned."""

    path: str
    sha256: str
    size: int
    mode: int = FILE_MODE
    owner: str = "root"
    group: str = "root"

    def line(self) -> str:
        return f"{self.sha256} {self.size} {self.mode:04o} {self.owner}:{self.group} {self.path}\n"

    @classmethod
    def parse(cls, line: str) -> Entry:
        digest, size, mode, owners, path = line.rstrip("\n").split(" ", 4)
        owner, _colon, group = owners.partition(":")
        return cls(path, digest, int(size), int(mode, 8), owner, group)


@dataclass
class Site:
    """What a backup needs of a mail server; ``site.site_for`` builds it from a backend.

    ``install(directory, entries)`` makes the files of ``directory`` named by ``entries``
    (paths relative to it) the served generation, under the lock; returns its name.
    """

    state_dir: str
    domain: str
    live_dir: Callable[[], str | None]
    locked: Callable[[float], contextlib.AbstractContextManager]
    home: Callable[[str], str]
    accounts: Callable[[], dict]
    install: Callable[[str, list[Entry]], str]
    data_dir: str = ""

    def __post_init__(self):
        self.data_dir = self.data_dir or os.path.join(self.state_dir, "data")

    @property
    def mail_dir(self) -> str:
        return os.path.join(self.state_dir, "mail", self.domain)

    def relative(self, path: str) -> str:
        return os.path.relpath(path, self.state_dir)


# --- files ---------------------------------------------------------------------------


def file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def copy_file(source: str, target: str, mode: int = FILE_MODE, times: bool = True) -> str:
    """Copy bytes into a new file (never over one), hashing them on the way; returns the
    sha256. ``times`` keeps the source's mtime (a maildir's received date is its mtime)."""
    digest = hashlib.sha256()
    with open(source, "rb") as reader:
        info = os.fstat(reader.fileno())
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as writer:
            while chunk := reader.read(1 << 20):
                digest.update(chunk)
                writer.write(chunk)
    os.chmod(target, mode)  # the umask must not narrow or widen it
    if times:
        os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    return digest.hexdigest()


_NAMES: dict[tuple[str, int], str] = {}


def owner_names(info: os.stat_result) -> tuple[str, str]:
    """User and group names (numbers when the host does not know them)."""
    return _name("user", info.st_uid), _name("group", info.st_gid)


def _name(kind: str, number: int) -> str:
    key = (kind, number)
    if key not in _NAMES:
        try:
            found = pwd.getpwuid(number).pw_name if kind == "user" else grp.getgrgid(number).gr_name
        except KeyError:
            found = str(number)
        _NAMES[key] = found
    return _NAMES[key]


def owner_ids(entry: Entry) -> tuple[int, int]:
    """The entry's owner on this host, by name (a restored host may number them apart)."""
    try:
        uid = pwd.getpwnam(entry.owner).pw_uid
    except KeyError:
        uid = int(entry.owner) if entry.owner.isdigit() else 0
    try:
        gid = grp.getgrnam(entry.group).gr_gid
    except KeyError:
        gid = int(entry.group) if entry.group.isdigit() else 0
    return uid, gid


def make_dirs(path: str, mode: int = DIR_MODE, owner: tuple[int, int] | None = None) -> None:
    """``os.makedirs`` giving every directory it creates ``mode`` (and ``owner``)."""
    if os.path.isdir(path):
        return
    make_dirs(os.path.dirname(path), mode, owner)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, mode)
        os.chmod(path, mode)
        if owner is not None:
            os.chown(path, *owner)


# --- manifest and info ---------------------------------------------------------------


def write_manifest(directory: str, entries: list[Entry]) -> str:
    """Write MANIFEST (sorted by path); returns its sha256."""
    for entry in entries:
        if "\n" in entry.path or "\r" in entry.path:
            raise BackupError("HYB015", path=repr(entry.path))
    text = "".join(entry.line() for entry in sorted(entries, key=lambda e: e.path))
    return _write_private(os.path.join(directory, MANIFEST), text)


def read_manifest(directory: str) -> list[Entry]:
    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as handle:
        return [Entry.parse(line) for line in handle if line.strip()]


def write_info(directory: str, info: dict) -> None:
    _write_private(os.path.join(directory, INFO),
                   json.dumps(info, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def read_info(directory: str) -> dict:
    with open(os.path.join(directory, INFO), encoding="utf-8") as handle:
        return json.load(handle)


def _write_private(path: str, text: str) -> str:
    """Write a 0600 file whole; returns the sha256 of its bytes."""
    data = text.encode("utf-8")
    replace_atomically(path, data, FILE_MODE)
    return hashlib.sha256(data).hexdigest()


# --- verification --------------------------------------------------------------------


@dataclass
class Verification:
    """A backup re-read against its MANIFEST (and the MANIFEST against backup.json)."""

    name: str
    files: int = 0
    bytes: int = 0
    problem: str | None = None
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.problem or self.missing or self.changed or self.unexpected)

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "files": self.files, "bytes": self.bytes,
                "problem": self.problem,
                **{key: {"count": len(paths), "first": paths[:SHOWN]}
                   for key, paths in (("missing", self.missing), ("changed", self.changed),
                                      ("unexpected", self.unexpected))}}

    def summary(self) -> str:
        """One Vietnamese line: what is wrong with the backup."""
        if self.problem:
            return f"{self.name}: {self.problem}"
        parts = [f"{len(paths)} tệp {label} (ví dụ: {paths[0]})"
                 for label, paths in (("bị thiếu", self.missing), ("bị thay đổi", self.changed),
                                      (f"không có trong {MANIFEST}", self.unexpected)) if paths]
        return f"{self.name}: " + ", ".join(parts)


def verify(directory: str, prefixes: tuple[str, ...] | None = None) -> Verification:
    """Re-read every file (or those under ``prefixes``) and compare with the MANIFEST."""
    result = Verification(os.path.basename(directory))
    try:
        info = read_info(directory)
        entries = read_manifest(directory)
        manifest_digest = file_sha256(os.path.join(directory, MANIFEST))
    except (OSError, ValueError) as error:
        why = "nội dung sai định dạng" if isinstance(error, ValueError) else "không mở được tệp"
        result.problem = f"không đọc được {MANIFEST} hoặc {INFO} ({why})"
        return result
    if manifest_digest != info.get("manifest_sha256"):
        result.problem = f"{MANIFEST} không khớp mã băm ghi trong {INFO}"
        return result
    for entry in entries:
        if prefixes is None or entry.path.startswith(prefixes):
            _check_entry(directory, entry, result)
    if prefixes is None:
        listed = {entry.path for entry in entries} | {MANIFEST, INFO}
        result.unexpected = sorted(set(_files_below(directory)) - listed)
    return result


def _check_entry(directory: str, entry: Entry, result: Verification) -> None:
    path = os.path.join(directory, entry.path)
    try:
        size = os.lstat(path).st_size
        digest = file_sha256(path)
    except OSError:
        result.missing.append(entry.path)
        return
    result.files += 1
    result.bytes += size
    if size != entry.size or digest != entry.sha256:
        result.changed.append(entry.path)


def _files_below(directory: str) -> Iterator[str]:
    for root, _dirs, names in os.walk(directory):
        for name in names:
            yield os.path.relpath(os.path.join(root, name), directory)


# --- the backups of a directory and their retention ----------------------------------


def complete(backup_dir: str) -> list[str]:
    """Names of the complete backups, oldest first (a bare stamp: renamed once verified)."""
    if not os.path.isdir(backup_dir):
        return []
    return sorted(name for name in os.listdir(backup_dir)
                  if STAMP.match(name) and os.path.isdir(os.path.join(backup_dir, name)))


def stamp_time(name: str) -> datetime.datetime:
    return datetime.datetime.strptime(name, STAMP_FORMAT).replace(tzinfo=datetime.UTC)


def shown_name(name: str) -> str:
    """A backup as people read it: its name (a UTC stamp), then when it was taken in
    Vietnam's time: ``20261129T020000Z (09:00 ngày 29/11/2026)``."""
    if not STAMP.match(name):
        return name
    return f"{name} ({clock.vietnam_time(stamp_time(name).isoformat())})"


def choose_retention(names: list[str], now: datetime.datetime, keep: int, keep_days: int,
                     pins: set[str] = frozenset()) -> dict[str, str]:
    """Why each backup is kept, or ``delete``: the newest ``keep`` (at least one), every
    one younger than ``keep_days`` days, and those a purge relied on (pinned)."""
    check_retention(keep, keep_days)
    horizon = now - datetime.timedelta(days=keep_days)
    decision = {}
    for rank, name in enumerate(sorted(names, reverse=True)):
        if rank < keep:
            decision[name] = "newest"
        elif stamp_time(name) > horizon:
            decision[name] = "recent"
        elif name in pins:
            decision[name] = "pinned"
        else:
            decision[name] = "delete"
    return decision


def check_retention(keep: int, keep_days: int) -> None:
    if keep < 1 or keep_days < 0:
        raise BackupError("HYB014", keep=keep, keep_days=keep_days)


def pinned(backup_dir: str) -> set[str]:
    """Backups that hold the only copy of purged mail (named by a purge in the log)."""
    return {event["backup"] for event in read_log(backup_dir)
            if event.get("event") == "purge" and event.get("backup")}


def apply_retention(backup_dir: str, keep: int, keep_days: int, now: datetime.datetime,
                    check_mode: bool = False) -> dict:
    decision = choose_retention(complete(backup_dir), now, keep, keep_days, pinned(backup_dir))
    deleted = sorted(name for name, why in decision.items() if why == "delete")
    if not check_mode:
        for name in deleted:
            shutil.rmtree(os.path.join(backup_dir, name))
    return {"kept": {name: why for name, why in sorted(decision.items()) if why != "delete"},
            "deleted": deleted, "keep": keep, "keep_days": keep_days}


def log_event(backup_dir: str, event: dict) -> None:
    """Append one event (backup, restore, purge) to ``<backup_dir>/log.jsonl`` (0600)."""
    append_durably(os.path.join(backup_dir, LOG),
                   json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n", FILE_MODE)


def read_log(backup_dir: str) -> list[dict]:
    path = os.path.join(backup_dir, LOG)
    if not os.path.exists(path):
        return []
    events = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
    return [event for event in events if isinstance(event, dict)]


@contextlib.contextmanager
def backup_lock(backup_dir: str):
    """One backup (or restore, or purge) per backup directory at a time: refused, not queued."""
    with held_lock(os.path.join(backup_dir, LOCK),
                   lambda waited: BackupError("HYB001", backup_dir=backup_dir)):
        yield


def prepare_dir(site: Site, backup_dir: str, create: bool = True) -> None:
    """Create ``backup_dir`` (0700); refuse one inside the trees a backup copies or
    an apply rewrites (it would copy itself, or vanish with a generation)."""
    real = os.path.realpath(backup_dir)
    for tree in (site.mail_dir, site.data_dir):
        inside = os.path.commonpath([real, os.path.realpath(tree)]) == os.path.realpath(tree)
        if inside:
            raise BackupError("HYB016", backup_dir=backup_dir, tree=tree)
    if create:
        make_dirs(backup_dir)
        os.chmod(backup_dir, DIR_MODE)


def now_utc() -> datetime.datetime:
    return clock.now()


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat()
