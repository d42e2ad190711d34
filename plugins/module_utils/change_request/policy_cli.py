"""The policy entry point shared by the module, the command line and the tests.

    policy_cli codeowners [--write|--check]          (make codeowners)
    policy_cli decide --base origin/main --head HEAD --author vanthu-anvien
(``PYTHONPATH=.collections python -m <collection>.plugins.module_utils.change_request.policy_cli``)

``codeowners`` works on the checkout (the files as they are now); ``decide`` on two commits.
Exit status: 0 allowed / current, 1 refused / stale, 2 cannot read git or the files.
"""

from __future__ import annotations

import argparse
import os
import sys

from .gitfiles import GitError, files_at
from .policy import CODEOWNERS, MAILBOXES, Thresholds, codeowners_text, codeowners_violation, decide


def run_policy(params: dict) -> dict:
    """Read base and head from git, decide, and check CODEOWNERS at head when asked.

    ``params``: repository, base, head, author, schema_dir, destroy_max_count,
    destroy_max_share, check_codeowners (the module's options). Raises GitError.
    """
    repository = params.get("repository") or "."
    base = files_at(params["base"], repository)
    head = files_at(params.get("head") or "HEAD", repository)
    thresholds = Thresholds(int(params.get("destroy_max_count", 10)),
                            float(params.get("destroy_max_share", 0.05)))
    decision = decide(base, head, params.get("author") or "", thresholds=thresholds,
                      schema_dir=params.get("schema_dir"))
    stale = codeowners_violation(head) if params.get("check_codeowners", True) else None
    if stale:
        decision.violations.append(stale)
        decision.allowed = False
    return decision.to_dict()


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
              "author": args.author, "destroy_max_count": args.max_count,
              "destroy_max_share": args.max_share, "check_codeowners": not args.no_codeowners}
    result = run_policy(params)
    print(result["summary"])
    return 0 if result["allowed"] else 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="policy_cli",
                                  description="Chính sách thay đổi hộp thư công vụ Hưng Yên.")
    commands = top.add_subparsers(dest="command", required=True)
    owners = commands.add_parser("codeowners", help="sinh CODEOWNERS từ owners (in ra)")
    owners.add_argument("--root", default=".", help="thư mục gốc của kho (mặc định .)")
    mode = owners.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="ghi đè CODEOWNERS")
    mode.add_argument("--check", action="store_true", help="lỗi nếu CODEOWNERS chưa cập nhật")
    judge = commands.add_parser("decide", help="thay đổi base..head của author có được phép?")
    judge.add_argument("--base", default=os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
                       or "origin/main")
    judge.add_argument("--head", default="HEAD")
    judge.add_argument("--author", default=os.environ.get("GITLAB_USER_LOGIN", ""))
    judge.add_argument("--repo", default=".", help="kho git (mặc định .)")
    judge.add_argument("--max-count", type=int, default=Thresholds.max_count)
    judge.add_argument("--max-share", type=float, default=Thresholds.max_share)
    judge.add_argument("--no-codeowners", action="store_true", help="không kiểm tra CODEOWNERS")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = codeowners_command if args.command == "codeowners" else decide_command
    try:
        return command(args)
    except (GitError, OSError) as error:
        print(f"Lỗi: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
