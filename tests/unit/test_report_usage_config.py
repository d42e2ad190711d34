"""The usage records in the role's Dovecot configuration (issue 17, part 5), rendered by
Ansible with the role's defaults and vars and read back by the real doveconf: the last_login
plugin for IMAP only (not LMTP: a delivery is not a use), its dict one file per account
under <state_dir>/usage/, and the debug log restricted to the openings of shared folders."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
from helpers import render_role_templates

pytestmark = [pytest.mark.playbook,
              pytest.mark.skipif(shutil.which("doveconf") is None, reason="no Dovecot")]

@pytest.fixture(name="rendered", scope="module")
def fixture_rendered(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("usage")
    render_role_templates({"dovecot.conf.j2": out / "dovecot.conf"},
                          {"state_dir": f"{out}/state", "operator_mailbox": "sotttt",
                           "operator": {"short_name": "Sở TTTT"}})
    return out


def doveconf(rendered: pathlib.Path, *args: str) -> str:
    result = subprocess.run(["doveconf", "-c", str(rendered / "dovecot.conf"), *args],
                            text=True, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    return result.stdout.strip()


def test_last_login_for_imap_only(rendered):
    assert "last_login" in doveconf(rendered, "-f", "protocol=imap", "-h",
                                    "mail_plugins").split()
    assert "last_login" not in doveconf(rendered, "-f", "protocol=lmtp", "-h",
                                        "mail_plugins").split()


@pytest.mark.parametrize(("setting", "value"), [
    ("plugin/last_login_dict", "fs:posix:prefix={state}/usage/"),
    ("plugin/last_login_key", "last-login/%u"),
    ("debug_log_path", "{state}/usage/mailbox-open.log"),
    ("log_debug", 'event=imap_command_finished AND (cmd_name=SELECT OR cmd_name=EXAMINE) '
                  'AND tagged_reply_state=OK AND cmd_args="*shared/*"'),
    ("mail_debug", "no"),  # nothing else goes to the debug log
    ("auth_debug", "no"),
])
def test_usage_settings(rendered, setting, value):
    assert doveconf(rendered, "-h", setting) == value.format(state=f"{rendered}/state")
