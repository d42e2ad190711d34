"""The pipeline of .gitlab-ci.yml, run for real by gitlab-ci-local: a merge request (lint,
validate, policy, plan, the plan note on a fake GitLab), its merge to main (apply, with the
reviewed plan fetched back), the scheduled drift report, and a merge request that policy
refuses. The steps share one repository and one mail server, in order."""

from __future__ import annotations

import email
import email.policy
import json
import pathlib
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitlab_note import MARKER
from gitlab_fake import FakeGitLab
from secrets_scan import REAL_HASH, Scanner, describe, repository_files

pytestmark = [pytest.mark.pipeline, pytest.mark.server, pytest.mark.playbook]
NEW_PERSON = """  - name: Nguyễn Thị Hoa
    title: Công chức Văn phòng - Thống kê
    request: {number: "15/UBND", date: "2026-11-20"}
"""
MR_JOBS = {"lint", "validate", "policy", "plan", "plan-note"}
CREDENTIAL = re.compile(r"Địa chỉ:\s+(\S+@\S+)\s*\n\s*Mật khẩu:\s+(\S+)")


def passed(result) -> set[str]:
    return set(re.findall(r"^ PASS +(\S+)", result.stdout, re.MULTILINE))


def failed(result) -> set[str]:
    return set(re.findall(r"^ FAIL +(\S+)", result.stdout, re.MULTILINE))


def merge_request_variables(repo, gitlab: FakeGitLab, base: str, iid: int, author: str) -> dict:
    """What GitLab sets in a merge request pipeline (workflow:rules is not honoured here)."""
    return {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": str(iid),
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "GITLAB_USER_LOGIN": author,
            **api(gitlab)}


def api(gitlab: FakeGitLab) -> dict:
    return {"CI_API_V4_URL": gitlab.api_url, "CI_PROJECT_ID": gitlab.project,
            "HYMAIL_GITLAB_TOKEN": gitlab.token}


@pytest.fixture(scope="module", name="gitlab")
def fixture_gitlab():
    with FakeGitLab() as fake:
        yield fake


def test_merge_request_then_merge_applies_the_reviewed_plan(repo, gitlab):
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "them-nguoi")
    with open(repo.path / "mailboxes" / "anvien.yml", "a", encoding="utf-8") as handle:
        handle.write(NEW_PERSON)
    repo.git("commit", "-q", "-am", "Xã An Viên: thêm Nguyễn Thị Hoa")
    head = repo.git("rev-parse", "HEAD")

    review = repo.pipeline(variables=merge_request_variables(repo, gitlab, base, 1,
                                                             "vanthu-anvien"))
    assert review.returncode == 0, review.stdout[-6000:]
    assert passed(review) == MR_JOBS
    plan = json.loads(repo.artifact("plan", "build/plan.json").read_text("utf-8"))
    assert [(c["action"], c["address"]) for c in plan["changes"]] == [("create", "nthoa")]
    assert "Tạo mới" in repo.artifact("plan", "build/plan.md").read_text("utf-8")
    [note] = gitlab.notes["1"]
    assert MARKER in note["body"] and "`nthoa@hungyen.gov.vn` — Nguyễn Thị Hoa" in note["body"]

    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'them-nguoi' into 'main'",
             "them-nguoi")
    gitlab.merged(1, repo.git("rev-parse", "HEAD"), head,
                  repo.artifact("plan", "build/plan.json").read_bytes())
    main = repo.pipeline(variables={"GITLAB_USER_LOGIN": "pheduyet-sotttt", **api(gitlab)})
    assert main.returncode == 0, main.stdout[-6000:]
    assert passed(main) == {"apply"}
    assert "Kế hoạch đã duyệt: !1" in main.stdout
    assert _accounts(repo)["nthoa"]["agency"] == "anvien"


def test_scheduled_drift_report_passes_on_a_server_that_matches(repo):
    result = repo.pipeline(variables={"CI_PIPELINE_SOURCE": "schedule"})
    assert result.returncode == 0, result.stdout[-6000:]
    assert passed(result) == {"drift"}
    report = json.loads(repo.artifact("drift", "build/drift.json").read_text("utf-8"))
    assert report["drift"] is False


def test_merge_request_editing_another_agencys_file_is_refused_by_policy(repo, gitlab):
    base = repo.git("rev-parse", "main")
    repo.git("checkout", "-q", "-b", "sua-tienlu", "main")
    path = repo.path / "mailboxes" / "tienlu.yml"
    path.write_text(path.read_text("utf-8").replace("Chánh Văn phòng", "Phó Chánh Văn phòng"),
                    "utf-8")
    repo.git("commit", "-q", "-am", "Sửa tệp của huyện Tiên Lữ")
    result = repo.pipeline("policy", variables=merge_request_variables(
        repo, gitlab, base, 2, "vanthu-anvien"))
    assert result.returncode == 1 and failed(result) == {"policy"}
    assert "HP010" in result.stdout and "mailboxes/tienlu.yml" in result.stdout


def _accounts(repo) -> dict:
    data = pathlib.Path(repo.state_dir, "data", "live", "accounts.json").read_text("utf-8")
    return json.loads(data)["accounts"]


def test_no_secret_in_job_logs_artifacts_or_notes(repo, gitlab):
    """Last, after every pipeline above: each password the applies issued (in the delivered
    notices, the outbox, the bootstrap file) and each hash of the account file appear in no
    job log, artifact, build/ file or merge request note; and no hash-shaped text does."""
    passwords, hashes = _issued(pathlib.Path(repo.state_dir))
    # A mailbox created locked or revoked is told no password (Điều 7): only active ones.
    active = {f"{local}@hungyen.gov.vn" for local, account in _accounts(repo).items()
              if account["status"] == "active"}
    unnoticed = sorted(active - set(passwords))  # addresses only, never a password
    assert len(passwords) > 0, "no password found in any notice"
    assert not unnoticed, f"accounts whose password no notice has: {unnoticed}"
    ci = repo.path / ".gitlab-ci-local"
    logs = Scanner(passwords=passwords, hashes=hashes)  # {ARGON2ID} or $argon2 at all
    leaks = logs.paths(ci / "output", ci / "artifacts", repo.path / "build")
    leaks += [finding for iid, notes in gitlab.notes.items() for note in notes
              for finding in logs.text(f"note on !{iid}", note["body"])]
    # The jobs' copies of the repository name the scheme in code and docs: real hashes only.
    sources = Scanner(passwords=passwords, hashes=hashes, shapes=REAL_HASH)
    leaks += sources.paths(ci) + sources.files(repository_files(repo.path))
    assert not leaks, describe(leaks)


def _issued(state: pathlib.Path) -> tuple[dict[str, str], dict[str, str]]:
    """Passwords by address (delivered notices, outbox, bootstrap) and hashes by address."""
    passwords = {}
    for path in sorted(state.glob("mail/*/*/Maildir/*/*")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Hymail-Notice"]:
            passwords.update(CREDENTIAL.findall(message.get_body(("plain",)).get_content()))
    for path in sorted(state.glob("outbox/*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            notice = json.loads(line)
            passwords.update((item["address"], item["password"]) for item in
                             notice.get("credentials", []) + notice.get("unit_credentials", []))
    for path in sorted(state.glob("bootstrap/*.credentials")):
        fields = dict(line.split(": ", 1) for line in path.read_text("utf-8").splitlines()
                      if ": " in line and not line.startswith("#"))
        passwords[fields["address"]] = fields["password"]
    lines = (state / "data" / "live" / "users.passwd").read_text("utf-8").splitlines()
    hashes = dict(line.split(":", 2)[:2] for line in lines if line.count(":") >= 2)
    return passwords, hashes
