"""What the plan files and notes may show of people who asked not to be listed (Điều 11.3).

The title and phone of a ``publish: false`` person are replaced, in plan.json, plan.md and
the merge-request note, by a keyed digest (HMAC-SHA-256 with a key of this installation):
a reviewer still sees that they change, the reviewed-plan check (HYR003) still compares
them, and nobody without the key can try the few likely titles or phone numbers to find
them. The key is made once, 0600, beside the state (or in build/ locally), never committed;
where the plan is made away from the mail host (from a snapshot, in CI), the same key is
given as ``HYMAIL_PRIVACY_KEY`` (hex), a variable only that job can read. The plan records
which key it used (``key_id``), so an apply with another key says so (HYR004) instead of
refusing every unlisted person's change as unshown (HYR003).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from ..common.files import replace_atomically

KEY_FILE = "privacy.key"
KEY_VARIABLE = "HYMAIL_PRIVACY_KEY"
PRIVATE_FIELDS = ("title", "phone")
DIGEST_PREFIX = "hmac:"
_KEY_BYTES = 32


def load_key(directory: str, environ=None) -> bytes:
    """The installation's key: ``HYMAIL_PRIVACY_KEY`` when set (in ``environ``, default the
    process's), else the one in ``directory`` (made there, mode 0600, on first use)."""
    environ = os.environ if environ is None else environ
    if environ.get(KEY_VARIABLE):
        return _checked(bytes.fromhex(environ[KEY_VARIABLE].strip()), KEY_VARIABLE)
    path = os.path.join(directory, KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        replace_atomically(path, secrets.token_hex(_KEY_BYTES) + "\n", 0o600)
    with open(path, encoding="ascii") as handle:
        return _checked(bytes.fromhex(handle.read().strip()), path)


def find_key(directory: str, environ=None) -> bytes | None:
    """The key where the plan is made away from the mail host (from a snapshot): the
    variable, or a key file already there (the same machine); none is made."""
    environ = os.environ if environ is None else environ
    if environ.get(KEY_VARIABLE) or os.path.exists(os.path.join(directory, KEY_FILE)):
        return load_key(directory, environ)
    return None


def _checked(key: bytes, origin: str) -> bytes:
    if len(key) < 16:
        raise ValueError(f"{origin}: the privacy key is too short (16 bytes at least)")
    return key


def key_id(key: bytes) -> str:
    """Which key a plan was written with (tells nothing of the key)."""
    return DIGEST_PREFIX + hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def digest(key: bytes, field: str, value: str) -> str:
    """The keyed digest that stands for ``value`` of ``field`` (short, stable per key)."""
    mac = hmac.new(key, f"{field}\0{value}".encode(), hashlib.sha256).hexdigest()
    return DIGEST_PREFIX + mac[:24]


def private_view(view: dict | None, key: bytes | None) -> dict | None:
    """An account view with the private fields of an unpublished person digested."""
    if not view or key is None:
        return view
    directory = view.get("directory") or {}
    published = directory.get("publish", view.get("kind") != "person")  # a person: unlisted
    if published or not any(directory.get(f) for f in PRIVATE_FIELDS):
        return view
    hidden = {field: digest(key, field, directory[field]) for field in PRIVATE_FIELDS
              if directory.get(field) and not str(directory[field]).startswith(DIGEST_PREFIX)}
    return {**view, "directory": {**directory, **hidden}}


def private_entry(entry: dict, key: bytes | None) -> dict:
    """A plan entry (``Change.to_dict``) with both views private."""
    if key is None:
        return entry
    return {**entry, "before": private_view(entry.get("before"), key),
            "after": private_view(entry.get("after"), key)}
