"""Reading the policy's files from git commits, in a throwaway repository made per test."""

from __future__ import annotations

import subprocess

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.change_request import (
    gitfiles,
    pipeline_cli,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitfiles import (
    GitError,
    files_at,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy import (
    codeowners_text,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy_cli import (
    main,
    run_policy,
)
from gitlab_fake import FakeGitLab
from helpers import ROOT

GOOD = ROOT / "tests" / "fixtures" / "good"


def git(repository, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repository), *args], check=True,
                          capture_output=True, text=True).stdout


def commit(repository, files: dict[str, bytes | None], message: str) -> None:
    """Write (None: delete) ``files`` and commit them all."""
    for name, content in files.items():
        path = repository / name
        if content is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    git(repository, "add", "-A")
    git(repository, "-c", "user.name=Thử nghiệm", "-c", "user.email=test@hungyen.gov.vn",
        "commit", "-q", "-m", message)


@pytest.fixture
def repository(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def test_files_at_two_commits(repository):
    first = {
        "mailboxes/a.yml": b"agency: {name: A}\n",
        "mailboxes/b.yml": b"agency: {name: A}\n",  # the same blob as a.yml
        "mailboxes/sub/deep.yml": b"x: 1\n",
        "mailboxes/notes.txt": b"not a declaration\n",
        "approvals/2025-x.yml": b"no trailing newline",
        "approvals/README.md": b"# about approvals\n",
        "CODEOWNERS": b"* @someone\n",
        "README.md": b"# the project\n",
    }
    commit(repository, first, "first")
    commit(repository, {"mailboxes/a.yml": "agency: {name: Ân}\n".encode(),
                        "approvals/2025-x.yml": None}, "second")
    assert files_at("HEAD~1", str(repository)) == {
        "mailboxes/a.yml": b"agency: {name: A}\n", "mailboxes/b.yml": b"agency: {name: A}\n",
        "approvals/2025-x.yml": b"no trailing newline", "CODEOWNERS": b"* @someone\n"}
    assert files_at("HEAD", str(repository)) == {
        "mailboxes/a.yml": "agency: {name: Ân}\n".encode(),
        "mailboxes/b.yml": b"agency: {name: A}\n", "CODEOWNERS": b"* @someone\n"}


def test_two_git_processes_whatever_the_number_of_files(repository, monkeypatch):
    commit(repository, {f"mailboxes/x{n}.yml": f"n: {n}\n".encode() for n in range(30)}, "many")
    calls = []
    real_run = subprocess.run
    monkeypatch.setattr(gitfiles.subprocess, "run",
                        lambda args, **kw: calls.append(args[3]) or real_run(args, **kw))
    assert len(files_at("HEAD", str(repository))) == 30
    assert calls == ["ls-tree", "cat-file"]


@pytest.mark.parametrize("commit_name", ["no-such-branch", "--output=/tmp/x", "HEAD HEAD", ""])
def test_a_bad_commit_is_an_error_not_an_empty_tree(repository, commit_name):
    commit(repository, {"mailboxes/a.yml": b"a: 1\n"}, "first")
    with pytest.raises(GitError):
        files_at(commit_name, str(repository))


def test_not_a_repository(tmp_path):
    with pytest.raises(GitError, match="ls-tree"):
        files_at("HEAD", str(tmp_path / "nowhere"))


def good_tree() -> dict[str, bytes]:
    files = {f"mailboxes/{p.name}": p.read_bytes() for p in GOOD.glob("*.yml")}
    files["CODEOWNERS"] = codeowners_text(files).encode()
    return files


def test_decide_reads_both_commits_from_git(repository, capsys):
    commit(repository, good_tree(), "the province")
    vangiang = (GOOD / "vangiang.yml").read_text("utf-8") + (
        "people:\n  - name: Lê Văn Tâm\n    title: Công chức\n"
        '    request: {number: "15/UBND", date: "2025-01-06"}\n')
    commit(repository, {"mailboxes/vangiang.yml": vangiang.encode()}, "a new clerk")
    arguments = ["decide", "--repo", str(repository), "--base", "HEAD~1", "--head", "HEAD"]
    assert main([*arguments, "--author", "vanthu-vangiang"]) == 0
    assert main([*arguments, "--author", "vanthu-anvien"]) == 1
    refusal = "HP010 vanthu-anvien không có quyền sửa mailboxes/vangiang.yml"
    assert refusal in capsys.readouterr().out


@pytest.mark.parametrize(("operator", "named"), [
    ({"name": "Sở Khoa học và Công nghệ tỉnh Hưng Yên", "short_name": "Sở KH&CN"},
     "người duyệt của Sở KH&CN (@vanthu-sotttt"),
    ({}, "người duyệt của đơn vị quản lý hệ thống thư điện tử công vụ (@vanthu-sotttt"),
])
def test_the_policy_names_the_inventory_s_operator(repository, operator, named):
    commit(repository, good_tree(), "the province")
    vangiang = (GOOD / "vangiang.yml").read_text("utf-8") + (
        "people:\n  - name: Lê Văn Tâm\n    title: Công chức\n"
        '    request: {number: "15/UBND", date: "2025-01-06"}\n')
    commit(repository, {"mailboxes/vangiang.yml": vangiang.encode()}, "a new clerk")
    result = run_policy({"repository": str(repository), "base": "HEAD~1",
                         "author": "vanthu-anvien", "operator": operator})
    assert named in result["summary"] and "Sở TTTT" not in result["summary"]


def test_stale_codeowners_at_head_is_refused(repository):
    commit(repository, good_tree(), "the province")
    commit(repository, {"CODEOWNERS": b"* @vanthu-anvien\n"}, "hand-edited")
    result = run_policy({"repository": str(repository), "base": "HEAD~1",
                         "author": "vanthu-sotttt"})
    assert [v["code"] for v in result["violations"]] == ["HP003"] and not result["allowed"]
    result = run_policy({"repository": str(repository), "base": "HEAD~1",
                         "author": "vanthu-sotttt", "check_codeowners": False})
    assert result["allowed"]


def test_resolve_names_a_full_commit(repository):
    commit(repository, {"mailboxes/a.yml": b"a: 1\n"}, "first")
    sha = git(repository, "rev-parse", "HEAD").strip()
    assert gitfiles.resolve("main", str(repository)) == sha
    with pytest.raises(GitError, match="không có commit"):
        gitfiles.resolve("no-such-branch", str(repository))


def new_clerk_change(repository) -> None:
    """The province, then vangiang's clerk adds a person to vangiang.yml."""
    commit(repository, good_tree(), "the province")
    vangiang = (GOOD / "vangiang.yml").read_text("utf-8") + (
        "people:\n  - name: Lê Văn Tâm\n    title: Công chức\n"
        '    request: {number: "15/UBND", date: "2025-01-06"}\n')
    commit(repository, {"mailboxes/vangiang.yml": vangiang.encode()}, "a new clerk")


def test_the_triggering_user_is_never_the_author(repository, monkeypatch, capsys):
    """GITLAB_USER_LOGIN (whoever retried the job) gives no authority: no author, HP001."""
    new_clerk_change(repository)
    monkeypatch.setenv("GITLAB_USER_LOGIN", "vanthu-vangiang")
    assert main(["decide", "--repo", str(repository), "--base", "HEAD~1"]) == 1
    assert "HP001" in capsys.readouterr().out


@pytest.mark.parametrize("approved_by, expected", [
    ("", []), ("pheduyet-sotttt", ["pheduyet-sotttt"]),
    (" a, b ,,", ["a", "b"]), (["b", "a"], ["a", "b"]),
])
def test_local_approvers_come_from_approved_by(repository, approved_by, expected):
    new_clerk_change(repository)
    result = run_policy({"repository": str(repository), "base": "HEAD~1",
                         "author": "vanthu-vangiang", "approved_by": approved_by})
    assert result["facts"]["approvers"] == expected and result["facts"]["source"] == "local"


def test_a_head_that_does_not_contain_the_base_is_judged_with_its_tree(repository):
    """The branch left from an older commit: contains_base is False (HP038 in the policy)."""
    new_clerk_change(repository)
    old = git(repository, "rev-parse", "HEAD~1").strip()
    git(repository, "checkout", "-q", "-b", "old", old)
    commit(repository, {"README.md": b"# x\n"}, "on the old commit")
    result = run_policy({"repository": str(repository), "base": "main", "head": "old",
                         "author": "vanthu-sotttt"})
    assert "HP038" in [v["code"] for v in result["violations"]]


@pytest.fixture(name="gitlab")
def fixture_gitlab():
    with FakeGitLab() as fake:
        yield fake


def gitlab_params(gitlab, repository, **extra) -> dict:
    return {"repository": str(repository), "base": "HEAD~1", "merge_request": "3",
            "gitlab_api_url": gitlab.api_url, "gitlab_project": gitlab.project,
            "gitlab_token": gitlab.read_token, **extra}


def test_in_ci_the_author_and_approvers_come_from_gitlab(repository, gitlab):
    new_clerk_change(repository)
    head = git(repository, "rev-parse", "HEAD").strip()
    gitlab.merge_request(3, "vanthu-anvien", "them-nguoi")
    gitlab.approve(3, "pheduyet-sotttt", "2026-12-06T02:55:00Z")  # approved an older head
    gitlab.push(3, "vanthu-anvien", head, "2026-12-06T03:00:00Z")
    gitlab.approve(3, "reviewer2", "2026-12-06T03:05:00Z")
    # an author option (a stale -e author=) is not what GitLab says: GitLab wins
    result = run_policy(gitlab_params(gitlab, repository, author="vanthu-vangiang"))
    assert result["facts"]["author"] == "vanthu-anvien" and not result["allowed"]
    assert "HP010" in [v["code"] for v in result["violations"]]
    assert result["facts"]["approvers"] == ["reviewer2"]
    assert result["facts"]["pushers"] == ["vanthu-anvien"]


def test_in_ci_an_older_head_or_an_unreachable_gitlab_fails_the_job(repository, gitlab, capsys):
    new_clerk_change(repository)
    gitlab.merge_request(3, "vanthu-vangiang", "them-nguoi")
    gitlab.push(3, "vanthu-vangiang", "f" * 40, "2026-12-06T03:00:00Z")  # a newer push
    arguments = ["decide", "--repo", str(repository), "--base", "HEAD~1", "--merge-request", "3"]
    environment = {"CI_API_V4_URL": gitlab.api_url, "CI_PROJECT_ID": gitlab.project,
                   "HYMAIL_GITLAB_READ_TOKEN": gitlab.read_token}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        assert main(arguments) == 2
        assert "HYG007" in capsys.readouterr().err
        gitlab.down = True
        assert main(arguments) == 2
        assert "HYG002" in capsys.readouterr().err


PLAN = ("# Kế hoạch thay đổi hộp thư điện tử công vụ @hungyen.gov.vn\n\n"
        "| Thao tác | Mã | Số lượng |\n|---|---|---:|\n"
        "| Cấp mới (điểm a khoản 2 Điều 6) | `create` | 1 |\n\n## Cơ quan `anvien`\n\n- x\n")


def test_the_plan_lists_what_a_change_carries_besides_data(repository, tmp_path):
    commit(repository, {"mailboxes/a.yml": b"agency: {name: A}\n", "Makefile": b"all:\n"},
           "base")
    base = git(repository, "rev-parse", "HEAD").strip()
    commit(repository, {"mailboxes/a.yml": b"agency: {name: B}\n", "Makefile": b"all: x\n",
                        "plugins/`x`.py": b"", "approvals/run.yml": b"a: 1\n"}, "head")
    (repository / "approvals" / "run.yml").chmod(0o755)
    git(repository, "add", "-A")
    git(repository, "-c", "user.name=T", "-c", "user.email=t@hungyen.gov.vn", "commit", "-q",
        "--amend", "--no-edit")
    plan = tmp_path / "plan.md"
    plan.write_text(PLAN, encoding="utf-8")
    assert pipeline_cli.main(["code-warnings", "--repo", str(repository), "--base", base,
                              "--head", "HEAD", "--plan", str(plan)], env={}) == 0
    text = plan.read_text("utf-8")
    block = [line for line in text.splitlines() if line.startswith(">")]
    assert "THAY ĐỔI NGOÀI DỮ LIỆU HỘP THƯ: 3 tệp" in block[0]
    assert block[2:] == ["> - `Makefile` (ngoài mailboxes/, approvals/)",
                         "> - `approvals/run.yml` (tệp thực thi)",
                         "> - ``plugins/`x`.py`` (ngoài mailboxes/, approvals/)"]
    assert text.index("THAY ĐỔI NGOÀI") < text.index("## Cơ quan") and "| 1 |" in text


def test_a_data_only_change_leaves_the_plan_as_it_was(repository, tmp_path):
    commit(repository, {"mailboxes/a.yml": b"agency: {name: A}\n"}, "base")
    commit(repository, {"mailboxes/a.yml": b"agency: {name: B}\n"}, "head")
    plan = tmp_path / "plan.md"
    plan.write_text(PLAN, encoding="utf-8")
    assert pipeline_cli.main(["code-warnings", "--repo", str(repository), "--base", "HEAD~1",
                              "--head", "HEAD", "--plan", str(plan)], env={}) == 0
    assert plan.read_text("utf-8") == PLAN
