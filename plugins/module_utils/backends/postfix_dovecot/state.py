"""The server picture the backend reads, folds and renders: accounts, their hashes, and
the lines it must keep as they are."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ...plan.accounts import Account

# The passwd-file fields after the hash (uid, gid, gecos, home, shell, extra), all empty:
# uid, gid and home come from the userdb defaults.
PASSWD_TAIL = "::::::"


class RawJSON(str):
    """A value kept as the JSON text it was read as, and written back as it is (a history
    entry of accounts.json: one lists every change of a first apply)."""


@dataclass
class ServerState:
    """Everything the backend knows: accounts, their hashes, and lines it must keep."""

    accounts: dict[str, Account] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    tails: dict[str, str] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)
    kept_aliases: list[str] = field(default_factory=list)
    history: list[dict | RawJSON] = field(default_factory=list)


def hash_digest(hashed: str) -> str:
    """A fingerprint of the hash we issued, to tell when the user changed the password."""
    return hashlib.sha256(hashed.encode()).hexdigest()[:16]
