"""The pipeline's GitLab steps, from the CI job's environment.

    make plan-note        # publish-note --plan build/plan.md
    make code-warnings    # code-warnings --repo R --base TARGET --head HEAD --plan build/plan.md
    make reviewed-plan    # reviewed-plan --output build/reviewed/plan.json
(``python -m <collection>.plugins.module_utils.change_request.pipeline_cli``, Makefile)

``publish-note`` skips with a message (exit 0) when there is no token; ``reviewed-plan``
cannot, since apply refuses to run without the plan the reviewers saw (exit 1).
Each step has its own token, an environment-scoped CI variable only its job reaches:
HYMAIL_GITLAB_NOTE_TOKEN (Reporter, ``api``: posts the note), HYMAIL_GITLAB_READ_TOKEN
(Reporter, ``read_api``: the reviewed plan, and the policy's facts). Also CI_API_V4_URL,
CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_COMMIT_SHA, CI_JOB_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..common import clock
from ..common.files import replace_atomically
from ..common.glossary import GENERIC_OPERATOR, number
from ..plan.markdown import code
from .gitfiles import GitError, non_data, tree_changes
from .gitlab_messages import render
from .gitlab_note import FULL_PLAN, GitLab, GitLabError, note_body, publish, reviewed_plan

NOTE_TOKEN = "HYMAIL_GITLAB_NOTE_TOKEN"
READ_TOKEN = "HYMAIL_GITLAB_READ_TOKEN"


def gitlab_from(env, name: str) -> GitLab | None:
    """The API client of the job's project with the token ``name``, or None without it."""
    token = env.get(name, "").strip()
    if not token:
        return None
    return GitLab(env.get("CI_API_V4_URL", ""), env.get("CI_PROJECT_ID", ""), token)


def publish_command(args, env) -> int:
    gitlab, iid = gitlab_from(env, NOTE_TOKEN), env.get("CI_MERGE_REQUEST_IID", "")
    if gitlab is None:
        print(render("HYG001", token=NOTE_TOKEN, consequence="bỏ qua việc đăng kế hoạch lên yêu "
                     f"cầu hợp nhất; kế hoạch vẫn có trong {FULL_PLAN} {args.plan}"))
        return 0
    if not iid:
        print(render("HYG003"))
        return 0
    with open(args.plan, encoding="utf-8") as handle:
        markdown = handle.read()
    context = {"sha": env.get("CI_COMMIT_SHA", "?"), "job_url": env.get("CI_JOB_URL"),
               "at": clock.now().isoformat()}
    done = publish(gitlab, iid, note_body(markdown, context))
    words = {"created": "đã tạo", "updated": "đã cập nhật", "unchanged": "không đổi"}
    print(f"Ghi chú kế hoạch trên !{iid}: {words[done['action']]} (ghi chú số "
          f"{done['note_id']}).")
    return 0


def reviewed_command(args, env) -> int:
    gitlab = gitlab_from(env, READ_TOKEN)
    if gitlab is None:
        print(render("HYG001", token=READ_TOKEN, consequence="không lấy được kế hoạch đã duyệt, "
                     "nên không áp dụng"), file=sys.stderr)
        return 1
    content, origin = reviewed_plan(gitlab, env.get("CI_COMMIT_SHA", ""))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    replace_atomically(args.output, content, 0o600)  # names every official: owner only
    print(f"Kế hoạch đã duyệt: !{origin['merge_request']}, lượt kiểm tra (pipeline) "
          f"{origin['pipeline']}, bước (job) {origin['job']} → {args.output}")
    print(json.dumps(origin))
    return 0


def code_warning_block(items: list[tuple[str, str]]) -> list[str]:
    """The plan's block for what a merge request changes besides agency data (HP040)."""
    if not items:
        return []
    lines = [f"> **⚠️ THAY ĐỔI NGOÀI DỮ LIỆU HỘP THƯ: {number(len(items))} tệp** — mã, cấu "
             "hình hoặc tệp khác ngoài mailboxes/, approvals/ và CODEOWNERS; chỉ "
             f"{GENERIC_OPERATOR} được thay đổi (HP040), người duyệt đọc kỹ từng tệp", ">"]
    return lines + [f"> - {code(path)} ({why})" for path, why in items] + [""]


def with_code_warnings(markdown: str, items: list[tuple[str, str]]) -> str:
    """``markdown`` (a plan) with the block before its first block or agency section."""
    block = code_warning_block(items)
    if not block:
        return markdown
    lines = markdown.splitlines()
    at = next((i for i, line in enumerate(lines) if i and line.startswith((">", "## "))),
              len(lines))
    return "\n".join(lines[:at] + block + lines[at:]) + "\n"


def code_warnings_command(args, env) -> int:
    del env  # git alone answers
    items = non_data(tuple(tree_changes(args.base, args.head, args.repo)))
    with open(args.plan, encoding="utf-8") as handle:
        markdown = handle.read()
    replace_atomically(args.plan, with_code_warnings(markdown, items), 0o600)
    print(f"Thay đổi ngoài dữ liệu hộp thư: {number(len(items))} tệp.")
    return 0


COMMANDS = {"publish-note": publish_command, "reviewed-plan": reviewed_command,
            "code-warnings": code_warnings_command}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="pipeline_cli",
                                  description="Các bước GitLab của kiểm tra tự động "
                                  "(pipeline) hộp thư điện tử công vụ.")
    commands = top.add_subparsers(dest="command", required=True)
    note = commands.add_parser("publish-note", help="đăng hoặc cập nhật ghi chú kế hoạch")
    note.add_argument("--plan", default="build/plan.md", help="kế hoạch Markdown")
    fetch = commands.add_parser("reviewed-plan", help="tải kế hoạch đã duyệt của bản sửa (commit)")
    fetch.add_argument("--output", default="build/reviewed/plan.json")
    warn = commands.add_parser("code-warnings",
                               help="ghi vào kế hoạch các tệp ngoài dữ liệu hộp thư bị thay đổi")
    warn.add_argument("--repo", default=".", help="kho git (mặc định .)")
    warn.add_argument("--base", required=True, help="đầu nhánh đích")
    warn.add_argument("--head", required=True, help="bản sửa (commit) được xét")
    warn.add_argument("--plan", default="build/plan.md", help="kế hoạch Markdown")
    return top


def main(argv: list[str] | None = None, env=None) -> int:
    args = parser().parse_args(argv)
    command = COMMANDS[args.command]
    try:
        return command(args, os.environ if env is None else env)
    except GitLabError as error:
        print(str(error), file=sys.stderr)
        return 1
    except (GitError, OSError) as error:
        print(f"Lỗi: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
