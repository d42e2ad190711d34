"""The systemd units and drop-ins the mailserver role writes (systemd mode), rendered by
Ansible with the role's own defaults and vars, pass ``systemd-analyze verify`` without a
single complaint about them: a misspelt key or a bad value is only a warning to systemd,
which would then run the service without it (a hardening line silently lost).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest
from helpers import render_role_templates

# The role's whole units (tasks/web.yml).
UNITS = {"hymail-password.service": "web/hymail-password.service.j2",
         "hymail-web.service": "web/hymail-web.service.j2"}
# Drop-ins of Debian's units (tasks/units.yml): verified with the unit they change.
DROPINS = {"postfix@-.service": "postfix.service.conf.j2",
           "dovecot.service": "dovecot.service.conf.j2",
           "rspamd.service": "rspamd.service.conf.j2",
           "policyd-rate-limit.service": "policyd-rate-limit.service.conf.j2",
           "nginx.service": "web/nginx.service.conf.j2"}
DEBIAN_UNITS = pathlib.Path("/lib/systemd/system")

pytestmark = [pytest.mark.playbook,
              pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                 reason="systemd-analyze is not installed")]

@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("units")
    templates = {template: out / unit for unit, template in UNITS.items()}
    for unit, template in DROPINS.items():
        (out / f"{unit}.d").mkdir()
        templates[template] = out / f"{unit}.d" / "hymail.conf"
    render_role_templates(templates, {"mailserver_service_manager": "systemd"})
    return out


def verify(directory: pathlib.Path, *units: str) -> subprocess.CompletedProcess:
    """systemd-analyze verify with ``directory`` first in the unit path (then the system's)."""
    env = dict(os.environ, SYSTEMD_UNIT_PATH=f"{directory}:")
    # --man=no: Documentation= man pages are not the units' business (and man fails under
    # faketime, where the unit tests run a second time).
    return subprocess.run(["systemd-analyze", "verify", "--man=no", *units], cwd=directory, env=env,
                          text=True, capture_output=True, timeout=120, check=False)


def complaints(result: subprocess.CompletedProcess, directory: pathlib.Path) -> list[str]:
    """The lines of verify's output about the rendered files."""
    return [line for line in (result.stdout + result.stderr).splitlines()
            if str(directory) in line or line.startswith("hymail-")]


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_the_roles_own_units_verify(rendered, unit):
    result = verify(rendered, f"./{unit}")
    assert result.returncode == 0 and not complaints(result, rendered), \
        result.stdout + result.stderr


@pytest.mark.parametrize("unit", sorted(DROPINS))
def test_the_drop_ins_verify_with_debians_unit(rendered, unit):
    base = unit.replace("@-", "@")
    if not (DEBIAN_UNITS / base).exists():
        pytest.skip(f"{base} is not installed here (the mail packages: make mailserver)")
    result = verify(rendered, unit)
    assert result.returncode == 0 and not complaints(result, rendered), \
        result.stdout + result.stderr


def test_a_bad_line_is_caught(rendered, tmp_path):
    """The check is not blind: a misspelt hardening key in a copy is a complaint."""
    text = (rendered / "hymail-web.service").read_text()
    (tmp_path / "hymail-web.service").write_text(
        text.replace("ProtectSystem=strict", "ProtectSystem=stritc"))
    assert complaints(verify(tmp_path, "./hymail-web.service"), tmp_path)
