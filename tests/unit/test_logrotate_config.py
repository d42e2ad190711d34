"""The log rotation the mailserver role writes (tasks/logs.yml, templates/logrotate/),
rendered by Ansible with the role's own defaults and vars in both modes: Debian's logrotate
accepts it (``logrotate -d``, a dry run that changes nothing), every log mailserverctl writes
is rotated, and the retention is mailserver_log_retention_days (README, "Logs").
"""

from __future__ import annotations

import pathlib
import pwd
import re
import shutil
import subprocess

import pytest
from helpers import render_role_templates

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "roles" / "mailserver" / "templates"
# A retention no default has: the rendered configuration must take it from the variable.
DAYS = 17

pytestmark = [pytest.mark.playbook,
              pytest.mark.skipif(shutil.which("logrotate") is None,
                                 reason="logrotate is not installed (make test-deps)")]

def render(tmp_path: pathlib.Path, manager: str, **extra) -> tuple[pathlib.Path, pathlib.Path]:
    """(the rendered configuration, its state_dir) for service manager ``manager``."""
    state_dir = tmp_path / f"state-{manager}"
    (state_dir / "log").mkdir(parents=True)
    (state_dir / "usage").mkdir(mode=0o711)
    (state_dir / "webmail" / "logs").mkdir(parents=True)
    out = tmp_path / f"logrotate-{manager}.conf"
    render_role_templates({"logrotate/hymail.conf.j2": out},
                          {"state_dir": str(state_dir), "mail_domain": "hungyen.gov.vn",
                           "mailserver_service_manager": manager, **extra})
    return out, state_dir


def rspamd_user() -> dict:
    """The role's rspamd user where it exists (rspamd installed), else root: logrotate -d
    refuses a `create` naming a user the machine does not have."""
    try:
        pwd.getpwnam("_rspamd")
        return {}
    except KeyError:
        return {"mailserver_rspamd_user": "root"}


def dry_run(config: pathlib.Path, tmp_path: pathlib.Path) -> str:
    """logrotate -d (nothing rotated, nothing run): its report; it must exit 0 and name no
    error."""
    result = subprocess.run(["logrotate", "-d", "--state", str(tmp_path / "status"),
                             str(config)], text=True, capture_output=True, timeout=60,
                            check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    complaints = [line for line in report.splitlines()
                  if line.startswith(("error:", "warning:"))
                  and "in debug mode does nothing" not in line]
    assert not complaints, report
    return report


def mailserverctl_logs() -> set[str]:
    """Every file under state_dir/log that mailserverctl or a server's configuration names."""
    names = set()
    for template in [TEMPLATES / "mailserverctl.j2", TEMPLATES / "main.cf.j2",
                     TEMPLATES / "dovecot.conf.j2", TEMPLATES / "rspamd" / "logging.inc.j2",
                     TEMPLATES / "web" / "nginx.conf.j2"]:
        names |= set(re.findall(r"/log/([\w.-]+\.log)", template.read_text("utf-8")))
    # start_detached "$PID" <name>.log: the programs whose output mailserverctl redirects.
    names |= set(re.findall(r"start_detached \"\$\w+\" ([\w.-]+\.log)",
                            (TEMPLATES / "mailserverctl.j2").read_text("utf-8")))
    return names


def test_embedded_rotation_is_accepted_and_covers_every_log(tmp_path):
    config, state_dir = render(tmp_path, "embedded", mailserver_log_retention_days=DAYS,
                               **rspamd_user())
    logs = mailserverctl_logs()
    assert {"postfix.log", "dovecot.log", "rspamd.log", "web.log"} <= logs, logs
    for name in logs:
        (state_dir / "log" / name).write_text("a line\n")
    (state_dir / "usage" / "mailbox-open.log").write_text("a line\n")
    report = dry_run(config, tmp_path)
    for name in logs:
        assert f"considering log {state_dir}/log/{name}" in report, (name, report)
    assert f"considering log {state_dir}/usage/mailbox-open.log" in report, report
    # The retention, as logrotate itself read it: once a day, DAYS rotations, DAYS days old.
    patterns = re.findall(r"rotating pattern: .*? after 1 days \((\d+) rotations\)", report)
    assert patterns and set(patterns) == {str(DAYS)}, report
    text = config.read_text("utf-8")
    assert text.count(f"maxage {DAYS}\n") == len(patterns), text
    assert "compress\n" in text and "delaycompress" not in text
    # The servers that keep their file open reopen it; the others are copied and truncated.
    for server in ("postfix", "dovecot", "rspamd", "nginx"):
        assert f"{state_dir}/bin/mailserverctl reopen-logs {server}\n" in text, server


def test_systemd_rotation_is_accepted_and_leaves_the_journal_alone(tmp_path):
    config, state_dir = render(tmp_path, "systemd", mailserver_log_retention_days=DAYS)
    (state_dir / "webmail" / "logs" / "errors.log").write_text("a line\n")
    (state_dir / "usage" / "mailbox-open.log").write_text("a line\n")
    report = dry_run(config, tmp_path)
    assert f"considering log {state_dir}/webmail/logs/errors.log" in report, report
    assert f"considering log {state_dir}/usage/mailbox-open.log" in report, report
    assert set(re.findall(r"after 1 days \((\d+) rotations\)", report)) == {str(DAYS)}, report
    # Dovecot reopens its usage record through its unit's own tool.
    assert "doveadm log reopen" in config.read_text("utf-8")
    # In systemd mode the servers log to the journal: nothing of state_dir/log is named.
    assert f"{state_dir}/log/" not in config.read_text("utf-8")


def test_the_default_retention_is_the_roles(tmp_path):
    defaults = (ROOT / "roles" / "mailserver" / "defaults" / "main.yml").read_text("utf-8")
    days = re.search(r"^mailserver_log_retention_days: (\d+)$", defaults, re.MULTILINE)
    assert days, "mailserver_log_retention_days has no default"
    config, _ = render(tmp_path, "embedded", **rspamd_user())
    assert f"rotate {days.group(1)}\n" in config.read_text("utf-8")
