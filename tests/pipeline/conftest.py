"""The GitLab pipeline run by gitlab-ci-local (shell executor) on a throwaway repository.

The repository is a copy of this checkout with the test province of tests/fixtures/good;
its own mail server runs from a temporary state dir on ports away from the developer's
(2525...) and the e2e tests' (12525...), chosen through the inventory's HYMAIL_* variables.
The repository and the way to run its pipeline: tests/pipeline_repo.py.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import pytest
from helpers import stop_server
from pipeline_repo import GCL, Repo, initial_commit


@pytest.fixture(scope="module")
def repo():
    """The repository at its base commit, with the base province applied to its server."""
    if not GCL.exists():
        pytest.fail(f"{GCL} is missing: run make test-deps")
    top = pathlib.Path(tempfile.mkdtemp(prefix="hymail-pipeline-"))
    state_dir = tempfile.mkdtemp(prefix="hymail-pipeline-state-")
    os.chmod(state_dir, 0o755)  # the vmail user walks into mail/ below it
    (top / "repo" / "approvals").mkdir(parents=True)
    repository = Repo(top / "repo", state_dir)
    try:
        initial_commit(repository)
        applied = repository.make("apply")
        assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-2000:]
        yield repository
    finally:
        stop_server(state_dir)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(name="data_repo")
def fixture_data_repo(tmp_path):
    """A throwaway repository at its base commit, no mail server (policy runs only)."""
    (tmp_path / "repo" / "approvals").mkdir(parents=True)
    repository = Repo(tmp_path / "repo", str(tmp_path / "state"))
    initial_commit(repository)
    return repository


