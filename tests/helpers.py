"""Shared test helpers: paths of the repository and the loading of YAML case tables."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "agency.schema.json"


def case_table(name: str) -> list:
    """Rows of a YAML case table beside the tests, as pytest params with their ids."""
    rows = yaml.safe_load((pathlib.Path(__file__).parent / "unit" / name).read_text("utf-8"))
    return [pytest.param(row, id=row["id"]) for row in rows]


def stop_server(state_dir: str) -> None:
    """Stop a test mail server and remove its state (kept with HYMAIL_E2E_KEEP=1)."""
    ctl = pathlib.Path(state_dir, "bin", "mailserverctl")
    if ctl.exists():
        subprocess.run([str(ctl), "stop"], capture_output=True, timeout=180, check=False)
    if not os.environ.get("HYMAIL_E2E_KEEP"):
        shutil.rmtree(state_dir, ignore_errors=True)


RENDER_PLAYBOOK = """
- name: Render templates of the mailserver role
  hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  vars_files:
    - ROOT/playbooks/group_vars/all.yml
    - ROOT/roles/mailserver/defaults/main.yml
    - ROOT/roles/mailserver/vars/main.yml
  tasks:
    - name: Render each template
      ansible.builtin.template:
        src: "{{ item.src }}"
        dest: "{{ item.dest }}"
        mode: "0644"
      loop: "{{ render_items }}"
"""


def render_role_templates(templates: dict[str, pathlib.Path], variables: dict) -> None:
    """Render roles/mailserver/templates/<name> (a path under it, ``.j2`` included) to each
    destination with Ansible, the role's defaults and vars loaded as the role loads them and
    ``variables`` as extra vars above them (state_dir, the service manager, ...)."""
    import json
    import sys
    import tempfile

    folder = ROOT / "roles" / "mailserver" / "templates"
    items = [{"src": str(folder / name), "dest": str(dest)} for name, dest in templates.items()]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}:{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory(prefix="render-") as scratch:
        playbook = pathlib.Path(scratch, "render.yml")
        playbook.write_text(RENDER_PLAYBOOK.replace("ROOT/", f"{ROOT}/"))
        result = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                                 json.dumps({**variables, "render_items": items}),
                                 str(playbook)], cwd=ROOT, env=env, text=True,
                                capture_output=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
