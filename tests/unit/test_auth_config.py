"""The login path of the role's Dovecot configuration (issue 16, part 2; docs/mailserver.md,
"Login storms"), rendered by Ansible with the role's defaults and vars and read back by the
real doveconf: the passdbs in their order (deny, must-change, then the Lua check in the auth
workers, the only cacheable one), the in-memory cache with no negative entries, and the
webmail's host as the only network whose IMAP ID is believed."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest
from helpers import render_role_templates

pytestmark = [pytest.mark.playbook,
              pytest.mark.skipif(shutil.which("doveconf") is None, reason="no Dovecot")]

@pytest.fixture(name="rendered", scope="module")
def fixture_rendered(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("auth")
    render_role_templates({"dovecot.conf.j2": out / "dovecot.conf",
                           "hymail-auth.lua.j2": out / "hymail-auth.lua"},
                          {"state_dir": f"{out}/state", "operator_mailbox": "sotttt",
                           "operator": {"short_name": "Sở TTTT"},
                           "mailserver_dovecot_conf": f"{out}/dovecot.conf"})
    return out


def doveconf(rendered: pathlib.Path, *args: str) -> str:
    result = subprocess.run(["doveconf", "-c", str(rendered / "dovecot.conf"), *args],
                            text=True, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_passdbs_in_order_and_only_the_last_one_cacheable(rendered):
    blocks = re.findall(r"^passdb \{\n(.*?)^\}", doveconf(rendered, "-P", "-n"), re.M | re.S)
    fields = [dict(line.strip().split(" = ", 1) for line in block.splitlines() if " = " in line)
              for block in blocks]
    assert [(f["driver"], f["args"].rsplit("/", 1)[-1]) for f in fields] == [
        ("passwd-file", "deny.passwd"), ("passwd-file", "must-change.passwd"),
        ("lua", "hymail-auth.lua blocking=yes cache_key=%u")]
    assert fields[0]["deny"] == "yes"
    assert fields[1]["result_success"] == "return-fail"
    assert fields[1].get("result_failure", "continue") == "continue"  # -n omits a default
    assert fields[2]["args"].startswith(f"file={rendered}/hymail-auth.lua ")


@pytest.mark.parametrize(("setting", "value"), [
    ("auth_cache_size", "32 M"),
    ("auth_cache_ttl", "1 hours"),
    ("auth_cache_negative_ttl", "0"),
    ("auth_cache_verify_password_with_worker", "no"),  # the cached SHA1 is cheap
    ("login_trusted_networks", "127.0.0.1/32 ::1/128"),
    ("service/auth-worker/process_limit", "4"),
    # The auth process's own cap on worker connections: above process_limit, the master
    # drops the connections past it and their requests fail (a burst of logins in test_crash)
    ("auth_worker_max_count", "4"),
])
def test_cache_and_workers(rendered, setting, value):
    assert doveconf(rendered, "-h", setting).strip() == value


def test_the_lua_check_reads_the_live_generation_and_returns_no_password(rendered):
    script = (rendered / "hymail-auth.lua").read_text(encoding="utf-8")
    assert f'"{rendered}/state/data/live/users.passwd"' in script
    assert "function auth_password_verify(req, password)" in script
    assert "req:password_verify(crypted, password)" in script
    assert "password=" not in script  # never a password field back to Dovecot
