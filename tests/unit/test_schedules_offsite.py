"""The off-host copies' password file and restic's command lines (module_utils/backup/
offsite.py): the password is made on the host, private, and never leaves its file."""

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backup import cli, offsite


def test_the_password_file_is_made_once_private_and_random(tmp_path):
    path = tmp_path / "etc" / "backup-offsite.password"
    assert offsite.ensure_password_file(str(path)) is True
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first.strip()) >= 40
    assert offsite.ensure_password_file(str(path)) is False
    assert path.read_text() == first  # never replaced: the copies need this one
    other = tmp_path / "other.password"
    offsite.ensure_password_file(str(other))
    assert other.read_text() != first


def test_a_password_file_others_may_read_is_refused(tmp_path):
    path = tmp_path / "backup-offsite.password"
    path.write_text("x\n")
    os.chmod(path, 0o644)
    with pytest.raises(offsite.OffsiteError, match="0600"):
        offsite.ensure_password_file(str(path))


def test_restic_gets_the_file_never_the_password(tmp_path, monkeypatch):
    seen = {}

    def fake_run(argv, **kwargs):
        seen["argv"], seen["env"] = argv, kwargs["env"]
        raise FileNotFoundError(2, "not found", "restic")

    password = tmp_path / "pw"
    offsite.ensure_password_file(str(password))
    monkeypatch.setenv("RESTIC_PASSWORD", "leaked")
    monkeypatch.setattr(offsite.subprocess, "run", fake_run)
    with pytest.raises(offsite.OffsiteError, match="restic is not installed"):
        offsite.Repository("/srv/copies", str(password)).run("snapshots")
    assert seen["argv"][:5] == ["restic", "--repo", "/srv/copies", "--password-file",
                                str(password)]
    assert password.read_text().strip() not in " ".join(seen["argv"])
    assert not any(key.startswith("RESTIC_") for key in seen["env"])


def test_no_repository_means_no_off_host_copy(tmp_path, capsys):
    code = cli.main(["--state-dir", str(tmp_path), "--domain", "hungyen.gov.vn",
                     "offsite-password"])
    assert code == 0 and "mailserver_backup_offsite_repository is empty" in capsys.readouterr().out
    assert not (tmp_path / "etc").exists()


def test_a_failure_exits_1_with_the_coded_message(tmp_path, capsys):
    code = cli.main(["--state-dir", str(tmp_path), "--domain", "hungyen.gov.vn", "verify"])
    assert code == 1 and "HYB003" in capsys.readouterr().err


def test_the_weekly_verify_of_a_host_without_backups_yet_succeeds(tmp_path, capsys):
    """A new host before its first daily backup: nothing failed (HymailNoVerifiedBackup
    tells that there is no backup)."""
    code = cli.main(["--state-dir", str(tmp_path), "--domain", "hungyen.gov.vn",
                     "verify", "--backup", "all"])
    assert code == 0 and "no backup to verify yet" in capsys.readouterr().out
