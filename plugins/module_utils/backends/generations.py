"""Generations of the served files: every apply writes a new directory, one rename commits it.

``data/gen/<n>/`` holds every file the servers read; ``data/live`` is a symlink to the
current one, and the servers' configuration names files through it
(``data/live/users.passwd``). An apply stages ``gen/.staging-<n>/`` (unchanged files are
hard links to the live ones), renames it to ``gen/<n>`` and then replaces the symlink:
that one ``rename(2)`` is the commit point. Killed before it, the old generation is
served and the staging directory is garbage; killed after it, the new one is served and
the work that follows (pending.json: journal, notices) is finished by the next apply.

A generation is never written again once committed. Superseded generations are removed
right after the switch. Postfix's long-lived processes (smtpd, cleanup) keep their maps
open from one connection to the next; before accepting each one they ``fstat`` every map
they opened and exit when one lost its last link or changed its mtime
(``dict_changed_name()``), and the process the master starts instead opens the maps
through the symlink, so the new generation. That is why the switch and the unlinking of
the files only the old generation has are one step (``switch``): done by a child in a
session of its own, a kill of the apply (its process group) after the symlink changed
cannot leave them undone, so no Postfix process keeps serving the old maps while
Dovecot, which reads its files by name, serves the new ones.
"""

from __future__ import annotations

import os
import re
import shutil

from ..common.files import commit_directory, held_lock, replace_symlink

GEN_DIR = "gen"
LIVE = "live"
STAGING = ".staging-"
LOCK_FILE = ".hymail.lock"
GENERATION = re.compile(r"^\d+$")


class LockTimeout(Exception):
    """Another apply held the lock for longer than the caller would wait."""

    def __init__(self, waited: float):
        super().__init__(f"waited {waited:.0f} s")
        self.waited = waited


class Generations:
    """The generation directories under ``data_dir`` and the symlink that picks one."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.gen_dir = os.path.join(data_dir, GEN_DIR)
        self.live = os.path.join(data_dir, LIVE)

    def exists(self) -> bool:
        return os.path.islink(self.live)

    def path(self, name: str) -> str:
        """A served file, named through the symlink (what the servers open)."""
        return os.path.join(self.live, name)

    def live_dir(self) -> str | None:
        """The current generation's real directory, None before the first one."""
        return os.path.realpath(self.live) if self.exists() else None

    def live_number(self) -> int:
        target = os.readlink(self.live) if self.exists() else ""
        name = os.path.basename(target)
        return int(name) if GENERATION.match(name) else -1

    def stage(self, name: str = "next") -> str:
        """A fresh, empty staging directory (``name`` tells two of one apply apart)."""
        os.makedirs(self.gen_dir, exist_ok=True)
        staging = os.path.join(self.gen_dir, f"{STAGING}{name}")
        if os.path.lexists(staging):
            shutil.rmtree(staging)
        os.mkdir(staging, 0o755)
        return staging

    def commit(self, staging: str) -> str:
        """Make ``staging`` the live generation: sync, rename, switch. Returns its path."""
        final = commit_directory(staging, os.path.join(self.gen_dir, str(self.live_number() + 1)))
        self.switch(final)
        return final

    def switch(self, directory: str) -> None:
        """Point ``live`` at ``directory`` and unlink the files the generation it replaces
        does not share with it (so every Postfix process that opened one of them restarts
        before its next connection), in one child process that a kill of the caller's
        process group does not reach (the module docstring)."""
        old = self.live_dir()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's exit status is the report
            status = 1
            try:
                os.setsid()
                self.point_to(directory)
                if old is not None and old != os.path.realpath(directory):
                    unlink_unshared(old, directory)
                status = 0
            finally:
                os._exit(status)  # no cleanup of the parent's state in the child
        status = os.waitpid(pid, 0)[1]
        if os.waitstatus_to_exitcode(status) != 0:
            raise OSError(f"switching {self.live} to {directory} failed")

    def point_to(self, directory: str) -> None:
        """Replace the ``live`` symlink atomically (a new link renamed over the old)."""
        replace_symlink(self.live, os.path.relpath(directory, self.data_dir))

    def prune(self, keep: tuple[str, ...] = ()) -> list[str]:
        """Remove every generation but the live one and ``keep`` (staging leftovers
        included)."""
        if not os.path.isdir(self.gen_dir):
            return []
        live = self.live_dir()
        removed = []
        for name in sorted(os.listdir(self.gen_dir)):
            path = os.path.join(self.gen_dir, name)
            if os.path.realpath(path) != live and name not in keep:
                _remove(path)
                removed.append(name)
        return removed

    def locked(self, timeout: float, poll: float = 0.2):
        """The one-apply-at-a-time lock: wait up to ``timeout`` seconds, then LockTimeout."""
        os.makedirs(self.data_dir, exist_ok=True)
        return held_lock(os.path.join(self.data_dir, LOCK_FILE), LockTimeout, timeout, poll)


def unlink_unshared(old: str, new: str) -> list[str]:
    """Unlink the files of directory ``old`` that are not hard links to a file of ``new``
    (what the new generation changed); the rest of ``old`` stays for ``prune``."""
    kept = set()
    for name in os.listdir(new):
        info = os.lstat(os.path.join(new, name))
        kept.add((info.st_dev, info.st_ino))
    removed = []
    for name in sorted(os.listdir(old)):
        path = os.path.join(old, name)
        info = os.lstat(path)
        if os.path.isfile(path) and not os.path.islink(path) \
                and (info.st_dev, info.st_ino) not in kept:
            os.unlink(path)
            removed.append(name)
    return removed


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)
