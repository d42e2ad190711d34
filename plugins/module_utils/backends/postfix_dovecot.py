"""Postfix + Dovecot backend: the files under ``state_dir/data`` of docs/architecture.md.

Reading turns the files into Account records; applying folds a batch of changes into
one new picture of the server, renders every file from it, and only then swaps the
changed files in (temp file + os.replace) and rebuilds each changed Postfix map once.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import json
import math
import os
import pwd
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from ..apply import journal
from ..common import clock
from ..notices import notices, outbox
from ..plan.accounts import Account
from ..plan.planner import Change
from . import digests
from .base import BackendError, Credentials, MailBackend
from .generations import STAGING, Generations, LockTimeout

MAPS = ("vmailbox", "valias", "recipient_access")
# What load() reads (its cache is valid while none of them changed).
LOADED_FILES = ("accounts.json", "users.passwd", "valias", "deny.passwd", "recipient_access",
                "acl")
FILES = ("users.passwd", "deny.passwd", "delivery.passwd", *MAPS, "acl", "shared-mailboxes.dict",
         "accounts.json")
# Modes of a file with no live one to copy from (the mailserver role sets owners and
# groups on the first generation: Dovecot reads the passwd-files, Postfix the maps).
DEFAULT_MODES = {"accounts.json": 0o600}
DEFAULT_MODE = 0o640
PENDING = "pending.json"
DONE_STEPS = ("journal", "outbox", "bootstrap")
LOCK_TIMEOUT = 600.0
STAGING_NEXT = f"{STAGING}next"
# What may stand for an address in a server file: no separator, space or control character.
SAFE_LOCAL = re.compile(r"[a-z0-9][a-z0-9._+-]{0,63}")  # fullmatch: no trailing newline
SAFE_HOME = re.compile(r"/[^\s:]+")
PASSWD_TAIL = "::::::"
REVOKED_REPLY = "REJECT 5.1.6 Mailbox revoked / hop thu da bi thu hoi (Dieu 6.2.c)"
DELEGATE_RIGHTS = "lrs"  # read-only: a delegate reads, flags Seen privately, cannot append
MAP_SUFFIXES = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}
ACL_LINE = re.compile(r"^shared/(?P<owner>[^/\s]+)(/\*)? user=(?P<delegate>\S+) ")


@dataclass
class ServerState:
    """Everything the backend knows: accounts, their hashes, and lines it must keep."""

    accounts: dict[str, Account] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    tails: dict[str, str] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)
    kept_aliases: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


class PostfixDovecotBackend(MailBackend):
    """Dovecot passwd-files, Postfix hash maps and a global ACL file, all under state_dir."""

    def __init__(self, state_dir: str, domain: str, postmap: str = "postmap",
                 postfix_config_dir: str | None = None, map_type: str = "hash",
                 operator: str = notices.DEFAULT_OPERATOR):
        self.state_dir = os.path.abspath(state_dir)  # homes in the passwd-file are absolute
        self.domain = domain.lower()
        self.data_dir = os.path.join(self.state_dir, "data")
        self.mail_dir = os.path.join(self.state_dir, "mail", self.domain)
        self.outbox_dir = outbox.outbox_dir(self.state_dir)
        self.operator = operator.lower()
        self.postmap = postmap
        self.postfix_config_dir = postfix_config_dir or os.path.join(self.state_dir, "etc",
                                                                     "postfix")
        self.map_type = map_type
        self.generations = Generations(self.data_dir)
        self._lock_depth = 0
        self._loaded: tuple[tuple, ServerState] | None = None

    def describe(self) -> dict:
        return {"backend": "postfix_dovecot", "state_dir": self.state_dir, "domain": self.domain}

    # --- reading -------------------------------------------------------------------

    def read_state(self) -> dict[str, Account]:
        return self.load().accounts

    def load(self) -> ServerState:
        """The whole server picture, files first (they are what the servers obey).

        Read again only when a file changed: a reconcile loads to plan, then under the
        apply lock, and at 100,000 accounts a load costs seconds. Nobody mutates the state
        it returns (``fold`` copies), so the same one can be handed out twice.
        """
        signature = self._signature()
        if self._loaded is None or self._loaded[0] != signature:
            self._loaded = (signature, self._load())
        return self._loaded[1]

    def _signature(self) -> tuple:
        """Inode, size and mtime of each file ``_load`` reads (a rewrite renames a new file
        in, so its inode changes; a hand edit changes the mtime)."""
        signature = []
        for name in LOADED_FILES:
            try:
                info = os.stat(self._path(name))
            except FileNotFoundError:
                signature.append(None)
                continue
            signature.append((info.st_ino, info.st_size, info.st_mtime_ns))
        return tuple(signature)

    def _load(self) -> ServerState:
        meta = self._read_json()
        passwd = self._read_passwd()
        aliases, kept = self._read_aliases(set(passwd))
        state = ServerState(hashes={a: h for a, (h, _) in passwd.items()},
                            tails={a: t for a, (_, t) in passwd.items()}, kept_aliases=kept,
                            issued=meta.get("issued", {}), history=meta.get("history", []))
        context = (self._read_set("deny.passwd"), self._read_revoked(), aliases,
                   self._read_delegates())
        for address in sorted(passwd):
            record = meta.get("accounts", {}).get(address, {})
            account = _account(address, record, context)
            state.accounts[address] = self._with_must_change(account, state)
        return state

    def _with_must_change(self, account: Account, state: ServerState) -> Account:
        """Must-change holds only while the hash is still the one we issued (Điều 12.1)."""
        issued = state.issued.get(account.address)
        still_ours = issued is not None and issued == _digest(state.hashes[account.address])
        return account.evolve(must_change=account.must_change and still_ours)

    def _read_passwd(self) -> dict[str, tuple[str, str]]:
        """local part -> (hash, the rest of the line after the hash, colon included)."""
        entries = {}
        for line in self._lines("users.passwd"):
            user, _, rest = line.partition(":")
            local = self._local(user)
            if local is not None:
                hashed = rest.split(":", 1)[0]
                entries[local] = (hashed, rest[len(hashed):] or PASSWD_TAIL)
        return entries

    def _read_set(self, name: str) -> set[str]:
        return {local for line in self._lines(name)
                if (local := self._local(line.split(":")[0].strip())) is not None}

    def _read_revoked(self) -> set[str]:
        revoked = set()
        for line in self._lines("recipient_access"):
            parts = line.split()
            local = self._local(parts[0])
            if local is not None and len(parts) > 1 and parts[1].upper() == "REJECT":
                revoked.add(local)
        return revoked

    def _read_aliases(self, accounts: set) -> tuple[dict[str, list[str]], list[str]]:
        """Aliases by target account; any other line (foreign, orphan) is kept as it is."""
        aliases, kept = {}, []
        for line in self._lines("valias"):
            parts = [self._local(part) for part in line.split()[:2]]
            if len(parts) == 2 and None not in parts and parts[1] in accounts:
                aliases.setdefault(parts[1], []).append(parts[0])
            else:
                kept.append(line)
        return aliases, kept

    def _read_delegates(self) -> dict[str, set[str]]:
        """Delegates by owner, from ``shared/<owner>[/*] user=<delegate> <rights>`` lines."""
        delegates = {}
        for line in self._lines("acl"):
            match = ACL_LINE.match(line)
            if match is None:
                continue
            owner, delegate = self._local(match["owner"]), self._local(match["delegate"])
            if owner is not None and delegate is not None:
                delegates.setdefault(owner, set()).add(delegate)
        return delegates

    def _read_json(self) -> dict:
        path = self._path("accounts.json")
        if not os.path.exists(path):
            return {}
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return json.loads(text) if text.strip() else {}

    def _lines(self, name: str) -> list[str]:
        """Meaningful lines of a data file (no blanks, no comments); none if absent."""
        path = self._path(name)
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as handle:
            stripped = (line.strip() for line in handle)
            return [line for line in stripped if line and not line.startswith("#")]

    def _local(self, address: str) -> str | None:
        """The local part of an address of our domain, else None."""
        local, at, domain = address.strip().lower().rpartition("@")
        return local if at and domain == self.domain and local else None

    def _path(self, name: str) -> str:
        """A served file, through the ``live`` symlink (what the servers open); in the flat
        layout of earlier versions until the first apply moves it (ensure_layout)."""
        if self.generations.exists():
            return self.generations.path(name)
        return os.path.join(self.data_dir, name)

    # --- applying ------------------------------------------------------------------

    def apply(self, changes: list[Change], credentials: Credentials,
              record: dict | None = None, lock_timeout: float = LOCK_TIMEOUT) -> dict:
        """Apply every applicable change as one new generation; nothing is served on failure.

        Under the lock: finish an interrupted apply first, fold the batch into the server
        picture, stage every file of the next generation with the work that must follow
        (journal, notices) beside it, switch the ``live`` symlink (the commit point), then
        do that work. See generations.py.
        """
        todo = [change for change in changes if change.applies]
        if not todo:
            return {"changed": False, "files": [], "generation": None, "notices": {},
                    "bootstrap": []}
        with self.locked(lock_timeout):
            recovered = self.recover()
            state, now = self.load(), _now()
            self._check(todo, state, credentials)
            new_state = fold(state, todo, credentials, now)
            self._pin_homes(new_state, todo)
            new_state.history.append(_history_entry(todo, record, now))
            early = self._early(state, new_state)
            contents = self.render(new_state, early)
            announce, early = bool(early), None  # 100,000 homes on a first apply: freed
            changed = [name for name in FILES
                       if not _same_text(self._path(name), contents[name])]
            staging = self._stage(contents, changed, now)
            delivery = contents.pop("delivery.passwd")
            del contents  # 0.3 GB of text at 100,000 accounts: gone before the notices
            try:
                self._write_pending(staging, todo, new_state, credentials, record, now)
                if announce and self._announce(delivery, now):
                    for name in changed:  # newer than what the announcement put live
                        _newer_second(os.path.join(staging, name), self._path(name))
                live = self.generations.commit(staging)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            sent, bootstrap = self._finish(live)
        return {"changed": True, "files": changed, "generation": os.path.basename(live),
                "notices": sent, "bootstrap": bootstrap, "recovered": recovered}

    @contextlib.contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT):
        """One apply (or backup, or restore) at a time on a server: wait up to ``timeout``
        seconds for the one running, then refuse (HYR014). Re-entrant in one backend."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        try:
            with self.generations.locked(timeout):
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0
        except LockTimeout as error:
            raise BackendError("HYR014", (
                f"một lần áp dụng khác vẫn đang chạy trên máy chủ này sau {error.waited:.0f} "
                "giây chờ. Cách sửa: chờ lần đó xong (xem pipeline đang chạy) rồi chạy lại, "
                "hoặc tăng lock_timeout")) from error

    def recover(self) -> dict:
        """Under the lock: set up the first generation if needed, drop what an interrupted
        apply left (staging, superseded generations) and finish its committed work."""
        created = self.ensure_layout()
        removed = self.generations.prune()
        sent, bootstrap = self._finish(self.generations.live_dir())
        return {"layout_created": created, "removed": removed, "notices": sent,
                "bootstrap": bootstrap}

    def ensure_layout(self, modes: dict[str, dict] | None = None) -> bool:
        """Create generation 0 when there is none, moving files of the flat layout of
        earlier versions (``data/<name>``) into it; add, as a new generation, a file an
        earlier version did not write. True when a generation was created."""
        if self.generations.exists():
            return self._add_missing_files(modes)
        staging = self.generations.stage()
        for name in (*FILES, digests.DIGESTS_FILE):
            legacy = os.path.join(self.data_dir, name)
            target = os.path.join(staging, name)
            if os.path.isfile(legacy) and not os.path.islink(legacy):
                os.rename(legacy, target)
            elif name != digests.DIGESTS_FILE:
                _write_file(target, "", _spec(modes, name))
            if name in MAPS:
                if os.path.isfile(legacy + self._db):
                    os.rename(legacy + self._db, target + self._db)
                else:
                    self._postmap(target)
                _apply_spec(target + self._db, _spec(modes, name))
        self.generations.commit(staging)
        return True

    def modes_to_fix(self, modes: dict[str, dict]) -> list[str]:
        """Live files whose owner, group or mode differ from the role's ``modes``."""
        return [path for path, spec in self._mode_targets(modes) if _differs(path, spec)]

    def fix_modes(self, modes: dict[str, dict]) -> list[str]:
        """Give the live files the role's owners and modes; the next generations copy them."""
        fixed = self.modes_to_fix(modes)
        for path, spec in self._mode_targets(modes):
            if path in fixed:
                _apply_spec(path, spec)
        return fixed

    def _mode_targets(self, modes: dict[str, dict]) -> list[tuple[str, dict]]:
        live = self.live_dir()
        if live is None:
            return []
        targets = []
        for name in modes:
            for suffix in ("", self._db) if name in MAPS else ("",):
                path = os.path.join(live, name + suffix)
                if os.path.exists(path):
                    targets.append((path, _spec(modes, name)))
        return targets

    def _add_missing_files(self, modes: dict[str, dict] | None) -> bool:
        live = self.generations.live_dir()
        missing = [name for name in FILES if not os.path.exists(os.path.join(live, name))]
        if not missing:
            return False
        staging = self._stage({}, [], _now(), name="layout")
        for name in missing:
            os.unlink(os.path.join(staging, name))
            _write_file(os.path.join(staging, name), "", _spec(modes, name))
        self.generations.commit(staging)
        self.generations.prune()
        return True

    def live_dir(self) -> str | None:
        """The directory of the generation the servers read now."""
        return self.generations.live_dir()

    def home(self, local: str) -> str:
        """Where the account's mail lives (its Maildir is ``home/Maildir``)."""
        state = self.load()
        return _tail_home(state.tails.get(local, PASSWD_TAIL)) or self._maildir(local)

    def _pin_homes(self, state: ServerState, todo: list[Change]) -> None:
        """Mail never moves: a renamed account keeps its home, written into its passwd
        line; a new account whose usual home is taken (by a renamed account, or left on
        disk) gets a fresh one, so it never sees someone else's mail."""
        taken = {_tail_home(tail) for tail in state.tails.values()} - {None}
        for change in todo:
            tail = state.tails.get(change.address, PASSWD_TAIL)
            if change.action == "rename" and not _tail_home(tail):
                home = self._maildir(change.old_address)
                state.tails[change.address] = _with_home(tail, home)
                taken.add(home)
            elif change.action == "create" and not _tail_home(tail):
                home = self._maildir(change.address)
                if home in taken or os.path.lexists(home):
                    home = _free_home(home, taken)
                    state.tails[change.address] = _with_home(tail, home)
                    taken.add(home)

    def _early(self, state: ServerState, new_state: ServerState) -> dict[str, str]:
        """Addresses Postfix will hand Dovecot after this batch that Dovecot does not know
        yet (new mailboxes, new names), with the home each belongs to."""
        known = set(state.accounts) | {alias for account in state.accounts.values()
                                       for alias in account.aliases}
        return {name: self._home_in(new_state, owner)
                for name, owner in self._delivered(new_state).items() if name not in known}

    def _announce(self, delivery: str, now: str) -> bool:
        """Tell Dovecot the addresses Postfix will hand it before Postfix does.

        Postfix reads new maps at once; Dovecot looks at each passwd-file at most once a
        second, each file on its own: mail to a new or renamed address in that second
        would bounce (550 User doesn't exist). So when the batch adds addresses, a
        generation that differs from the live one only by a delivery-only userdb holding
        every address of the live and of the new one (to the world the old state: Postfix
        still refuses the new ones) is committed first, and the new one a second later.
        The new one keeps the early addresses too, so whichever of the two versions of
        users.passwd and delivery.passwd Dovecot holds in that second, it knows them all.
        """
        lines = sorted(set(self._lines("delivery.passwd")) | set(delivery.splitlines()))
        staging = self._stage({"delivery.passwd": self._text(lines)}, ["delivery.passwd"],
                              now, name="announce")
        try:
            committed = self.generations.commit(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.generations.prune(keep=(STAGING_NEXT,))
        time.sleep(max(0.0, math.floor(os.stat(os.path.join(committed, "delivery.passwd"))
                                       .st_mtime) + 1.05 - time.time()))
        return True

    def _delivered(self, state: ServerState) -> dict[str, str]:
        """Every address Postfix hands to Dovecot -> the account it belongs to."""
        names = {}
        for account in state.accounts.values():
            if account.status != "revoked":
                names[account.address] = account.address
                names.update((alias, account.address) for alias in account.aliases)
        return names

    def _delivery_lines(self, state: ServerState) -> list[str]:
        """A userdb of the old addresses (aliases): mail queued for an old address before a
        rename still reaches the mailbox after it. No login: no passdb reads this file."""
        return sorted(f"{self._full(alias)}:::::{self._home_in(state, account.address)}::"
                      for account in state.accounts.values() for alias in account.aliases)

    def _delivery_text(self, state: ServerState, early: dict[str, str]) -> str:
        """delivery.passwd: the old addresses, then this batch's new ones (no sorted copy
        of 100,000 lines on a first apply: the order is already stable)."""
        lines = self._delivery_lines(state)
        lines += (f"{self._full(name)}:::::{early[name]}::" for name in sorted(early))
        return self._text(lines)

    def _home_in(self, state: ServerState, local: str) -> str:
        return _tail_home(state.tails.get(local, PASSWD_TAIL)) or self._maildir(local)

    def _check(self, todo: list[Change], state: ServerState, credentials: Credentials) -> None:
        """Refuse the whole batch before anything is written."""
        missing = [c.address for c in todo if c.needs_password and c.address not in credentials]
        if missing:
            raise BackendError("HYR010", f"chưa có mật khẩu cho: {', '.join(missing)}")
        for change in (c for c in todo if c.action == "rename"):
            if change.old_address not in state.accounts:
                raise BackendError("HYR012", f"đổi tên: {change.old_address} không có trên "
                                   "máy chủ. Cách sửa: lập lại kế hoạch (make plan)")
        self._check_renderable(todo)

    def _check_renderable(self, todo: list[Change]) -> None:
        """Defence in depth under validation: nothing that could break a line of the
        passwd-file, a map or the ACL file (separators, whitespace, control characters)
        reaches them (HYR015)."""
        for change in todo:
            after = change.after or {}
            values = [change.address, change.old_address, *after.get("aliases", ()),
                      *after.get("delegates", ())]
            bad = [value for value in values
                   if value is not None and not SAFE_LOCAL.fullmatch(value)]
            if bad:
                raise BackendError("HYR015", (
                    f"địa chỉ {bad[0]!r} có ký tự không được phép trong tệp của máy chủ "
                    "(dấu hai chấm, khoảng trắng, xuống dòng, ký tự điều khiển...). Cách sửa: "
                    "sửa địa chỉ theo Điều 5 rồi chạy lại; không có gì đã được áp dụng"))

    def render(self, state: ServerState, early: dict[str, str] | None = None) -> dict[str, str]:
        """Every data file's full new content, from the folded state (``early``: addresses
        new in this batch, kept in the delivery-only userdb for the apply after it)."""
        accounts = sorted(state.accounts.values(), key=lambda a: a.address)
        return {
            "users.passwd": self._text(
                f"{self._full(a.address)}:{state.hashes[a.address]}"
                f"{state.tails.get(a.address, PASSWD_TAIL)}" for a in accounts),
            "deny.passwd": self._text(self._full(a.address) for a in accounts
                                      if a.status != "active"),
            "delivery.passwd": self._delivery_text(state, early or {}),
            "vmailbox": self._text(f"{self._full(a.address)} OK" for a in accounts
                                   if a.status != "revoked"),
            "valias": self._text(sorted(state.kept_aliases) + self._alias_lines(accounts)),
            "recipient_access": self._text(f"{self._full(a.address)} {REVOKED_REPLY}"
                                           for a in accounts if a.status == "revoked"),
            "acl": self._text(self._acl_lines(accounts)),
            "shared-mailboxes.dict": self._shared_dict(accounts),
            "accounts.json": _metadata_json(state),
        }

    def _alias_lines(self, accounts: list[Account]) -> list[str]:
        return sorted(f"{self._full(alias)} {self._full(a.address)}"
                      for a in accounts for alias in a.aliases)

    def _acl_lines(self, accounts: list[Account]) -> list[str]:
        """Global ACL: each delegate reads the owner's mailboxes in the shared namespace.

        Dovecot names the owner's INBOX ``shared/<owner>`` and other folders
        ``shared/<owner>/<folder>``; the first matching pattern wins, so every delegate
        of one owner shares the same two patterns.
        """
        return [f"shared/{owner}{suffix} user={delegate} {DELEGATE_RIGHTS}"
                for owner, delegate in self._delegations(accounts) for suffix in ("", "/*")]

    def _shared_dict(self, accounts: list[Account]) -> str:
        """Dovecot file dict of ``acl_shared_dict``: key line, value line (shows in LIST)."""
        lines = []
        for owner, delegate in self._delegations(accounts):
            lines += [f"shared/shared-boxes/user/{delegate}/{owner}", "1"]
        return self._text(lines)

    def _delegations(self, accounts: list[Account]) -> list[tuple[str, str]]:
        """(owner, delegate) full addresses; a revoked mailbox is shared with no one."""
        return [(self._full(a.address), self._full(d)) for a in accounts
                if a.status != "revoked" for d in a.delegates]

    def _text(self, lines) -> str:
        lines = list(lines)
        return "\n".join(lines) + "\n" if lines else ""

    def _full(self, local: str) -> str:
        return f"{local}@{self.domain}"

    def _maildir(self, local: str) -> str:
        return os.path.join(self.mail_dir, local)

    @property
    def _db(self) -> str:
        return MAP_SUFFIXES.get(self.map_type, ".db")

    def _stage(self, contents: dict[str, str], changed: list[str], now: str,
               name: str = "next") -> str:
        """Stage a generation (changed files written and indexed, the others hard links to
        the live ones) with its digests; the caller commits it."""
        staging = self.generations.stage(name)
        try:
            for name in FILES:
                self._stage_file(staging, name, contents.get(name, ""), name in changed)
            # to tell hand edits (drift); files not rendered keep the live record
            digests.record(staging, contents, now, base=self._recorded_digests())
            return staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _recorded_digests(self) -> dict:
        live = self.live_dir()
        return digests.recorded(live).get("files", {}) if live else {}

    def _stage_file(self, staging: str, name: str, content: str, changed: bool) -> None:
        live, target = self._path(name), os.path.join(staging, name)
        suffixes = ("", self._db) if name in MAPS else ("",)
        if not changed and all(os.path.exists(live + suffix) for suffix in suffixes):
            for suffix in suffixes:
                os.link(live + suffix, target + suffix)
            return
        spec = _spec_of(live, name)
        _write_file(target, content, spec)
        _newer_second(target, live)
        if name in MAPS:
            self._postmap(target)
            _apply_spec(target + self._db, _spec_of(live + self._db, name))

    def _postmap(self, source: str) -> None:
        """Index a staged map source (``source.db`` beside it)."""
        command = [self.postmap, "-c", self.postfix_config_dir, f"{self.map_type}:{source}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackendError("HYR013", f"{' '.join(command)} lỗi: {result.stderr.strip()}")

    def _write_pending(self, staging: str, todo: list[Change], state: ServerState,
                       credentials: Credentials, record: dict | None, now: str) -> None:
        """What must follow the switch, one JSON line each: journal entries, notices by
        recipient, the operator's bootstrap credentials. 0600 in the new generation until
        done (it holds passwords); written a piece at a time, never one 100 MB text."""
        meta = {**(record or {}), "domain": self.domain, "operator": self.operator, "now": now}
        passwords = {address: pair[0] for address, pair in credentials.items()}
        final = {address: account.status for address, account in state.accounts.items()}
        encode = json.JSONEncoder(ensure_ascii=False).encode
        fd = os.open(os.path.join(staging, PENDING), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for entry in journal.entries_for(todo, record, now):
                handle.write(encode(["journal", entry]) + "\n")
            outgoing = notices.build(todo, passwords, final, meta)
            for recipient, notice in outgoing.notices.items():
                handle.write(encode(["notice", recipient, notice]) + "\n")
            for item in outgoing.bootstrap:
                handle.write(encode(["bootstrap", item["address"],
                                     notices.bootstrap_text(item, now)]) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _finish(self, live: str | None) -> tuple[dict[str, int], list[str]]:
        """Drop superseded generations (Postfix reopens its maps), then do the committed
        generation's pending work once: each step leaves a mark, so a rerun after a crash
        neither loses a notice nor writes one twice."""
        self.generations.prune()
        path = os.path.join(live or "", PENDING)
        if live is None or not os.path.exists(path):
            return {}, []
        pending = _read_pending(path)
        _once(live, "journal", lambda: journal.append(
            journal.journal_path(self.state_dir), pending["journal"]), None)
        sent = _once(live, "outbox", lambda: outbox.append_notices(
            self.outbox_dir, pending["notices"]), {})
        paths = _once(live, "bootstrap", lambda: [
            outbox.write_bootstrap(outbox.bootstrap_dir(self.state_dir), address, text)
            for address, text in pending["bootstrap"]], [])
        os.unlink(path)
        for step in DONE_STEPS:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(live, f".done-{step}"))
        return sent, paths


def _read_pending(path: str) -> dict:
    """pending.json back: journal entries, notices by recipient, bootstrap files."""
    pending = {"journal": [], "notices": {}, "bootstrap": []}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            kind, *fields = json.loads(line)
            if kind == "journal":
                pending["journal"].append(fields[0])
            elif kind == "notice":
                pending["notices"][fields[0]] = fields[1]
            else:
                pending["bootstrap"].append(fields)
    return pending


def fold(state: ServerState, todo: list[Change], credentials: Credentials,
         now: str) -> ServerState:
    """The server picture after the batch: each change's ``after`` becomes the record."""
    new = ServerState(dict(state.accounts), dict(state.hashes), dict(state.tails),
                      dict(state.issued), list(state.kept_aliases), list(state.history))
    for change in todo:
        old = new.accounts.get(change.old_address or change.address)
        if change.action == "rename":
            _rename(new, change.old_address, change.address)
        new.accounts[change.address] = _stamped(Account.from_dict(change.after), old, now)
        if change.needs_password:
            _set_hash(new, change.address, credentials[change.address][1], now)
    return new


def _rename(state: ServerState, old: str, new: str) -> None:
    state.accounts.pop(old, None)
    state.hashes[new] = state.hashes.pop(old)
    state.tails[new] = state.tails.pop(old, PASSWD_TAIL)
    if old in state.issued:
        state.issued[new] = state.issued.pop(old)


def _set_hash(state: ServerState, address: str, hashed: str, now: str) -> None:
    state.hashes[address] = hashed
    state.issued[address] = _digest(hashed)
    state.accounts[address] = state.accounts[address].evolve(password_changed=now)


def _stamped(account: Account, old: Account | None, now: str) -> Account:
    """Carry the creation and password dates over; stamp the change."""
    if old is None:
        return account.evolve(created=now, changed=now)
    return account.evolve(created=old.created, changed=now,
                          password_changed=old.password_changed)


def _account(address: str, record: dict, context: tuple) -> Account:
    """One Account: metadata from accounts.json, status/aliases/delegates from the files."""
    denied, revoked, aliases, delegates = context
    account = Account.from_dict({**record, "address": address})
    status = "revoked" if address in revoked else "locked" if address in denied else "active"
    return account.evolve(
        status=status, lock_reason=account.lock_reason if status == "locked" else None,
        aliases=tuple(sorted(aliases.get(address, ()))),
        delegates=tuple(sorted(delegates.get(address, ()))),
    )


def _metadata_json(state: ServerState) -> str:
    """accounts.json, one account (and one history entry) a line: sorted keys as before, but
    written by the C encoder; indented JSON goes through Python's, seconds at 100,000."""
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    accounts = ",\n".join(f" {encode(address)}: {encode(state.accounts[address].to_dict())}"
                          for address in sorted(state.accounts))
    history = ",\n".join(f" {encode(entry)}" for entry in state.history)
    issued = encode(dict(sorted(state.issued.items())))
    return (f'{{"accounts": {{\n{accounts}\n}},\n"history": [\n{history}\n],\n'
            f'"issued": {issued},\n"version": 1}}\n')


def _history_entry(todo: list[Change], record: dict | None, now: str) -> dict:
    """Who approved which commit, and what it changed (Consequence 1: traceability)."""
    entry = {"at": now, **{k: v for k, v in (record or {}).items() if v}}
    entry["changes"] = [{"action": c.action, "address": c.address,
                         "old_address": c.old_address,
                         "request": c.to_dict()["request"]} for c in todo]
    return entry


def _digest(hashed: str) -> str:
    """A fingerprint of the hash we issued, to tell when the user changed the password."""
    return hashlib.sha256(hashed.encode()).hexdigest()[:16]


def _write_file(path: str, content: str, spec: dict) -> None:
    """A new, synced file with the mode and owner of ``spec`` (created private)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    _apply_spec(path, spec)


def _spec_of(reference: str, name: str) -> dict:
    """The mode and owner of the live file a new one replaces (or the defaults)."""
    if not os.path.exists(reference):
        return {"mode": DEFAULT_MODES.get(name, DEFAULT_MODE)}
    info = os.stat(reference)
    return {"mode": info.st_mode & 0o7777, "uid": info.st_uid, "gid": info.st_gid}


def _spec(modes: dict | None, name: str) -> dict:
    """A file spec from the mailserver role (``{owner, group, mode}`` by file name)."""
    given = (modes or {}).get(name) or {}
    spec = {"mode": int(str(given.get("mode", "")), 8) if given.get("mode")
            else DEFAULT_MODES.get(name, DEFAULT_MODE)}
    if given.get("owner"):
        spec["uid"] = pwd.getpwnam(given["owner"]).pw_uid
    if given.get("group"):
        spec["gid"] = grp.getgrnam(given["group"]).gr_gid
    return spec


def _apply_spec(path: str, spec: dict) -> None:
    os.chmod(path, spec["mode"])
    if "uid" in spec or "gid" in spec:
        os.chown(path, spec.get("uid", -1), spec.get("gid", -1))


def _differs(path: str, spec: dict) -> bool:
    info = os.stat(path)
    return ((info.st_mode & 0o7777) != spec["mode"]
            or spec.get("uid", info.st_uid) != info.st_uid
            or spec.get("gid", info.st_gid) != info.st_gid)


def _once(directory: str, step: str, action, default):
    """Run ``action`` unless a mark says it ran; mark it done afterwards."""
    mark = os.path.join(directory, f".done-{step}")
    if os.path.exists(mark):
        return default
    result = action()
    with open(mark, "w", encoding="utf-8"):
        pass
    return result


def _tail_home(tail: str) -> str | None:
    """The home field of a passwd line's tail (``:uid:gid:gecos:home:shell:extra``)."""
    fields = tail[1:].split(":", 5)
    return fields[3] or None if len(fields) > 3 else None


def _with_home(tail: str, home: str) -> str:
    if not SAFE_HOME.fullmatch(home):
        raise BackendError("HYR016", f"thư mục thư {home!r} có ký tự không dùng được trong "
                           "tệp passwd. Cách sửa: đặt state_dir không có dấu hai chấm, khoảng "
                           "trắng")
    fields = (tail[1:].split(":", 5) + [""] * 6)[:6]
    fields[3] = home
    return ":" + ":".join(fields)


def _free_home(home: str, taken: set) -> str:
    """``home+2``, ``home+3``... the first one neither taken nor on disk."""
    for number in range(2, 10_000):
        candidate = f"{home}+{number}"
        if candidate not in taken and not os.path.lexists(candidate):
            return candidate
    raise BackendError("HYR016", f"không tìm được thư mục thư trống cho {home}")


def _newer_second(temp: str, path: str) -> None:
    """Give ``temp`` an mtime in a later second than ``path``'s.

    Dovecot re-reads a passwd-file only when its mtime (whole seconds) or size changed:
    a same-size rewrite within the same second (a password reset) would go unseen.
    """
    if not os.path.exists(path):
        return
    stamp = max(time.time(), math.floor(os.stat(path).st_mtime) + 1)
    os.utime(temp, (stamp, stamp))


def _same_text(path: str, text: str, chunk: int = 1 << 20) -> bool:
    """Whether the file at ``path`` holds ``text`` (UTF-8), read a piece at a time: the
    comparison never holds a second copy of a 100 MB file."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below; absent means different)
    except FileNotFoundError:
        return False
    with handle:
        for start in range(0, len(text), chunk):
            piece = text[start:start + chunk].encode("utf-8")
            if handle.read(len(piece)) != piece:
                return False
        return handle.read(1) == b""


def _now() -> str:
    return clock.now().isoformat()
