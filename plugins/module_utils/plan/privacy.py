"""What the plan files and notes may show of people who asked not to be listed (Điều 11.3).

The title and phone of a ``publish: false`` person are replaced, in plan.json, plan.md and
the merge-request note, by a keyed digest (HMAC-SHA-256 with a key of this installation):
a reviewer still sees that they change, the reviewed-plan check (HYR003) still compares
them, and nobody without the key can try the few likely titles or phone numbers to find
them. The key is made once, 0600, beside the state (or in build/ locally), never committed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets

KEY_FILE = "privacy.key"
PRIVATE_FIELDS = ("title", "phone")
DIGEST_PREFIX = "hmac:"
_KEY_BYTES = 32


def load_key(directory: str) -> bytes:
    """The installation's key in ``directory`` (made there, mode 0600, on first use)."""
    path = os.path.join(directory, KEY_FILE)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    with open(path, encoding="ascii") as handle:
        key = bytes.fromhex(handle.read().strip())
    if len(key) < 16:
        raise ValueError(f"{path}: the privacy key is too short")
    return key


def digest(key: bytes, field: str, value: str) -> str:
    """The keyed digest that stands for ``value`` of ``field`` (short, stable per key)."""
    mac = hmac.new(key, f"{field}\0{value}".encode(), hashlib.sha256).hexdigest()
    return DIGEST_PREFIX + mac[:24]


def private_view(view: dict | None, key: bytes | None) -> dict | None:
    """An account view with the private fields of an unpublished person digested."""
    if not view or key is None:
        return view
    directory = view.get("directory") or {}
    if directory.get("publish", True) or not any(directory.get(f) for f in PRIVATE_FIELDS):
        return view
    hidden = {field: digest(key, field, directory[field])
              for field in PRIVATE_FIELDS if directory.get(field)}
    return {**view, "directory": {**directory, **hidden}}


def private_entry(entry: dict, key: bytes | None) -> dict:
    """A plan entry (``Change.to_dict``) with both views private."""
    if key is None:
        return entry
    return {**entry, "before": private_view(entry.get("before"), key),
            "after": private_view(entry.get("after"), key)}
