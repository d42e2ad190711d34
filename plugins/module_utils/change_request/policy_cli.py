"""The policy entry point shared by the module, the command line and the tests.

    policy_cli codeowners [--write|--check]          (make codeowners)
    policy_cli decide --base origin/main --head HEAD --author vanthu-anvien [--approved-by a,b]
    policy_cli decide --base <target tip> --merge-request 12    (CI: facts from GitLab)
    policy_cli export-data --repo DIR --commit SHA --to OUT    (CI: the head's data only)
(``PYTHONPATH=.collections python -m <collection>.plugins.module_utils.change_request.policy_cli``)

``codeowners`` works on the checkout (the files as they are now); ``decide`` on two commits,
reading only their data blobs through git: the code that judges is whatever tree this module
was loaded from (``make policy`` loads it from the base's export, build/trusted/<sha>/).
Who asks and who approved come from GitLab in CI (``merge_request`` or ``merged_commit``,
never ``GITLAB_USER_LOGIN``), from ``author`` and ``approved_by`` locally; there is no default.
Exit status: 0 allowed / current, 1 refused / stale, 2 cannot read git, GitLab or the files.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..common.glossary import Operator
from ..common.parallel import paused_gc
from .gitfiles import GitError, contains, files_at, resolve, tree_changes
from .gitlab_note import GitLab, GitLabError, merged_request
from .gitlab_review import Review, check_head, read_review
from .policy import (
    CODEOWNERS,
    MAILBOXES,
    Facts,
    Thresholds,
    codeowners_text,
    codeowners_violation,
    decide,
)

READ_TOKEN = "HYMAIL_GITLAB_READ_TOKEN"


def run_policy(params: dict) -> dict:
    """Read base and head from git, the people from GitLab or the options, and decide.

    ``params``: repository, base, head, author, approved_by, merge_request, merged_commit,
    gitlab_api_url, gitlab_project, gitlab_token, schema_dir, destroy_max_count,
    destroy_max_share, check_codeowners, operator (the module's options; ``operator`` is the
    inventory's, whose short name the messages use). Raises GitError, GitLabError.
    """
    repository = params.get("repository") or "."
    base = resolve(params["base"], repository)
    head = resolve(params.get("head") or "HEAD", repository)
    review = review_of(params, head)
    author = review.author if review else params.get("author") or ""
    facts = Facts(approvers=review.approvers if review else split_users(params.get("approved_by")),
                  pushers=review.pushers if review else frozenset(),
                  tree=tuple(tree_changes(base, head, repository)),
                  contains_base=contains(head, base, repository))
    head_files = files_at(head, repository)
    thresholds = Thresholds(int(params.get("destroy_max_count", 10)),
                            float(params.get("destroy_max_share", 0.05)))
    operator = params.get("operator")
    with paused_gc():  # 100,000 acyclic records twice: the cyclic GC would triple the time
        decision = decide(files_at(base, repository), head_files, author,
                          thresholds=thresholds, schema_dir=params.get("schema_dir"),
                          facts=facts, check_codeowners=params.get("check_codeowners", True),
                          operator=Operator.from_vars(operator).short_name if operator else None)
    return decision.to_dict() | {"facts": facts_dict(review, author, facts, base, head)}


def review_of(params: dict, head: str) -> Review | None:
    """The merge request's facts from GitLab (CI), or None (local: the options say)."""
    iid, merged = params.get("merge_request"), params.get("merged_commit")
    if not iid and not merged:
        return None
    gitlab = GitLab(params.get("gitlab_api_url") or "", params.get("gitlab_project") or "",
                    params.get("gitlab_token") or "")
    if not iid:
        iid = str(merged_request(gitlab, resolve(merged, params.get("repository") or "."))
                  ["iid"])
    review = read_review(gitlab, str(iid))
    check_head(review, head)
    return review


def split_users(value) -> frozenset[str]:
    """``u1,u2`` (or a list) as a set of user names; empty items dropped."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return frozenset(item.strip() for item in items if item and item.strip())


def facts_dict(review: Review | None, author: str, facts: Facts, base: str, head: str) -> dict:
    """Who and what was judged, for the log and for the apply's journal."""
    return {"author": author, "approvers": sorted(facts.approvers),
            "pushers": sorted(facts.pushers), "merger": review.merger if review else "",
            "merge_request": review.iid if review else "", "base": base, "head": head,
            "source": "gitlab" if review else "local"}


def checkout_files(root: str) -> dict[str, bytes]:
    """The agency files and CODEOWNERS of a checkout, keyed like ``files_at``."""
    files = {}
    directory = os.path.join(root, MAILBOXES)
    for name in sorted(os.listdir(directory)):
        if name.endswith(".yml"):
            with open(os.path.join(directory, name), "rb") as handle:
                files[MAILBOXES + name] = handle.read()
    path = os.path.join(root, CODEOWNERS)
    if os.path.exists(path):
        with open(path, "rb") as handle:
            files[CODEOWNERS] = handle.read()
    return files


def codeowners_command(args) -> int:
    files = checkout_files(args.root)
    text = codeowners_text(files)
    path = os.path.join(args.root, CODEOWNERS)
    if args.write:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"Đã ghi {path}: {text.count(chr(10) + '/' + MAILBOXES)} tệp cơ quan.")
        return 0
    if args.check:
        stale = codeowners_violation(files)
        print(stale.message if stale else f"{CODEOWNERS} đã cập nhật.")
        return 1 if stale else 0
    sys.stdout.write(text)
    return 0


def decide_command(args) -> int:
    params = {"repository": args.repo, "base": args.base, "head": args.head,
              "author": args.author, "approved_by": args.approved_by,
              "merge_request": args.merge_request, "merged_commit": args.merged_commit,
              "gitlab_api_url": os.environ.get("CI_API_V4_URL", ""),
              "gitlab_project": os.environ.get("CI_PROJECT_ID", ""),
              "gitlab_token": os.environ.get(READ_TOKEN, ""), "destroy_max_count": args.max_count,
              "destroy_max_share": args.max_share, "check_codeowners": not args.no_codeowners}
    result = run_policy(params)
    print(result["summary"])
    return 0 if result["allowed"] else 1


def export_data_command(args) -> int:
    """Write the commit's mailboxes/*.yml and approvals/*.yml blobs as regular files under
    ``--to``: what a merge-request job validates and plans, nothing it could execute."""
    files = files_at(resolve(args.commit, args.repo), args.repo)
    for path, content in files.items():
        if path == CODEOWNERS:
            continue
        target = os.path.join(args.to, path)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(content)
    for directory in ("mailboxes", "approvals"):
        os.makedirs(os.path.join(args.to, directory), mode=0o700, exist_ok=True)
    print(f"Dữ liệu của {args.commit[:12]}: {len(files)} tệp → {args.to}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="policy_cli",
                                  description="Chính sách duyệt yêu cầu hợp nhất (merge "
                                  "request) về hộp thư điện tử công vụ.")
    commands = top.add_subparsers(dest="command", required=True)
    owners = commands.add_parser("codeowners", help="sinh CODEOWNERS từ owners (in ra)")
    owners.add_argument("--root", default=".", help="thư mục gốc của kho (mặc định .)")
    mode = owners.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="ghi đè CODEOWNERS")
    mode.add_argument("--check", action="store_true", help="lỗi nếu CODEOWNERS chưa cập nhật")
    judge = commands.add_parser("decide", help="yêu cầu hợp nhất (từ base đến head) có được "
                                "phép không?")
    judge.add_argument("--base", default="origin/main",
                       help="đỉnh nhánh đích: mã và thẩm quyền lấy từ đây")
    judge.add_argument("--head", default="HEAD")
    judge.add_argument("--author", default="",
                       help="người tạo yêu cầu hợp nhất (bắt buộc khi chạy trên máy)")
    judge.add_argument("--approved-by", default="", help="người duyệt, cách nhau bởi dấu phẩy")
    source = judge.add_mutually_exclusive_group()
    source.add_argument("--merge-request", default="", help="IID: tác giả, người đẩy, người "
                        f"duyệt lấy từ GitLab (CI_API_V4_URL, CI_PROJECT_ID, {READ_TOKEN})")
    source.add_argument("--merged-commit", default="",
                        help="bản sửa (commit) đã hợp nhất: tìm yêu cầu hợp nhất của nó trên "
                        "GitLab")
    judge.add_argument("--repo", default=".", help="kho git (mặc định .)")
    judge.add_argument("--max-count", type=int, default=Thresholds.max_count)
    judge.add_argument("--max-share", type=float, default=Thresholds.max_share)
    judge.add_argument("--no-codeowners", action="store_true", help="không kiểm tra CODEOWNERS")
    data = commands.add_parser("export-data", help="ghi dữ liệu (mailboxes/, approvals/) "
                               "của một bản sửa (commit), chỉ đọc qua git")
    data.add_argument("--repo", default=".")
    data.add_argument("--commit", required=True)
    data.add_argument("--to", required=True)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = {"codeowners": codeowners_command, "decide": decide_command,
               "export-data": export_data_command}[args.command]
    try:
        return command(args)
    except (GitError, GitLabError, OSError) as error:
        print(f"Lỗi: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
