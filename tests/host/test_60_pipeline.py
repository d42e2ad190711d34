"""The GitLab pipeline's path to production, run for real by gitlab-ci-local against the
Debian 12 test host, over SSH, in systemd mode: the default branch's ``apply`` and ``drift``
get the ``deploy`` key and the pinned host key only as File variables of the environment
``production`` (a variables file, which gitlab-ci-local scopes by environment, as GitLab
does); the inventory they use names no key and no known_hosts file, as inventory/production.

One merge carries a create, a lock, an unlock, a rename and a revoke through the main
pipeline; the same pipeline with a wrong known_hosts fails before any task runs; a merge
request's plan is computed from the snapshot the apply published while the host is
unreachable (no job of a merge request holds the key); the scheduled drift reads the host.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import tempfile

import pytest
import testhost
from gitlab_fake import FakeGitLab
from pipeline_repo import GCL, ROOT, Repo, initial_commit

pytestmark = [pytest.mark.testhost, pytest.mark.pipeline, pytest.mark.playbook]

AGENCY = "ttktqt"
# Sở TTTT's reviewers (owners of mailboxes/sotttt.yml): one writes the request, the other
# approves it (a revoke and a rename in an agency of five are over HP030's 5 %).
AUTHOR, APPROVER = "vanthu-sotttt", "pheduyet-sotttt"
LOCK, UNLOCK, REVOKE, CREATE, LATER = "ktkhoa", "lvmo", "mthuy", "nvtao", "ovmoi"
OLD_DIVISION, NEW_DIVISION = f"pqt.{AGENCY}", f"pqts.{AGENCY}"
# This test's own mailboxes (others of the session may be on the host too).
MINE = {AGENCY, CREATE, LOCK, UNLOCK, REVOKE, LATER, NEW_DIVISION, OLD_DIVISION}
BASE_LETTER = '{number: "1/TTKTQT", date: "2026-11-02"}'
MERGE_LETTER = '{number: "2/TTKTQT", date: "2026-11-20"}'
LATER_LETTER = '{number: "3/TTKTQT", date: "2026-11-25"}'
MR_JOBS = {"lint", "validate", "policy", "plan", "plan-note"}


def agency_file(stage: str) -> str:
    """The test agency at ``base``, after the ``merge`` and in the ``later`` request."""
    merged = stage != "base"
    division = ("  - name: Phòng Quy trình số\n    abbreviation: pqts\n"
                f"    previous_addresses: [{OLD_DIVISION}]\n    request: {MERGE_LETTER}\n"
                if merged else
                f"  - name: Phòng Quy trình\n    abbreviation: pqt\n    request: {BASE_LETTER}\n")
    letter = MERGE_LETTER if merged else BASE_LETTER
    people = [person("Kiều Thị Khóa", MERGE_LETTER if merged else BASE_LETTER,
                     "    status: locked\n    lock_reason: compromised\n" if merged else ""),
              person("Lò Văn Mở", letter,
                     "" if merged else "    status: locked\n    lock_reason: violation\n"),
              person("Mạc Thị Hủy", letter, "    status: revoked\n" if merged else "")]
    if merged:
        people.append(person("Ninh Văn Tạo", MERGE_LETTER))
    if stage == "later":
        people.append(person("Ông Văn Mới", LATER_LETTER))
    return ("# yaml-language-server: $schema=../schemas/agency.schema.json\n"
            "agency:\n  name: Trung tâm Kiểm thử Quy trình\n  kind: unit\n"
            f"  address: {AGENCY}\n  owners: [vanthu-{AGENCY}]\n  request: {BASE_LETTER}\n"
            "divisions:\n" + division + "people:\n" + "".join(people))


def person(name: str, letter: str, extra: str = "") -> str:
    return f"  - name: {name}\n    title: Chuyên viên\n{extra}    request: {letter}\n"


class HostPipeline:
    """The throwaway repository (the repository's province plus the test agency), the CI
    inventory of the test host and the File variables of the environment production."""

    def __init__(self, host, top: pathlib.Path, gitlab: FakeGitLab):
        self.host, self.top, self.gitlab = host, top, gitlab
        (top / "repo" / "approvals").mkdir(parents=True)
        self.repo = Repo(top / "repo", str(top / "no-local-state"))
        initial_commit(self.repo, ROOT / "mailboxes", {f"{AGENCY}.yml": agency_file("base")})
        self.repo.prepare_ci()
        self.inventory = ci_inventory(host.inventory_dir, top / "inventory")
        self.wrong_known_hosts = wrong_known_hosts(host, top)

    def variables_file(self, known_hosts: pathlib.Path) -> pathlib.Path:
        """The project's CI/CD variables: the key, the host key and the inventory, scoped to
        the environment production (gitlab-ci-local: a path value is a File variable)."""
        path = self.top / f"variables-{known_hosts.name}.yml"
        path.write_text(json.dumps({
            "HYMAIL_SSH_KEY": {"values": {"production": str(self.host.key_file)}},
            "HYMAIL_SSH_KNOWN_HOSTS": {"values": {"production": str(known_hosts)}},
            "INVENTORY": {"type": "variable",
                          "values": {"production": str(self.inventory)}}}), "utf-8")
        return path

    def api(self) -> dict:
        return {"CI_API_V4_URL": self.gitlab.api_url, "CI_PROJECT_ID": self.gitlab.project,
                "CI_DEFAULT_BRANCH": "main", "HYMAIL_CI_CACHE": str(self.repo.ci_cache),
                "HYMAIL_GITLAB_NOTE_TOKEN": self.gitlab.token,
                "HYMAIL_GITLAB_READ_TOKEN": self.gitlab.read_token,
                "CI_JOB_TOKEN": self.gitlab.job_token}

    def run(self, variables: dict, known_hosts: pathlib.Path | None = None, *jobs: str):
        known_hosts = known_hosts or self.host.known_hosts
        # gitlab-ci-local reads --variables-file relative to its --cwd (an absolute path is
        # silently not found).
        variables_file = os.path.relpath(self.variables_file(known_hosts), self.repo.path)
        return self.repo.pipeline("--file", self.repo.target_definition(), "--variables-file",
                                  variables_file, *jobs, variables={**self.api(), **variables})

    def apply_by_hand(self) -> None:
        """The base province, applied as an operator does (their own key and known_hosts)."""
        env = dict(self.repo.env, ANSIBLE_PRIVATE_KEY_FILE=str(self.host.key_file),
                   ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s "
                   f"-o {shlex.quote(testhost.known_hosts_option(self.host.known_hosts))} "
                   "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes")
        done = subprocess.run(["make", "apply", f"INVENTORY={self.inventory}"], cwd=self.repo.path,
                              env=env, text=True, capture_output=True, timeout=1800, check=False)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def ci_inventory(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """The test host's inventory without its key and known_hosts (as inventory/production):
    only the pipeline's File variables can open the host."""
    shutil.copytree(source, target)
    for path in target.rglob("*.yml"):
        lines = path.read_text("utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not re.match(
            r"\s*ansible_(ssh_private_key_file|ssh_common_args|private_key_file):", line)]
        path.write_text("".join(kept), "utf-8")
    assert "known_hosts" not in "".join(p.read_text("utf-8") for p in target.rglob("*.yml"))
    return target


def wrong_known_hosts(host, top: pathlib.Path) -> pathlib.Path:
    """A known_hosts naming the host's address with a key the host does not have."""
    key = top / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    path = top / "wrong_known_hosts"
    path.write_text(f"{host.address} {pathlib.Path(f'{key}.pub').read_text().split()[0]} "
                    f"{pathlib.Path(f'{key}.pub').read_text().split()[1]}\n")
    return path


def passed(result) -> set[str]:
    return set(re.findall(r"^ PASS +(\S+)", result.stdout, re.MULTILINE))


def failed(result) -> set[str]:
    return set(re.findall(r"^ FAIL +(\S+)", result.stdout, re.MULTILINE))


def journal(host) -> list[dict]:
    """The host's journal of applied changes (no secrets in it)."""
    text = host.run("cat /var/lib/hymail/data/journal.jsonl").stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module", name="pipeline")
def fixture_pipeline(deployed, testhost):
    """The repository at its base commit, its province applied to the deployed host."""
    if not GCL.exists():
        pytest.fail(f"{GCL} is missing: run make test-deps")
    top = pathlib.Path(tempfile.mkdtemp(prefix="hymail-host-pipeline-"))
    try:
        with FakeGitLab() as gitlab:
            setup = HostPipeline(testhost, top, gitlab)
            setup.apply_by_hand()
            # The first snapshot, as the runbook's first apply by hand leaves it (then the
            # schedule publishes one); every later one comes from the pipeline's apply.
            snapshot = (setup.repo.path / "build" / "snapshot.json").read_bytes()
            gitlab.branch_artifacts[("main", "apply", "build/snapshot.json")] = snapshot
            yield setup
    finally:
        testhost.link_up()
        shutil.rmtree(top, ignore_errors=True)


def merge_variables(setup: HostPipeline, iid: int, author: str) -> dict:
    """What GitLab sets in a merge request pipeline, with the snapshot the default branch
    published (GitLab's artifact of the branch) and the installation's privacy key."""
    repo, gitlab = setup.repo, setup.gitlab
    head, branch = repo.git("rev-parse", "HEAD"), repo.git("rev-parse", "--abbrev-ref", "HEAD")
    gitlab.merge_request(iid, author, branch)
    gitlab.push(iid, author, head, "2026-12-06T03:00:00Z")
    key = setup.host.run("cat /var/lib/hymail/data/privacy.key").stdout.strip()
    return {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": str(iid),
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_COMMIT_SHA": head,
            "HYMAIL_PRIVACY_KEY": key}


def commit_on_branch(repo: Repo, branch: str, stage: str, message: str) -> tuple[str, str]:
    base = repo.git("rev-parse", "main")
    repo.git("checkout", "-q", "-b", branch, "main")
    (repo.path / "mailboxes" / f"{AGENCY}.yml").write_text(agency_file(stage), "utf-8")
    repo.git("commit", "-q", "-am", message)
    return base, repo.git("rev-parse", "HEAD")


def publish(setup: HostPipeline, result_job: str) -> dict:
    """The default branch's snapshot artifact, as GitLab serves it to merge requests."""
    snapshot = setup.repo.artifact(result_job, "build/snapshot.json")
    setup.gitlab.branch_artifacts[("main", "apply", "build/snapshot.json")] = snapshot.read_bytes()
    return json.loads(snapshot.read_text("utf-8"))


def local_part(address: str) -> str:
    return address.split("@")[0]


def accounts(snapshot: dict) -> dict[str, dict]:
    return {account["address"]: account for account in snapshot["accounts"]}


def test_one_merge_applies_create_lock_unlock_rename_revoke_over_ssh(pipeline):
    repo, gitlab = pipeline.repo, pipeline.gitlab
    base, head = commit_on_branch(repo, "quy-trinh", "merge", "Trung tâm Kiểm thử: năm thay đổi")
    variables = merge_variables(pipeline, 1, AUTHOR)
    gitlab.approve(1, APPROVER, "2026-12-06T03:05:00Z")
    review = pipeline.run(variables)
    assert review.returncode == 0, review.stdout[-6000:]
    plan = json.loads(repo.artifact("plan", "build/plan.json").read_text("utf-8"))
    # Mailboxes other tests of the session left on the host show as undeclared: only this
    # test's own addresses are compared.
    assert sorted((c["action"], c["address"]) for c in plan["changes"]
                  if local_part(c["address"]) in MINE) == sorted([
        ("create", CREATE), ("lock", LOCK), ("unlock", UNLOCK), ("rename", NEW_DIVISION),
        ("revoke", REVOKE)])

    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "quy-trinh")
    gitlab.merged(1, head, head, repo.artifact("plan", "build/plan.json").read_bytes())
    gitlab.merge_requests["1"].update(state="merged", merge_user={"username": APPROVER})
    before = len(journal(pipeline.host))
    main = pipeline.run({"CI_COMMIT_BEFORE_SHA": base, "CI_COMMIT_SHA": head})
    assert main.returncode == 0, main.stdout[-6000:]
    assert passed(main) == {"apply"}
    assert re.search(r"mail1\.hungyen\.gov\.vn +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0",
                     main.stdout), main.stdout[-3000:]
    live = accounts(publish(pipeline, "apply"))
    assert {address: live[address]["status"] for address in (CREATE, LOCK, UNLOCK, REVOKE)} == {
        CREATE: "active", LOCK: "locked", UNLOCK: "active", REVOKE: "revoked"}
    assert NEW_DIVISION in live and OLD_DIVISION not in live
    assert f"{OLD_DIVISION}@hungyen.gov.vn" in " ".join(live[NEW_DIVISION]["aliases"]) or \
        OLD_DIVISION in live[NEW_DIVISION]["aliases"]
    applied = [entry for entry in journal(pipeline.host)[before:]
               if local_part(entry["address"]) in MINE]
    assert {(entry["action"], entry["address"].split("@")[0]) for entry in applied} >= {
        ("create", CREATE), ("lock", LOCK), ("unlock", UNLOCK), ("rename", NEW_DIVISION),
        ("revoke", REVOKE)}
    assert {entry.get("commit") for entry in applied} == {head}
    # The key and the host key were files of the job only, gone when it ended.
    assert not list(repo.ci_cache.glob("job-*/ssh"))


def test_a_wrong_host_key_fails_before_any_task(pipeline):
    repo = pipeline.repo
    base = repo.git("rev-parse", "main~1")
    before = journal(pipeline.host)
    result = pipeline.run({"CI_COMMIT_BEFORE_SHA": base,
                           "CI_COMMIT_SHA": repo.git("rev-parse", "main")},
                          pipeline.wrong_known_hosts)
    assert result.returncode == 1 and failed(result) == {"apply"}, result.stdout[-4000:]
    assert "Host key verification failed" in result.stdout, result.stdout[-4000:]
    # Unreachable at the first task that connects (checks on the controller may pass).
    assert re.search(r"mail1\.hungyen\.gov\.vn +: ok=\d+ +changed=0 +unreachable=1 +failed=0",
                     result.stdout), result.stdout[-3000:]
    assert journal(pipeline.host) == before


def test_a_key_without_its_host_key_never_connects(pipeline):
    """An empty HYMAIL_SSH_KNOWN_HOSTS: the job stops before ssh is ever started."""
    repo = pipeline.repo
    empty = pipeline.top / "empty" / "known_hosts"
    empty.parent.mkdir()
    empty.write_text("")
    result = pipeline.run({"CI_COMMIT_BEFORE_SHA": repo.git("rev-parse", "main~1"),
                           "CI_COMMIT_SHA": repo.git("rev-parse", "main")}, empty)
    assert result.returncode == 1 and failed(result) == {"apply"}, result.stdout[-4000:]
    assert "Thiếu HYMAIL_SSH_KNOWN_HOSTS" in result.stdout, result.stdout[-4000:]
    assert "PLAY RECAP" not in result.stdout


def test_merge_request_plan_from_the_published_snapshot_with_the_host_unreachable(pipeline):
    repo = pipeline.repo
    commit_on_branch(repo, "them-nguoi", "later", "Trung tâm Kiểm thử: thêm Ông Văn Mới")
    variables = merge_variables(pipeline, 2, AUTHOR)
    pipeline.host.link_down()  # no merge request job can reach the host
    try:
        review = pipeline.run(variables)
        unreachable = pipeline.host.run("true", check=False, timeout=60).returncode
    finally:
        pipeline.host.link_up()
    assert unreachable == 255, "the host answered while its link was down"
    assert review.returncode == 0, review.stdout[-6000:]
    assert passed(review) == MR_JOBS
    plan = json.loads(repo.artifact("plan", "build/plan.json").read_text("utf-8"))
    assert [(c["action"], c["address"]) for c in plan["changes"]
            if local_part(c["address"]) in MINE] == [("create", LATER)]
    repo.git("checkout", "-q", "main")


def test_scheduled_drift_reads_the_host_over_ssh(pipeline):
    pipeline.repo.git("checkout", "-q", "main")
    result = pipeline.run({"CI_PIPELINE_SOURCE": "schedule"})
    report = json.loads(pipeline.repo.artifact("drift", "build/drift.json").read_text("utf-8"))
    for kind in ("hand_edits", "pending", "config_edits"):
        assert report[kind] == [], f"{kind}: {report[kind]}"
    # Only what other tests of the session left on the host (mailboxes this repository does
    # not declare, their emergency holds) may differ; with none the job passes.
    assert not [item for item in report["undeclared"] + report["holds"]
                if local_part(item["address"]) in MINE]
    assert (result.returncode == 0) == (not report["drift"]), result.stdout[-4000:]
    assert accounts(json.loads(pipeline.repo.artifact("drift", "build/snapshot.json")
                               .read_text("utf-8")))[LOCK]["status"] == "locked"
