"""Scheduled backups and their off-host copies (issue 17 part 3; Điều 10.2.đ), on the real
Postfix + Dovecot of the session.

The local inventory has no systemd: the test runs the command the role installed,
``<state_dir>/bin/hymail-backup``, which execs the very command line the timers' units run
(tests/unit/test_schedules_units.py checks that they are one). It takes a verified backup,
restic (Debian's) copies it to a repository in tmp, and the copy restored from that
repository is the backup, byte for byte; the repository's password stays in its file.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import stat
import subprocess

import pytest
from e2e_support import mailbox

pytestmark = pytest.mark.server


@pytest.fixture(autouse=True)
def restic_present():
    """restic (Debian's; make test-deps installs it, the role too): a missing one skips the
    file outside CI and fails it in CI."""
    if shutil.which("restic") is None:
        message = "restic is not installed (make test-deps installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def backups_removed(server):
    """The backups this file's tests take go away after them: they hold every account's
    hash, and test_secrets scans the whole state directory of the session's server."""
    backups = server.state_dir / "backups"
    before = set(backups.iterdir()) if backups.is_dir() else set()
    yield
    for path in (set(backups.iterdir()) if backups.is_dir() else set()) - before:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


NAMES = ("osan", "osbinh")


def files(root: pathlib.Path) -> dict[str, tuple[str, int]]:
    """Every file below ``root``: sha256 and mode, by relative path."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                  stat.S_IMODE(path.stat().st_mode))
    return found


def hymail_backup(server, tmp_path: pathlib.Path, *args: str,
                  password_file: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    """The role's backup command, pointed at the test's restic repository."""
    script = server.state_dir / "bin" / "hymail-backup"
    assert os.access(script, os.X_OK), f"{script}: the role did not install it"
    offsite = ["--offsite-repository", str(tmp_path / "restic-repo"),
               "--offsite-password-file", str(password_file or tmp_path / "etc" / "pw"),
               "--restic-cache-dir", str(tmp_path / "restic-cache")]
    return subprocess.run([str(script), *offsite, *args], text=True, capture_output=True,
                          timeout=900, check=False)


def test_a_backup_copied_off_the_host_with_restic_is_restored_byte_for_byte(province,
                                                                          tmp_path):
    server = province.server
    province.declare(*(mailbox(local, "toffsite") for local in NAMES))
    province.run()
    for local in NAMES:
        server.send(local, f"ban sao ngoai may chu {local}")
    delivered = {local: server.delivered(local, f"ban sao ngoai may chu {local}")
                 for local in NAMES}

    taken = hymail_backup(server, tmp_path, "backup")
    assert taken.returncode == 0, taken.stdout + taken.stderr
    name = re.search(r"backup (\d{8}T\d{6}Z) taken and verified", taken.stdout).group(1)
    assert f"copied {name}" in taken.stdout, taken.stdout
    backup = server.state_dir / "backups" / name

    # The password: made on the host, 0600, in no output and nowhere in the repository.
    password_file = tmp_path / "etc" / "pw"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert len(password) >= 40
    assert password not in taken.stdout + taken.stderr
    for path in (tmp_path / "restic-repo").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path

    # The metrics textfile knows the backup (HymailNoVerifiedBackup reads it).
    prom = (server.state_dir / "metrics" / "hymail.prom").read_text()
    assert re.search(r"^hymail_backup_newest_verified_timestamp_seconds [1-9]", prom, re.M)

    restored = hymail_backup(server, tmp_path, "offsite-restore", "--backup", name,
                             "--target", str(tmp_path / "restored"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    copy = tmp_path / "restored" / name
    original = files(backup)
    assert original and files(copy) == original  # byte for byte, modes too
    for local, path in delivered.items():  # the delivered messages are in the copy
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert any(entry[0] == digest and f"/{local}/" in relative
                   for relative, entry in files(copy).items()), local

    # Copied once: the next run finds it in the repository; the weekly check passes.
    checked = hymail_backup(server, tmp_path, "verify", "--backup", "all")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "restic check" in checked.stdout and "no errors" in checked.stdout


def test_a_wrong_password_file_reads_nothing_and_fails(province, tmp_path):
    server = province.server
    taken = hymail_backup(server, tmp_path, "backup")
    assert taken.returncode == 0, taken.stdout + taken.stderr
    name = re.search(r"backup (\d{8}T\d{6}Z) taken", taken.stdout).group(1)
    other = tmp_path / "other" / "pw"
    failed = hymail_backup(server, tmp_path, "offsite-restore", "--backup", name,
                           "--target", str(tmp_path / "restored"), password_file=other)
    assert failed.returncode == 1
    assert "hymail-backup offsite-restore failed" in failed.stderr
    assert not (tmp_path / "restored" / name).exists()
