"""No merge-request job executes a file of the merge request, and no secret leaves.

gitlab-ci-local runs the TARGET branch's definition (``--file``) with ``--cwd`` on a branch
whose every executable file (Makefile, requirements, ansible.cfg, .ansible-lint, plugins,
playbooks, inventory, pyproject.toml, .ci/, its own .gitlab-ci.yml) writes a marker and
prints the environment; every CI/CD variable holds a canary. No marker may appear, no canary
may be in any log, artifact or note, and the policy refuses the branch with HP040.
A reviewer as GITLAB_USER_LOGIN does not change the clerk's verdict.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.reconcile import state_digest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.snapshot import document
from gitlab_fake import FakeGitLab

pytestmark = [pytest.mark.pipeline, pytest.mark.playbook]
MR_JOBS = ("lint", "validate", "policy", "plan", "plan-note")
DOMAIN = "hungyen.gov.vn"


def empty_snapshot() -> bytes:
    """The snapshot an apply on an empty server publishes (build/snapshot.json of job apply)."""
    snapshot = document(DOMAIN, {}, {}, state_digest({}), None, "2026-12-06T02:00:00+00:00")
    return json.dumps(snapshot).encode()


def payload(markers: pathlib.Path, name: str) -> str:
    """A shell line that leaves a marker and prints the whole environment."""
    return f"touch {markers}/{name}; env; env > {markers}/{name}.env"


def python_payload(markers: pathlib.Path, name: str) -> str:
    return (f"\nimport os as _o, sys as _s\nopen('{markers}/{name}', 'w').write(str(_o.environ))"
            "\nprint(dict(_o.environ), file=_s.stderr)\n")


def hostile_files(markers: pathlib.Path) -> dict[str, tuple[str, str]]:
    """path -> (text, mode 'a' append or 'w' replace): each tries to run and leak."""
    shell = lambda name: payload(markers, name)  # noqa: E731
    return {
        "Makefile": (f"$(shell {shell('makefile')})\n", "w_prepend"),
        "requirements.txt": ("./.ci/evil\n", "a"),
        ".ci/evil/setup.py": (python_payload(markers, "requirements") +
                              "from setuptools import setup\nsetup(name='evil')\n", "w"),
        ".ci/run": (f"#!/bin/sh\n{shell('ci-run')}\n", "w"),
        "ansible.cfg": ("\n[defaults]\ncallback_plugins = .ci/callbacks\n"
                        "callbacks_enabled = evil\n", "a"),
        ".ci/callbacks/evil.py": (python_payload(markers, "callback"), "w"),
        ".ansible-lint": ("rulesdir: [.ci/rules]\n", "w"),
        ".ci/rules/evil.py": (python_payload(markers, "ansible-lint"), "w"),
        "plugins/module_utils/change_request/policy.py": (python_payload(markers, "policy"), "a"),
        "plugins/modules/mailbox_policy.py": (python_payload(markers, "module"), "a"),
        "plugins/filter/naming.py": (python_payload(markers, "filter"), "a"),
        "playbooks/policy.yml": ("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                 f"    - ansible.builtin.shell: \"{shell('playbook')}\"\n", "w"),
        "inventory/local/hosts.yml": (
            "all:\n  vars:\n    evil: \"{{ lookup('ansible.builtin.pipe', '"
            f"{shell('inventory')}') }}}}\"\n", "a"),
        "pyproject.toml": ('\n[tool.pytest.ini_options]\naddopts = "-p evil"\n', "a"),
        ".gitlab-ci.yml": (f"evil:\n  script:\n    - {shell('branch-ci')}\n", "w"),
    }


def write_hostile(repo, markers: pathlib.Path) -> list[str]:
    for path, (text, mode) in hostile_files(markers).items():
        target = repo.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.read_text("utf-8") if target.exists() else ""
        new = {"a": old + text, "w": text, "w_prepend": text + old}[mode]
        target.write_text(new, "utf-8")
        if path == ".ci/run":
            target.chmod(0o755)
    return list(hostile_files(markers))


def canaries() -> dict[str, str]:
    """A canary in every CI/CD variable (the privacy key must be 32 bytes of hex)."""
    values = {name: f"CANARY{secrets.token_hex(8)}" for name in (
        "HYMAIL_GITLAB_READ_TOKEN", "HYMAIL_GITLAB_NOTE_TOKEN", "HYMAIL_SSH_KEY",
        "HYMAIL_SSH_KEY_READONLY", "HYMAIL_CANARY", "CI_JOB_TOKEN")}
    return values | {"HYMAIL_PRIVACY_KEY": secrets.token_hex(32)}


def run_merge_request(repo, gitlab, variables, target_ci, author="vanthu-anvien",
                      triggered_by="vanthu-anvien"):
    head = repo.git("rev-parse", "HEAD")
    gitlab.merge_request(5, author, repo.git("rev-parse", "--abbrev-ref", "HEAD"))
    gitlab.push(5, author, head, "2026-12-06T03:00:00Z")
    return repo.pipeline("--file", target_ci, *MR_JOBS, variables={
        "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "5",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_SHA": head, "GITLAB_USER_LOGIN": triggered_by,
        "CI_API_V4_URL": gitlab.api_url, "CI_PROJECT_ID": gitlab.project,
        "HYMAIL_CI_CACHE": str(repo.ci_cache), **variables})


def test_no_branch_file_runs_and_no_canary_leaks(data_repo, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    target_ci = data_repo.target_definition()
    data_repo.prepare_ci()
    data_repo.git("checkout", "-q", "-b", "doc-hai")
    paths = write_hostile(data_repo, markers)
    data_repo.git("add", "-A")
    data_repo.git("commit", "-q", "-m", "Mã độc trong mọi tệp thực thi")
    values = canaries()
    with FakeGitLab(token=values["HYMAIL_GITLAB_NOTE_TOKEN"],
                    read_token=values["HYMAIL_GITLAB_READ_TOKEN"],
                    job_token=values["CI_JOB_TOKEN"]) as gitlab:
        gitlab.branch_artifacts[("main", "apply", "build/snapshot.json")] = empty_snapshot()
        result = run_merge_request(data_repo, gitlab, values, target_ci)
        notes = [n["body"] for n in gitlab.notes.get("5", [])]
    output = result.stdout + result.stderr
    assert sorted(os.listdir(markers)) == [], output[-4000:]
    assert "HP040" in output and re.search(r"FAIL +policy", output), output[-6000:]
    for job in ("lint", "validate", "plan", "plan-note"):  # trusted code on the data: green
        assert re.search(rf"PASS +{job}\b", output), output[-6000:]
    assert notes and "Kế hoạch" in notes[0], "the plan note was not posted"
    # the reviewers see the code the branch carries in the plan itself (HP040's paths)
    assert "THAY ĐỔI NGOÀI DỮ LIỆU HỘP THƯ" in notes[0] and "> - `Makefile`" in notes[0]
    for path in ("Makefile", "requirements.txt", "plugins/modules/mailbox_policy.py"):
        assert path in output, f"HP040 does not name {path}"
    leaks = [(name, where) for name, value in values.items()
             for where, text in _everything(data_repo, output, notes) if value in text]
    assert not leaks, leaks
    assert len(paths) >= 10


def _everything(repo, output: str, notes: list[str]):
    """(where, text) of every log, artifact and note the pipeline left."""
    yield "gitlab-ci-local output", output
    for index, body in enumerate(notes):
        yield f"note {index}", body
    ci = repo.path / ".gitlab-ci-local"
    for top in (ci / "output", ci / "artifacts", repo.path / "build"):
        for path in sorted(top.rglob("*")) if top.exists() else ():
            if path.is_file():
                yield str(path), path.read_text("utf-8", "replace")


def test_a_reviewer_retrying_the_job_does_not_change_the_clerks_verdict(data_repo):
    target_ci = data_repo.target_definition()
    data_repo.prepare_ci()
    data_repo.git("checkout", "-q", "-b", "sua-tienlu")
    path = data_repo.path / "mailboxes" / "tienlu.yml"
    path.write_text(path.read_text("utf-8").replace("Chánh Văn phòng", "Phó Chánh Văn phòng"),
                    "utf-8")
    data_repo.git("commit", "-q", "-am", "Sửa tệp của huyện Tiên Lữ")
    with FakeGitLab() as gitlab:
        variables = {"HYMAIL_GITLAB_READ_TOKEN": gitlab.read_token,
                     "CI_JOB_TOKEN": gitlab.job_token}
        result = data_repo.pipeline(
            "--file", target_ci, "policy", variables={
            **_mr_variables(data_repo, gitlab), **variables,
            "GITLAB_USER_LOGIN": "pheduyet-sotttt"})
    output = result.stdout + result.stderr
    assert "HP010" in output and "vanthu-anvien" in output, output[-6000:]


def _mr_variables(repo, gitlab) -> dict:
    head = repo.git("rev-parse", "HEAD")
    gitlab.merge_request(6, "vanthu-anvien", "sua-tienlu")
    gitlab.push(6, "vanthu-anvien", head, "2026-12-06T03:00:00Z")
    return {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "6",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_DEFAULT_BRANCH": "main",
            "CI_COMMIT_SHA": head, "CI_API_V4_URL": gitlab.api_url,
            "CI_PROJECT_ID": gitlab.project, "HYMAIL_CI_CACHE": str(repo.ci_cache)}
