"""A throwaway copy of this checkout as a git repository, and gitlab-ci-local to run its
``.gitlab-ci.yml`` (shell executor): shared by tests/pipeline/ (the embedded mail server)
and tests/host/test_60_pipeline.py (the Debian 12 test host over SSH)."""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
GCL = ROOT / ".ci" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
# HYMAIL_PIPELINE_SMTP_PORT etc. move them again (two test runs on one machine).
PORTS = {f"HYMAIL_{name}_PORT": os.environ.get(f"HYMAIL_PIPELINE_{name}_PORT", default)
         for name, default in (("SMTP", "13525"), ("IMAP", "13143"), ("SUBMISSION", "13587"),
                               ("SUBMISSIONS", "13465"), ("IMAPS", "13993"), ("RELAY", "13526"),
                               ("WEB", "13080"),
                               ("DOVECOT_METRICS", "13166"), ("POSTFIX_EXPORTER", "13154"),
                               ("NODE_EXPORTER", "13100"))}
MODULE_UTILS = "ansible_collections.hungyen.mail.plugins.module_utils"
SKIPPED = ("mailboxes/", "approvals/", "CODEOWNERS", ".ci/gitlab-ci-local/node_modules/")


class Repo:
    """The throwaway repository, its mail server and the way to run its pipeline."""

    def __init__(self, path: pathlib.Path, state_dir: str):
        self.path, self.state_dir = path, state_dir
        self.env = dict(os.environ, HYMAIL_VENV=str(ROOT / ".venv"), HYMAIL_STATE_DIR=state_dir,
                        **PORTS)
        self.env["PATH"] = f"{pathlib.Path(sys.executable).parent}:{self.env['PATH']}"
        for name in ("ANSIBLE_CONFIG", "VIRTUAL_ENV", "HYMAIL_GITLAB_NOTE_TOKEN",
                     "HYMAIL_GITLAB_READ_TOKEN", "GITLAB_USER_LOGIN"):
            self.env.pop(name, None)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True,
                              check=True)
        return done.stdout.strip()

    def make(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["make", *args], cwd=self.path, env=self.env, text=True,
                              capture_output=True, timeout=1200, check=False)

    def pipeline(self, *args: str, variables: dict | None = None) -> subprocess.CompletedProcess:
        """One gitlab-ci-local run; ``variables`` are CI variables (--variable)."""
        command = [str(GCL), "--shell-isolation", "--no-json-schema-validation", "--no-color",
                   "--no-artifacts-to-source", "--home", str(self.path.parent / "gcl-home"),
                   "--ignore-predefined-vars", ",".join(variables or {})]
        for key, value in (variables or {}).items():
            command += ["--variable", f"{key}={value}"]
        return subprocess.run(command + list(args), cwd=self.path, env=self.env, text=True,
                              capture_output=True, timeout=1200, check=False)

    def artifact(self, job: str, path: str) -> pathlib.Path:
        return self.path / ".gitlab-ci-local" / "artifacts" / job / path

    @property
    def ci_cache(self) -> pathlib.Path:
        """HYMAIL_CI_CACHE: trusted trees and venvs, outside the checkout."""
        return self.path.parent / "ci-cache"

    def prepare_ci(self) -> None:
        """An ``origin`` to fetch the target branch from, and the venv of the trusted
        requirements under its hash: the test's own .venv (no PyPI in the tests)."""
        if "origin" not in self.git("remote").split():
            self.git("remote", "add", "origin", str(self.path))
        digest = hashlib.sha256((self.path / "requirements.txt").read_bytes()).hexdigest()[:16]
        self.ci_cache.mkdir(exist_ok=True)
        link = self.ci_cache / f"venv-{digest}"
        if not link.exists():
            link.symlink_to(self.env["HYMAIL_VENV"])

    def target_definition(self, branch: str = "main") -> str:
        """The target branch's .gitlab-ci.yml outside the checkout, as ``--file`` takes it."""
        path = self.path.parent / f"gitlab-ci-{branch}.yml"
        path.write_text(self.git("show", f"{branch}:.gitlab-ci.yml") + "\n", "utf-8")
        return os.path.relpath(path, self.path)


GOOD = ROOT / "tests" / "fixtures" / "good"


def copy_checkout(target: pathlib.Path, province: pathlib.Path = GOOD,
                  files: dict[str, str] | None = None) -> None:
    """The checkout's files (tracked and new, not ignored) with ``province``'s agency files
    (the test province; never the real one unless asked) and ``files`` in mailboxes/."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if name.startswith(SKIPPED) or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    (target / "mailboxes").mkdir()
    for path in province.glob("*.yml"):
        shutil.copy2(path, target / "mailboxes" / path.name)
    for name, text in (files or {}).items():
        (target / "mailboxes" / name).write_text(text, "utf-8")
    shutil.copy2(ROOT / "approvals" / "README.md", target / "approvals" / "README.md")


def initial_commit(repository: Repo, province: pathlib.Path = GOOD,
                   files: dict[str, str] | None = None) -> None:
    """The copy of the checkout with the test province, committed on ``main``."""
    copy_checkout(repository.path, province, files)
    subprocess.run([sys.executable, "-m", f"{MODULE_UTILS}.change_request.policy_cli", "codeowners",
                    "--write",
                    "--root", str(repository.path)], check=True, capture_output=True,
                   env=dict(os.environ, PYTHONPATH=str(ROOT / ".collections")))
    repository.git("init", "-q", "-b", "main")
    repository.git("config", "user.email", "ci@hungyen.gov.vn")
    repository.git("config", "user.name", "CI")
    repository.git("add", "-A")
    repository.git("commit", "-q", "-m", "Tỉnh thử nghiệm")
