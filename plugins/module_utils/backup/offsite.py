"""Off-host copies of the verified backups (Điều 10.2.đ), with Debian's restic.

Each complete backup of ``backup_dir`` that verifies against its MANIFEST and is not in the
repository yet becomes one restic snapshot tagged ``hymail`` and ``backup=<name>``, taken
from ``backup_dir`` so that a restore gives back ``<target>/<name>/`` as it was. The
repository's password is a file on the host (0600, its owner alone, made here once with
``secrets``): it is never passed in the environment, on a command line or in a message, and
the operator keeps a copy of it off the host (without it the copies cannot be read).

Messages here are the operator's (English): only the operator runs and reads them.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess

from .archive import complete, verify

TAG = "hymail"
NAME_TAG = "backup="
RESTIC = "restic"
TIMEOUT = 6 * 3600.0  # one copy of a large backup over a slow link


class OffsiteError(Exception):
    """An off-host copy that could not be made, checked or restored (operator's English)."""


def ensure_password_file(path: str) -> bool:
    """The repository's password file: made (0600, random, 256 bits) when absent; refused
    when another user than its owner may read it. Returns True when it was made now."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return True
    if not stat.S_ISREG(info.st_mode):
        raise OffsiteError(f"the restic password file {path} is not a regular file")
    if info.st_mode & 0o077 or info.st_uid != os.geteuid():
        raise OffsiteError(f"the restic password file {path} must be {os.geteuid()}'s and "
                           f"mode 0600 (it is {info.st_uid}'s, mode "
                           f"{stat.S_IMODE(info.st_mode):04o}): chmod 0600 it")
    return False


class Repository:
    """One restic repository, opened with the password file (never the password)."""

    def __init__(self, repository: str, password_file: str, restic: str = RESTIC,
                 cache_dir: str | None = None):
        if not repository:
            raise OffsiteError("no off-host repository is set "
                               "(mailserver_backup_offsite_repository)")
        self.repository, self.password_file = repository, password_file
        self.restic, self.cache_dir = restic, cache_dir

    def run(self, *args: str, cwd: str | None = None, check: bool = True
            ) -> subprocess.CompletedProcess:
        argv = [self.restic, "--repo", self.repository, "--password-file", self.password_file,
                "--quiet"]
        if self.cache_dir:
            argv += ["--cache-dir", self.cache_dir]
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("RESTIC_")}  # only this repository and this password
        try:
            done = subprocess.run(argv + list(args), cwd=cwd, env=env, text=True,
                                  capture_output=True, timeout=TIMEOUT, check=False)
        except FileNotFoundError as error:
            raise OffsiteError(f"restic is not installed ({error.filename}): apt install "
                               f"restic (the role installs it when the repository is set)"
                               ) from error
        if check and done.returncode != 0:
            raise OffsiteError(f"restic {args[0]} on {self.repository} exited "
                               f"{done.returncode}: {_tail(done.stderr)}")
        return done

    def ensure(self) -> bool:
        """The repository exists (made now with the password file when it does not): True
        when it was made. A repository that exists with another password is an error."""
        if self.run("cat", "config", check=False).returncode == 0:
            return False
        made = self.run("init", check=False)
        if made.returncode != 0:
            raise OffsiteError(f"restic cannot open or create the repository "
                               f"{self.repository} (a wrong password file, or unreachable): "
                               f"{_tail(made.stderr)}")
        return True

    def copied(self) -> dict[str, str]:
        """The backups the repository holds: backup name -> snapshot id."""
        listed = json.loads(self.run("snapshots", "--json", "--tag", TAG).stdout or "[]")
        found = {}
        for snapshot in listed or []:
            for tag in snapshot.get("tags") or []:
                if tag.startswith(NAME_TAG):
                    found[tag[len(NAME_TAG):]] = snapshot["id"]
        return found

    def copy(self, backup_dir: str, name: str) -> None:
        self.run("backup", "--tag", TAG, "--tag", NAME_TAG + name, name, cwd=backup_dir)

    def check(self) -> None:
        self.run("check")

    def restore(self, name: str, target: str) -> str:
        """Restore the copy of backup ``name`` into ``target`` (``<target>/<name>``)."""
        snapshot = self.copied().get(name)
        if snapshot is None:
            raise OffsiteError(f"the repository {self.repository} has no copy of backup "
                               f"{name}")
        os.makedirs(target, mode=0o700, exist_ok=True)
        self.run("restore", snapshot, "--target", target)
        return os.path.join(target, name)


def copy_verified(repository: Repository, backup_dir: str) -> dict:
    """Copy every complete backup not in the repository yet, once it verifies; a backup that
    does not verify is not copied (and named). Returns copied, already there, refused."""
    repository.ensure()
    there = repository.copied()
    copied, refused = [], []
    for name in complete(backup_dir):
        if name in there:
            continue
        checked = verify(os.path.join(backup_dir, name))
        if not checked.ok:
            refused.append(name)
            continue
        repository.copy(backup_dir, name)
        copied.append(name)
    return {"copied": copied, "present": sorted(there), "refused": refused}


def restore_verified(repository: Repository, name: str, target: str) -> dict:
    """Restore backup ``name`` from the repository into ``target`` and verify it against its
    MANIFEST; ``make restore ARGS="-e backup_dir=<target> -e backup_name=<name>"`` can use
    it then."""
    path = repository.restore(name, target)
    checked = verify(path)
    if not checked.ok:
        raise OffsiteError(f"the copy of backup {name} restored into {path} does not match "
                           f"its MANIFEST: {checked.summary()}")
    return {"path": path, "files": checked.files, "bytes": checked.bytes}


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in (text or "").strip().splitlines()[-lines:])
