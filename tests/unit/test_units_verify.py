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
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "roles" / "mailserver" / "templates"
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

PLAYBOOK = """
- name: Render the role's units
  hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
    mailserver_service_manager: systemd
  vars_files:
    - {root}/playbooks/group_vars/all.yml
    - {root}/roles/mailserver/defaults/main.yml
    - {root}/roles/mailserver/vars/main.yml
  tasks:
    - name: Render each unit and drop-in
      ansible.builtin.template:
        src: {templates}/{{{{ item.template }}}}
        dest: {out}/{{{{ item.dest }}}}
        mode: "0644"
      loop: {items}
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("units")
    items = [{"template": template, "dest": unit} for unit, template in UNITS.items()]
    for unit, template in DROPINS.items():
        (out / f"{unit}.d").mkdir()
        items.append({"template": template, "dest": f"{unit}.d/hymail.conf"})
    playbook = out.parent / "render.yml"
    playbook.write_text(PLAYBOOK.format(root=ROOT, templates=TEMPLATES, out=out, items=items))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}:{env.get('PATH', '')}"
    result = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                             str(playbook)], cwd=ROOT, env=env, text=True,
                            capture_output=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
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
