"""The pipeline of .gitlab-ci.yml, run for real by gitlab-ci-local with the target branch's
definition (``--file``): a merge request (lint, validate, policy with GitLab's facts, plan
from the apply's snapshot fetched with the job token, the plan note on a fake GitLab), its
fast-forward merge to main (apply: the policy again on the merged commit, the reviewed plan
fetched back, the merge request's people in the journal), the scheduled drift report, and
a merge request that policy refuses. The steps share one repository and one mail server."""

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


def merge_request_variables(repo, gitlab: FakeGitLab, iid: int, author: str) -> dict:
    """What GitLab sets in a merge request pipeline (workflow:rules is not honoured here),
    after ``author`` opened request ``iid`` from the current branch and pushed its head."""
    head, branch = repo.git("rev-parse", "HEAD"), repo.git("rev-parse", "--abbrev-ref", "HEAD")
    gitlab.merge_request(iid, author, branch)
    gitlab.push(iid, author, head, "2026-12-06T03:00:00Z")
    snapshot = repo.path / "build" / "snapshot.json"  # what the last apply published
    gitlab.branch_artifacts[("main", "apply", "build/snapshot.json")] = snapshot.read_bytes()
    key = pathlib.Path(repo.state_dir, "data", "privacy.key")  # the installation's, as CI has it
    return {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": str(iid),
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_COMMIT_SHA": head,
            "GITLAB_USER_LOGIN": author, "HYMAIL_PRIVACY_KEY": key.read_text("ascii").strip(),
            **api(repo, gitlab)}


def api(repo, gitlab: FakeGitLab) -> dict:
    # INVENTORY: the embedded server here (apply and drift name inventory/production).
    return {"CI_API_V4_URL": gitlab.api_url, "CI_PROJECT_ID": gitlab.project,
            "CI_DEFAULT_BRANCH": "main", "HYMAIL_CI_CACHE": str(repo.ci_cache),
            "INVENTORY": "inventory/local",
            "HYMAIL_GITLAB_NOTE_TOKEN": gitlab.token,
            "HYMAIL_GITLAB_READ_TOKEN": gitlab.read_token, "CI_JOB_TOKEN": gitlab.job_token}


@pytest.fixture(scope="module", name="gitlab")
def fixture_gitlab():
    with FakeGitLab() as fake:
        yield fake


def test_merge_request_then_merge_applies_the_reviewed_plan(repo, gitlab):
    repo.prepare_ci()
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "them-nguoi")
    with open(repo.path / "mailboxes" / "anvien.yml", "a", encoding="utf-8") as handle:
        handle.write(NEW_PERSON)
    repo.git("commit", "-q", "-am", "Xã An Viên: thêm Nguyễn Thị Hoa")
    head = repo.git("rev-parse", "HEAD")

    variables = merge_request_variables(repo, gitlab, 1, "vanthu-anvien")
    gitlab.approve(1, "pheduyet-sotttt", "2026-12-06T03:05:00Z")
    review = repo.pipeline("--file", repo.target_definition(), variables=variables)
    assert review.returncode == 0, review.stdout[-6000:]
    assert passed(review) == MR_JOBS
    plan = json.loads(repo.artifact("plan", "build/plan.json").read_text("utf-8"))
    assert [(c["action"], c["address"]) for c in plan["changes"]] == [("create", "nthoa")]
    assert "Cấp mới" in repo.artifact("plan", "build/plan.md").read_text("utf-8")
    [note] = [n for n in gitlab.notes["1"] if not n.get("system")]
    assert MARKER in note["body"] and "nthoa@hungyen.gov.vn" in note["body"]
    assert "Nguyễn Thị Hoa" in note["body"]

    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "them-nguoi")  # the project's merge method
    gitlab.merged(1, head, head, repo.artifact("plan", "build/plan.json").read_bytes())
    gitlab.merge_requests["1"].update(state="merged", merge_user={"username": "pheduyet-sotttt"})
    main = repo.pipeline("--file", repo.target_definition(), variables={
        "GITLAB_USER_LOGIN": "someone-else", "CI_COMMIT_BEFORE_SHA": base, **api(repo, gitlab)})
    assert main.returncode == 0, main.stdout[-6000:]
    assert passed(main) == {"apply"}
    assert "Kế hoạch đã duyệt: !1" in main.stdout and "Được phép" in main.stdout
    assert _accounts(repo)["nthoa"]["agency"] == "anvien"
    journal = pathlib.Path(repo.state_dir, "data", "journal.jsonl").read_text("utf-8")
    assert "vanthu-anvien" in journal and "someone-else" not in journal
    assert repo.artifact("apply", "build/snapshot.json").exists()


def test_scheduled_drift_report_passes_on_a_server_that_matches(repo, gitlab):
    result = repo.pipeline("--file", repo.target_definition(), variables={
        "CI_PIPELINE_SOURCE": "schedule", **api(repo, gitlab)})
    assert result.returncode == 0, result.stdout[-6000:]
    assert passed(result) == {"drift"}
    report = json.loads(repo.artifact("drift", "build/drift.json").read_text("utf-8"))
    assert report["drift"] is False


def test_scheduled_monthly_report_reports_on_the_chosen_month(repo, gitlab):
    """HYMAIL_SCHEDULE=report runs the report job alone (not drift); REPORT_SINCE and
    REPORT_UNTIL fix the period here (the job's default, the previous month, reads the
    clock)."""
    result = repo.pipeline("--file", repo.target_definition(), variables={
        "CI_PIPELINE_SOURCE": "schedule", "HYMAIL_SCHEDULE": "report",
        "REPORT_SINCE": "2026-11-01", "REPORT_UNTIL": "2026-11-30", **api(repo, gitlab)})
    assert result.returncode == 0, result.stdout[-6000:]
    assert passed(result) == {"report"}
    province = repo.artifact("report", "build/report/tinh.md").read_text("utf-8")
    assert "Kỳ báo cáo: từ 01/11/2026 đến 30/11/2026" in province


def test_merge_request_editing_another_agencys_file_is_refused_by_policy(repo, gitlab):
    repo.prepare_ci()
    repo.git("checkout", "-q", "-b", "sua-tienlu", "main")
    path = repo.path / "mailboxes" / "tienlu.yml"
    path.write_text(path.read_text("utf-8").replace("Chánh Văn phòng", "Phó Chánh Văn phòng"),
                    "utf-8")
    repo.git("commit", "-q", "-am", "Sửa tệp của huyện Tiên Lữ")
    result = repo.pipeline("--file", repo.target_definition(), "policy",
                           variables=merge_request_variables(repo, gitlab, 2, "vanthu-anvien"))
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
