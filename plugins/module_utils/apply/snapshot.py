"""The snapshot every apply, drift and emergency run leaves: the live state without secrets.

A merge request's plan is computed from it (``backends/snapshot.py``) instead of reading
the mail host. It holds what the planner and the plan need — the accounts as the backend
reads them (no password hash: ``Account`` has none), the emergency holds, the state digest
and the live generation — and is checked for anything hash-shaped before it is written,
mode 0600, atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator

from ..backends.base import BackendError, MailBackend
from ..backends.snapshot import check_document, document
from ..common import clock
from ..common.files import replace_atomically
from .holds import read_file
from .reconcile import state_digest

SNAPSHOT_MODE = 0o600
# A password hash in any scheme Dovecot reads, a PHC string, or a crypt(3) one.
HASH_SHAPED = re.compile(r"\{[A-Z0-9._-]*(?:ARGON|CRYPT|SHA|MD5|PBKDF)[A-Z0-9._-]*\}|"
                         r"\$(?:argon2(?:id|i|d)?|2[aby]?|[156]|y|gy|7)\$", re.IGNORECASE)
# The file is written a piece at a time (PIECE characters), each checked with the last
# OVERLAP characters of the one before; its top-level time line is left out of the digest
# that says whether the content changed.
PIECE = 1 << 20
OVERLAP = 256
TIME_LINE = ' "taken_at": '


def take(backend: MailBackend, state_dir: str) -> dict:
    """The snapshot of ``backend``'s live state (its holds from ``state_dir``)."""
    accounts = backend.read_state()
    holds = backend.emergency_holds()
    if holds is None:
        holds = read_file(state_dir)["holds"]
    generation = backend.live_dir()
    return document(backend.domain, accounts, holds, state_digest(accounts),
                    os.path.basename(generation) if generation else None,
                    clock.now().isoformat())


def write(path: str, snapshot: dict, domain: str) -> bool:
    """Write the checked ``snapshot`` to ``path`` (0600, atomically); True when its content
    (its time aside) differs from the file's. Refused (HYR018), and nothing written, if
    anything in it is hash-shaped.

    The text goes to the file a megabyte at a time, and the two contents are compared by
    their digests: at 104,500 accounts the whole text and the previous snapshot read back
    would each cost hundreds of megabytes (bench: the playbooks' peak)."""
    check_document(snapshot, domain, path)
    before = _content_digest(path)
    digest = hashlib.sha256()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    replace_atomically(path, _pieces(snapshot, path, digest), SNAPSHOT_MODE)
    return before != digest.hexdigest()


def _pieces(snapshot: dict, where: str, digest) -> Iterator[str]:
    """The file's text (the JSON, indented, then a newline) in pieces of about PIECE
    characters, each checked for anything hash-shaped; every line but the time's feeds
    ``digest``."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=1, sort_keys=True)
    chunks: list[str] = []
    size, before, carry = 0, "", ""
    for chunk in encoder.iterencode(snapshot):
        chunks.append(chunk)
        size += len(chunk)
        if size >= PIECE:
            piece = "".join(chunks)
            chunks.clear()
            size = 0
            before, carry = _checked(piece, before, carry, where, digest)
            yield piece
    piece = "".join(chunks) + "\n"
    _checked(piece, before, carry, where, digest)
    yield piece


def _checked(piece: str, before: str, carry: str, where: str, digest) -> tuple[str, str]:
    """Refuse a hash-shaped string in ``piece`` (with the end of the piece before it, so
    nothing hides across a cut), hash its complete lines; the new end and partial line."""
    if HASH_SHAPED.search(before + piece):
        raise BackendError("HYR018", path=where, why="có chuỗi giống mã băm mật khẩu")
    lines = (carry + piece).split("\n")
    carry = lines.pop()
    for line in lines:
        if not line.startswith(TIME_LINE):
            digest.update(line.encode("utf-8") + b"\n")
    return piece[-OVERLAP:], carry


def _content_digest(path: str) -> str | None:
    """The digest of a snapshot file's lines but its time's (as ``_pieces`` makes it), read a
    line at a time; None when there is no such file."""
    digest = hashlib.sha256()
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if not line.startswith(TIME_LINE):
                    digest.update(line.rstrip("\n").encode("utf-8") + b"\n")
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def summary(snapshot: dict, path: str) -> dict:
    """What a module returns about a snapshot (no account in it)."""
    return {"snapshot_file": path, "accounts": len(snapshot["accounts"]),
            "holds": sorted(snapshot["holds"]), "state_digest": snapshot["state_digest"],
            "generation": snapshot["generation"], "taken_at": snapshot["taken_at"]}
