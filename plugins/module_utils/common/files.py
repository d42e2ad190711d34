"""Writing files so that a crash never leaves half of one; the only code that renames or syncs.

Three jobs, each written once:

- ``replace_atomically``: a file replaced whole. A temporary file with a unique name beside
  it is written, synced, given its mode and owner, then renamed over it, and the directory
  is synced: readers see the old content or the new, never half, and two writers never
  share a temporary file. On failure the temporary file is removed, the file untouched.
- ``append_durably``: lines added at the end of a file (a journal, an outbox) and on disk
  before it returns; the file is created with its mode, or tightened to it.
- stage and commit: a directory filled under a staging name (``removed_on_error`` drops it
  if filling fails), then ``commit_directory`` syncs it and renames it to its final name in
  one ``rename(2)``. ``replace_symlink`` switches a symlink the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable

Data = str | bytes | Iterable[str | bytes]

# ``mode=NEW_FILE``: the mode open() gives a new file (0666 less the umask).
NEW_FILE = None
_TEMP_SUFFIX = ".tmp"
_TEMP_ATTEMPTS = 100


def replace_atomically(path: str, data: Data, mode: int | None = 0o600,
                       uid: int = -1, gid: int = -1) -> None:
    """Replace ``path`` whole with ``data`` (text is UTF-8; an iterable is written piece
    by piece), with ``mode`` (NEW_FILE: as open() creates one) and owner ``uid``/``gid``
    (-1: the writer's). The file is private (0600) until it is renamed into place."""
    temp, fd = _new_temp(path, 0o666 if mode is NEW_FILE else 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            if uid != -1 or gid != -1:
                os.fchown(handle.fileno(), uid, gid)
            if mode is not NEW_FILE:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_path(os.path.dirname(path) or ".")


def _new_temp(path: str, create_mode: int) -> tuple[str, int]:
    """A new, empty file beside ``path`` named ``.<name>.<random>.tmp``, and its descriptor."""
    directory, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _attempt in range(_TEMP_ATTEMPTS):
        temp = os.path.join(directory, f".{name[:64]}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")
        with contextlib.suppress(FileExistsError):
            return temp, os.open(temp, flags, create_mode)
    raise FileExistsError(f"no free temporary name beside {path}")


def _write_all(handle, data: Data) -> None:
    for piece in (data,) if isinstance(data, str | bytes) else data:
        handle.write(piece.encode("utf-8") if isinstance(piece, str) else piece)


def append_durably(path: str, text: Data, mode: int = 0o600) -> None:
    """Append the lines ``text`` (or an iterable of pieces, written one at a time) to
    ``path`` and sync it; the file is created with ``mode``
    (its directory synced then, so the new name lasts too) or tightened to ``mode``. A torn
    last line (an append killed midway: no final newline) is cut first: it was never a
    record, and the line appended after it must not merge with it."""
    created = not os.path.lexists(path)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(fd, mode)
        _cut_torn_line(fd)
        _write_all(handle, text)
        handle.flush()
        os.fsync(fd)
    if created:
        fsync_path(os.path.dirname(path) or ".")


def _cut_torn_line(fd: int, chunk: int = 65536) -> None:
    """Truncate the file after its last newline when it does not end with one."""
    end = os.fstat(fd).st_size
    if end == 0 or os.pread(fd, 1, end - 1) == b"\n":
        return
    position = end
    while position > 0:
        start = max(0, position - chunk)
        found = os.pread(fd, position - start, start).rfind(b"\n")
        if found >= 0:
            os.ftruncate(fd, start + found + 1)
            return
        position = start
    os.ftruncate(fd, 0)


@contextlib.contextmanager
def removed_on_error(staging: str):
    """The block fills the directory ``staging``; if it fails, ``staging`` is removed."""
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def commit_directory(staging: str, final: str) -> str:
    """Sync what ``staging`` holds and ``staging`` itself, rename it to ``final`` (the
    commit) and sync the directory holding it, so the rename lasts. Returns ``final``."""
    for name in os.listdir(staging):
        fsync_path(os.path.join(staging, name))
    fsync_path(staging)
    os.rename(staging, final)
    fsync_path(os.path.dirname(final) or ".")
    return final


def replace_symlink(path: str, target: str) -> None:
    """Point the symlink ``path`` at ``target`` atomically: a new link ``.<name>.new``
    (one left by a crash is replaced; callers hold their lock) renamed over it, synced."""
    directory, name = os.path.split(path)
    link = os.path.join(directory, f".{name}.new")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(target, link)
    os.replace(link, path)
    fsync_path(directory or ".")


def fsync_path(path: str) -> None:
    """fsync a file or a directory (its entries) by path."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def held_lock(path: str, busy: Callable[[float], Exception], timeout: float = 0.0,
              poll: float = 0.2):
    """An exclusive ``flock`` on ``path`` (created 0600, never read): wait up to ``timeout``
    seconds (0: do not wait), then raise ``busy(seconds waited)``. Only taking the lock
    raises it: what the body raises passes through untouched."""
    started = time.monotonic()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout:
                    raise busy(waited) from None
                time.sleep(min(poll, max(timeout - waited, 0.01)))
        yield
    finally:
        os.close(fd)
