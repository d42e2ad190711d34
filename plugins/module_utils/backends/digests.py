"""Digests of the data files a backend writes, to tell its own writes from hand edits.

After every apply the backend records the SHA-256 of each file it wrote in
``data/live/digests.json`` (in the generation it describes); the drift report
compares the files on disk with that record.
"""

from __future__ import annotations

import hashlib
import json
import os

from ..common.files import replace_atomically

DIGESTS_FILE = "digests.json"
# Root only: no mail service reads it (the drift check does, as root).
DIGESTS_MODE = 0o600


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: str) -> str | None:
    """The digest of a file's bytes, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def tree_digest(roots: list[str]) -> str:
    """One SHA-256 of every regular file under ``roots``: each root's name, each file's path
    under it and its bytes, in a fixed order (compiled Python is left out: it is made from
    the sources). A file added, removed, renamed or changed gives another digest."""
    digest = hashlib.sha256()
    for root in roots:
        if not os.path.isdir(root):
            raise FileNotFoundError(f"không có thư mục {root}")
        digest.update(os.path.basename(os.path.normpath(root)).encode() + b"\0\0")
        for directory, subdirectories, names in os.walk(root):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for name in sorted(names):
                path = os.path.join(directory, name)
                if name.endswith(".pyc") or not os.path.isfile(path):
                    continue
                with open(path, "rb") as handle:
                    content = handle.read()
                relative = os.path.relpath(path, root).encode("utf-8", "surrogateescape")
                digest.update(b"%s\0%d\0" % (relative, len(content)) + content)
    return digest.hexdigest()


def record(data_dir: str, contents: dict[str, str], at: str, base: dict | None = None) -> None:
    """Write the digest of every file just written (replaced atomically); ``base``: the
    digests of files kept as they were."""
    files = dict(base or {}) | {name: text_digest(text) for name, text in contents.items()}
    data = {"version": 1, "at": at, "files": dict(sorted(files.items()))}
    replace_atomically(os.path.join(data_dir, DIGESTS_FILE),
                       json.dumps(data, indent=1, sort_keys=True) + "\n", DIGESTS_MODE)


def recorded(data_dir: str) -> dict:
    """The last record, ``{}`` when the backend never wrote one."""
    path = os.path.join(data_dir, DIGESTS_FILE)
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except ValueError:
        return {"files": {}, "unreadable": True}


def hand_edits(data_dir: str, names: tuple[str, ...]) -> list[dict]:
    """Files whose content differs from what the backend last wrote.

    ``state`` is ``edited`` (digest differs), ``missing`` (file gone) or ``unrecorded``
    (a non-empty file the backend never wrote, or a digest record that cannot be read).
    """
    record_files = recorded(data_dir).get("files", {})
    found = []
    for name in names:
        path = os.path.join(data_dir, name)
        actual, expected = file_digest(path), record_files.get(name)
        state = _state(actual, expected, path)
        if state:
            found.append({"file": name, "state": state, "expected": expected,
                          "actual": actual})
    return found


def _state(actual: str | None, expected: str | None, path: str) -> str | None:
    if expected is None:
        empty = actual is None or os.path.getsize(path) == 0
        return None if empty else "unrecorded"
    if actual is None:
        return "missing"
    return None if actual == expected else "edited"
