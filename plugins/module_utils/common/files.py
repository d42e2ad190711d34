"""Replacing a small file whole: readers see the old text or the new one, never half."""

from __future__ import annotations

import contextlib
import os
import tempfile


def replace_text(path: str, text: str, mode: int = 0o600, prefix: str = ".hymail-") -> None:
    """Write ``text`` to a synced temp file beside ``path`` with ``mode``, then rename it
    over ``path`` (the temp file is removed if anything fails)."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=prefix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
