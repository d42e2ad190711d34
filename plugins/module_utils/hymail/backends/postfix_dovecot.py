"""Postfix + Dovecot backend: the files under ``state_dir/data`` of docs/architecture.md.

Reading turns the files into Account records; applying folds a batch of changes into
one new picture of the server, renders every file from it, and only then swaps the
changed files in (temp file + os.replace) and rebuilds each changed Postfix map once.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from .. import digests, journal, notices, outbox
from ..accounts import Account
from ..planner import Change
from .base import BackendError, Credentials, MailBackend

MAPS = ("vmailbox", "valias", "recipient_access")
# What load() reads (its cache is valid while none of them changed).
LOADED_FILES = ("accounts.json", "users.passwd", "valias", "deny.passwd", "recipient_access",
                "acl")
FILES = ("users.passwd", "deny.passwd", *MAPS, "acl", "shared-mailboxes.dict", "accounts.json")
# users.passwd holds hashes: never world-readable (the group lets Dovecot read it).
DEFAULT_MODES = {"users.passwd": 0o640, "deny.passwd": 0o640, "accounts.json": 0o640}
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
        self.state_dir = state_dir
        self.domain = domain.lower()
        self.data_dir = os.path.join(state_dir, "data")
        self.mail_dir = os.path.join(state_dir, "mail", self.domain)
        self.outbox_dir = outbox.outbox_dir(state_dir)
        self.operator = operator.lower()
        self.postmap = postmap
        self.postfix_config_dir = postfix_config_dir or os.path.join(state_dir, "etc", "postfix")
        self.map_type = map_type
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
            return json.load(handle)

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
        return os.path.join(self.data_dir, name)

    # --- applying ------------------------------------------------------------------

    def apply(self, changes: list[Change], credentials: Credentials,
              record: dict | None = None) -> dict:
        """Apply every applicable change in one batch; nothing is written on failure."""
        todo = [change for change in changes if change.applies]
        if not todo:
            return {"changed": False, "files": [], "moved": [], "notices": {}, "bootstrap": []}
        with self._exclusive():
            state, now = self.load(), _now()
            self._check(todo, state, credentials)
            new_state = fold(state, todo, credentials, now)
            new_state.history.append(_history_entry(todo, record, now))
            contents = self.render(new_state)
            changed = [name for name in FILES
                       if not _same_text(self._path(name), contents[name])]
            moves = self._moves(todo)
            self._commit(moves, contents, changed)
            digests.record(self.data_dir, contents, now)  # to tell hand edits (drift)
            journal.append(journal.journal_path(self.state_dir),
                           journal.entries_for(todo, record, now))
            sent, bootstrap = self._write_outbox(todo, new_state, credentials, record, now)
        return {"changed": True, "files": changed, "moved": moves, "notices": sent,
                "bootstrap": bootstrap}

    @contextlib.contextmanager
    def _exclusive(self):
        """One apply at a time on a server: a second one is refused, not queued."""
        os.makedirs(self.data_dir, exist_ok=True)
        with open(self._path(".hymail.lock"), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise BackendError("HYR014", "một lần áp dụng khác đang chạy trên máy chủ này. "
                                   "Cách sửa: chờ lần đó xong rồi chạy lại") from error
            yield

    def _check(self, todo: list[Change], state: ServerState, credentials: Credentials) -> None:
        """Refuse the whole batch before anything is written."""
        missing = [c.address for c in todo if c.needs_password and c.address not in credentials]
        if missing:
            raise BackendError("HYR010", f"chưa có mật khẩu cho: {', '.join(missing)}")
        for change in (c for c in todo if c.action == "rename"):
            if os.path.exists(self._maildir(change.address)):
                raise BackendError("HYR011", (
                    f"đổi tên {change.old_address} → {change.address}: thư mục "
                    f"{self._maildir(change.address)} đã có. Cách sửa: kiểm tra thư trong đó "
                    "và chuyển bằng tay, rồi áp dụng lại"))
            if change.old_address not in state.accounts:
                raise BackendError("HYR012", f"đổi tên: {change.old_address} không có trên "
                                   "máy chủ. Cách sửa: lập lại kế hoạch (make plan)")

    def render(self, state: ServerState) -> dict[str, str]:
        """Every data file's full new content, from the folded state."""
        accounts = sorted(state.accounts.values(), key=lambda a: a.address)
        return {
            "users.passwd": self._text(
                f"{self._full(a.address)}:{state.hashes[a.address]}"
                f"{state.tails.get(a.address, PASSWD_TAIL)}" for a in accounts),
            "deny.passwd": self._text(self._full(a.address) for a in accounts
                                      if a.status != "active"),
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

    def _current_bytes(self, name: str) -> bytes | None:
        """A file as it is on disk: kept for a rollback, in UTF-8 (half the memory of the
        text when it holds Vietnamese; accounts.json is 100 MB at 100,000 accounts)."""
        path = self._path(name)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as handle:
            return handle.read()

    def _maildir(self, local: str) -> str:
        return os.path.join(self.mail_dir, local)

    def _moves(self, todo: list[Change]) -> list[list[str]]:
        return [[self._maildir(c.old_address), self._maildir(c.address)] for c in todo
                if c.action == "rename" and os.path.isdir(self._maildir(c.old_address))]

    def _commit(self, moves: list, contents: dict[str, str], changed: list[str]) -> None:
        """Stage every file (maps already indexed), move maildirs, then swap all in.

        Postfix sees a replaced map's old inode unlinked and reopens it on the next
        connection, which an in-place rebuild within the same second would not trigger.
        """
        previous = {name: self._current_bytes(name) for name in changed}
        staged = self._stage({name: contents[name] for name in changed})
        done = []
        try:
            for source, target in moves:  # Điều 6.2.d: the mail follows the new address
                os.rename(source, target)
                done.append((source, target))
            for temp, path in staged:
                os.replace(temp, path)
        except BaseException:
            _discard(staged)
            self._restore(previous, done)
            raise

    def _restore(self, previous: dict[str, bytes | None], done: list) -> None:
        """Best-effort rollback of a failed batch: maildirs back, files back."""
        for source, target in reversed(done):
            os.rename(target, source)
        old = {name: content.decode("utf-8") for name, content in previous.items()
               if content is not None}
        for temp, path in self._stage(old):
            os.replace(temp, path)

    def _stage(self, contents: dict[str, str]) -> list[tuple[str, str]]:
        """(temp, final) pairs written beside the real files; nothing is replaced yet."""
        os.makedirs(self.data_dir, exist_ok=True)
        staged = []
        try:
            for name, content in contents.items():
                path = self._path(name)
                staged.append((_write_temp(path, content, DEFAULT_MODES.get(name, 0o644)), path))
                if name in MAPS:
                    staged.append(self._postmap(staged[-1][0], path))
        except BaseException:
            _discard(staged)
            raise
        for temp, path in staged:
            _newer_second(temp, path)
        return staged

    def _postmap(self, source: str, path: str) -> tuple[str, str]:
        """Index a staged map source; returns (its index, the live index it replaces)."""
        command = [self.postmap, "-c", self.postfix_config_dir, f"{self.map_type}:{source}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        suffix = MAP_SUFFIXES.get(self.map_type, ".db")
        if result.returncode != 0:
            _discard([(source + suffix, "")])
            raise BackendError("HYR013", f"{' '.join(command)} lỗi: {result.stderr.strip()}")
        _copy_mode(path + suffix, source + suffix, 0o644)
        return source + suffix, path + suffix

    def _write_outbox(self, todo: list[Change], state: ServerState, credentials: Credentials,
                      record: dict | None, now: str) -> tuple[dict[str, int], list[str]]:
        """Append this apply's notices to the outbox (0600); the operator's own password
        goes to a root-only bootstrap file instead. Returns notices per recipient, paths."""
        meta = {**(record or {}), "domain": self.domain, "operator": self.operator, "now": now}
        passwords = {address: pair[0] for address, pair in credentials.items()}
        final = {address: account.status for address, account in state.accounts.items()}
        outgoing = notices.build(todo, passwords, final, meta)
        paths = [outbox.write_bootstrap(outbox.bootstrap_dir(self.state_dir), item["address"],
                                        notices.bootstrap_text(item, now))
                 for item in outgoing.bootstrap]
        return outbox.append_notices(self.outbox_dir, outgoing.notices), paths


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


def _write_temp(path: str, content: str, default_mode: int) -> str:
    """A synced temp file beside ``path`` with the mode and owner ``path`` has."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".hymail-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    _copy_mode(path, temp, default_mode)
    return temp


def _copy_mode(reference: str, path: str, default_mode: int) -> None:
    """Give ``path`` the mode and owner of ``reference`` (or ``default_mode``)."""
    if not os.path.exists(reference):
        os.chmod(path, default_mode)
        return
    info = os.stat(reference)
    os.chmod(path, info.st_mode & 0o7777)
    os.chown(path, info.st_uid, info.st_gid)


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


def _discard(staged: list[tuple[str, str]]) -> None:
    for temp, _ in staged:
        if os.path.exists(temp):
            os.unlink(temp)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
