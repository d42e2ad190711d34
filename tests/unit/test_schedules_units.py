"""The role's schedules (issue 17 part 3, tasks/schedules.yml): the backup command and the
timers' units, rendered by Ansible with the role's defaults and vars in systemd mode, pass
``systemd-analyze verify`` without a complaint; the timers run what the daily backup and the
weekly verification must, and the command line the units run is one the host-side command
accepts (module_utils/backup/cli.py).
"""

from __future__ import annotations

import configparser
import pathlib
import shlex
import shutil

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backup import cli
from helpers import render_role_templates
from test_units_verify import complaints, verify

UNITS = ("hymail-backup.service", "hymail-backup.timer", "hymail-backup-verify.service",
         "hymail-backup-verify.timer")

pytestmark = [pytest.mark.playbook]

def render(out: pathlib.Path, repository: str = "") -> pathlib.Path:
    # Extra vars: above the role's defaults (which set the embedded mode).
    render_role_templates({f"schedules/{name}.j2": out / name
                           for name in (*UNITS, "hymail-backup")},
                          {"mailserver_service_manager": "systemd",
                           "state_dir": "/var/lib/hymail", "mail_domain": "hungyen.gov.vn",
                           "mailserver_backup_offsite_repository": repository})
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> pathlib.Path:
    return render(tmp_path_factory.mktemp("schedules"))


@pytest.fixture(scope="module")
def rendered_offsite(tmp_path_factory) -> pathlib.Path:
    return render(tmp_path_factory.mktemp("schedules-offsite"), "sftp:backup@nas:/hymail")


def unit(path: pathlib.Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(path)
    return parser


def exec_argv(path: pathlib.Path) -> list[str]:
    return shlex.split(unit(path)["Service"]["ExecStart"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
@pytest.mark.parametrize("name", UNITS)
def test_every_schedule_unit_verifies(rendered, name):
    result = verify(rendered, f"./{name}")
    assert result.returncode == 0 and not complaints(result, rendered), \
        result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_a_bad_timer_is_caught(rendered, tmp_path):
    """The check is not blind: a calendar systemd cannot read is a complaint."""
    for name in UNITS:
        shutil.copy(rendered / name, tmp_path / name)
    text = (rendered / "hymail-backup.timer").read_text()
    (tmp_path / "hymail-backup.timer").write_text(
        text.replace("OnCalendar=*-*-* 02:00:00", "OnCalendar=*-*-* 26:00:00"))
    result = verify(tmp_path, "./hymail-backup.timer")
    assert result.returncode != 0 or complaints(result, tmp_path)


def test_the_timers_are_persistent_randomized_and_start_their_service(rendered):
    daily = unit(rendered / "hymail-backup.timer")
    weekly = unit(rendered / "hymail-backup-verify.timer")
    assert daily["Timer"]["OnCalendar"] == "*-*-* 02:00:00 Asia/Ho_Chi_Minh"
    assert weekly["Timer"]["OnCalendar"].startswith("Sun ")
    for timer, service in ((daily, "hymail-backup.service"),
                           (weekly, "hymail-backup-verify.service")):
        assert timer["Timer"]["Persistent"] == "true"
        assert timer["Timer"]["RandomizedDelaySec"] == "30min"
        assert timer["Timer"]["Unit"] == service
        assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_units_run_the_host_command_with_debians_python(rendered):
    for name in ("hymail-backup.service", "hymail-backup-verify.service"):
        service = unit(rendered / name)["Service"]
        argv = exec_argv(rendered / name)
        assert argv[:3] == ["/usr/bin/python3", "-m",
                            "ansible_collections.hungyen.mail.plugins.module_utils.backup.cli"]
        assert "PYTHONPATH=/var/lib/hymail/lib" in service["Environment"]
        assert service["Type"] == "oneshot" and service["UMask"] == "0077"
    backup = cli.parse_args(exec_argv(rendered / "hymail-backup.service")[3:])
    assert (backup.command, backup.state_dir, backup.domain) == \
        ("backup", "/var/lib/hymail", "hungyen.gov.vn")
    assert backup.backup_dir == "/var/lib/hymail/backups"
    assert backup.postfix_config_dir == "/etc/postfix"
    assert (backup.keep, backup.keep_days) == (7, 30)
    assert backup.offsite_repository == ""  # empty: no off-host copy
    verify_all = cli.parse_args(exec_argv(rendered / "hymail-backup-verify.service")[3:])
    assert (verify_all.command, verify_all.backup) == ("verify", "all")


def test_the_command_the_tests_run_is_the_units_command(rendered):
    """The script (what the tests and the operator run) execs the units' argv, minus the
    subcommand: one command line, not two."""
    script = (rendered / "hymail-backup").read_text()
    line = next(line for line in script.splitlines() if line.startswith("exec "))
    argv = shlex.split(line)[1:-1]
    assert shlex.split(line)[-1] == "$@"
    assert argv + ["backup"] == exec_argv(rendered / "hymail-backup.service")
    assert argv + ["verify", "--backup", "all"] == \
        exec_argv(rendered / "hymail-backup-verify.service")
    assert "PYTHONPATH=/var/lib/hymail/lib" in script


def test_the_repository_the_inventory_names_reaches_the_command(rendered_offsite):
    args = cli.parse_args(exec_argv(rendered_offsite / "hymail-backup.service")[3:])
    assert args.offsite_repository == "sftp:backup@nas:/hymail"
    assert args.offsite_password_file == "/var/lib/hymail/etc/backup-offsite.password"
    text = "".join(path.read_text() for path in rendered_offsite.iterdir())
    assert "RESTIC_PASSWORD=" not in text  # the password stays in its file
