"""Reading the server's files into a ServerState (the files are what the servers obey;
accounts.json adds what they do not say: agency, names, request letters, dates)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

from ...plan.accounts import Account
from .layout import LOADED_FILES, Layout
from .state import PASSWD_TAIL, RawJSON, ServerState, hash_digest

ACL_LINE = re.compile(r"^shared/(?P<owner>[^/\s]+)(/\*)? user=(?P<delegate>\S+) ")


def signature(layout: Layout) -> tuple:
    """Inode, size and mtime of each file ``load`` reads (a rewrite renames a new file
    in, so its inode changes; a hand edit changes the mtime)."""
    found = []
    for name in LOADED_FILES:
        try:
            info = os.stat(layout.path(name))
        except FileNotFoundError:
            found.append(None)
            continue
        found.append((info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(found)


def load(layout: Layout) -> ServerState:
    """The whole server picture, read from the files; each account is built as its line
    of accounts.json is read (never 100,000 parsed records beside their accounts)."""
    passwd = _read_passwd(layout)
    aliases, kept = _read_aliases(layout, set(passwd))
    context = (_read_set(layout, "deny.passwd"), _read_revoked(layout), aliases,
               _read_delegates(layout))
    built = {}

    def take(address: str | None, record: dict | None) -> None:
        if address is None:
            built.clear()
        elif address in passwd:
            built[address] = _account(address, record, context)

    meta = _read_json(layout, take)
    state = ServerState(hashes={a: h for a, (h, _tail) in passwd.items()},
                        tails={a: t for a, (_hash, t) in passwd.items()}, kept_aliases=kept,
                        issued=meta.get("issued", {}), history=meta.get("history", []))
    for address in sorted(passwd):
        account = built.pop(address, None) or _account(address, {}, context)
        state.accounts[address] = _with_must_change(account, state)
    return state


def _with_must_change(account: Account, state: ServerState) -> Account:
    """Must-change holds only while the hash is still the one we issued (Điều 12.1)."""
    if not account.must_change:
        return account
    issued = state.issued.get(account.address)
    still_ours = issued is not None and issued == hash_digest(state.hashes[account.address])
    return account if still_ours else account.evolve(must_change=False)


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


def _read_passwd(layout: Layout) -> dict[str, tuple[str, str]]:
    """local part -> (hash, the rest of the line after the hash, colon included)."""
    entries = {}
    for line in lines(layout, "users.passwd"):
        user, _colon, rest = line.partition(":")
        local = layout.local(user)
        if local is not None:
            hashed = rest.split(":", 1)[0]
            entries[local] = (hashed, rest[len(hashed):] or PASSWD_TAIL)
    return entries


def _read_set(layout: Layout, name: str) -> set[str]:
    return {local for line in lines(layout, name)
            if (local := layout.local(line.split(":")[0].strip())) is not None}


def _read_revoked(layout: Layout) -> set[str]:
    revoked = set()
    for line in lines(layout, "recipient_access"):
        parts = line.split()
        local = layout.local(parts[0])
        if local is not None and len(parts) > 1 and parts[1].upper() == "REJECT":
            revoked.add(local)
    return revoked


def _read_aliases(layout: Layout, accounts: set) -> tuple[dict[str, list[str]], list[str]]:
    """Aliases by target account; any other line (foreign, orphan) is kept as it is."""
    aliases, kept = {}, []
    for line in lines(layout, "valias"):
        parts = [layout.local(part) for part in line.split()[:2]]
        if len(parts) == 2 and None not in parts and parts[1] in accounts:
            aliases.setdefault(parts[1], []).append(parts[0])
        else:
            kept.append(line)
    return aliases, kept


def _read_delegates(layout: Layout) -> dict[str, set[str]]:
    """Delegates by owner, from ``shared/<owner>[/*] user=<delegate> <rights>`` lines."""
    delegates = {}
    for line in lines(layout, "acl"):
        match = ACL_LINE.match(line)
        if match is None:
            continue
        owner, delegate = layout.local(match["owner"]), layout.local(match["delegate"])
        if owner is not None and delegate is not None:
            delegates.setdefault(owner, set()).add(delegate)
    return delegates


def _read_json(layout: Layout, take) -> dict:
    """accounts.json's issued digests and history; each account's record goes to
    ``take(address, record)`` (``take(None, None)``: forget the ones taken). Read a line
    at a time when laid out as ``metadata_json`` writes it (never the whole 80 MB text and
    its parse at once; history entries then stay JSON text, ``RawJSON``), else whole."""
    path = layout.path("accounts.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        meta = _read_lines(handle, take)
    if meta is not None:
        return meta
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    meta = json.loads(text) if text.strip() else {}
    del text
    take(None, None)  # start again: what the line by line reading took is dropped
    for address, record in meta.pop("accounts", {}).items():
        take(address, record)
    return meta


class _OtherLayout(Exception):
    """accounts.json is not laid out as ``metadata_json`` writes it."""


# Checks that a text is one JSON object, building none of its objects (a history entry of
# a first apply lists 100,000 changes).
_CHECK = json.JSONDecoder(object_pairs_hook=lambda _pairs: True)


def _read_lines(handle, take) -> dict | None:
    """``metadata_json``'s layout, line by line; None when the file is laid out otherwise
    (an older version's indented JSON, a hand edit: the caller parses it whole, again)."""
    history = []
    try:
        _expect(handle, '{"accounts": {\n')
        for line in _section(handle, "},\n"):
            entry = json.loads("{" + line + "}")
            if len(entry) != 1:
                return None
            take(*next(iter(entry.items())))
        _expect(handle, '"history": [\n')
        for line in _section(handle, "],\n"):
            if _CHECK.decode(line) is not True:
                return None
            history.append(RawJSON(line.strip()))
        tail = json.loads("{" + handle.read())
    except (_OtherLayout, ValueError):
        return None
    if not isinstance(tail, dict) or set(tail) != {"issued", "version"}:
        return None
    return {"history": history, **tail}


def _expect(handle, line: str) -> None:
    if handle.readline() != line:
        raise _OtherLayout


def _section(handle, end: str) -> Iterator[str]:
    """The lines up to ``end``, each without its separating comma (every line but the
    last ends with one; an empty section is one empty line), one at a time."""
    previous = None
    for number, line in enumerate(handle):
        if line == end:
            if previous is None or (previous == "" and number == 1):
                return
            if previous.endswith(",") or previous == "":
                raise _OtherLayout
            yield previous
            return
        if previous is not None:
            if not previous.endswith(","):
                raise _OtherLayout
            yield previous[:-1]
        previous = line.rstrip("\n")
    raise _OtherLayout


def lines(layout: Layout, name: str) -> list[str]:
    """Meaningful lines of a served file (no blanks, no comments); none if absent."""
    path = layout.path(name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        stripped = (line.strip() for line in handle)
        return [line for line in stripped if line and not line.startswith("#")]
