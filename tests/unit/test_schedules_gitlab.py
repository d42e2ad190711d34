"""Which job a GitLab schedule runs (.gitlab-ci.yml, README "Operations"): the schedule's
HYMAIL_SCHEDULE variable chooses drift (also when unset: the schedules made before it) or
the monthly report; a push or a merge request runs neither. Evaluated by gitlab-ci-local's
own rules engine (--list), on a throwaway repository holding the definition."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GCL = ROOT / ".ci" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"

pytestmark = [pytest.mark.pipeline,
              pytest.mark.skipif(not GCL.exists() or shutil.which("git") is None,
                                 reason="gitlab-ci-local is not installed (make test-deps)")]


@pytest.fixture(scope="module")
def definition(tmp_path_factory) -> pathlib.Path:
    repo = tmp_path_factory.mktemp("gitlab-schedules")
    shutil.copy(ROOT / ".gitlab-ci.yml", repo / ".gitlab-ci.yml")
    git = ["git", "-C", str(repo), "-c", "user.email=ci@example.org", "-c", "user.name=ci"]
    subprocess.run(git[:3] + ["init", "-q", "-b", "main"], check=True)
    subprocess.run(git + ["add", ".gitlab-ci.yml"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "definition"], check=True)
    return repo


def jobs(repo: pathlib.Path, **variables: str) -> set[str]:
    args = [str(GCL), "--list"]
    for key, value in {"CI_DEFAULT_BRANCH": "main", **variables}.items():
        args += ["--variable", f"{key}={value}"]
    done = subprocess.run(args, cwd=repo, text=True, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout.split("needs", 1)[1] if "needs" in done.stdout else ""
    return set(re.findall(r"^(\S+)\s+", table.strip(), re.MULTILINE)) if table.strip() else set()


@pytest.mark.parametrize(("schedule", "expected"), [
    (None, {"drift"}), ("drift", {"drift"}), ("report", {"report"}), ("backup", set())])
def test_the_schedules_variable_chooses_the_job(definition, schedule, expected):
    variables = {"CI_PIPELINE_SOURCE": "schedule"}
    if schedule is not None:
        variables["HYMAIL_SCHEDULE"] = schedule
    assert jobs(definition, **variables) == expected


def test_a_push_to_the_default_branch_runs_neither(definition):
    found = jobs(definition, CI_PIPELINE_SOURCE="push", HYMAIL_SCHEDULE="report")
    assert "report" not in found and "drift" not in found and "apply" in found
