"""The merge request's plan note and the reviewed plan, against a fake GitLab on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.change_request import pipeline_cli
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitlab_note import (
    MARKER,
    NOTE_LIMIT,
    note_body,
)
from gitlab_fake import FakeGitLab

PLAN_V1 = ("# Kế hoạch thay đổi hộp thư điện tử công vụ @hungyen.gov.vn\n\n"
           "| Cấp mới (điểm a khoản 2 Điều 6) | `create` | 1 |\n")
PLAN_V2 = PLAN_V1.replace("| 1 |", "| 2 |")


@pytest.fixture(name="gitlab")
def fixture_gitlab():
    with FakeGitLab() as fake:
        fake.notes["7"] = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": "Một ý kiến khác"},
                           {"id": 3, "body": "Thêm một ý kiến"}]  # two pages of two
        yield fake


def env_for(gitlab: FakeGitLab, **extra) -> dict:
    return {"HYMAIL_GITLAB_NOTE_TOKEN": gitlab.token,
            "HYMAIL_GITLAB_READ_TOKEN": gitlab.read_token, "CI_API_V4_URL": gitlab.api_url,
            "CI_PROJECT_ID": gitlab.project, "CI_MERGE_REQUEST_IID": "7",
            "CI_COMMIT_SHA": "a" * 40, "CI_JOB_URL": "https://gitlab.example/p/-/jobs/5"} | extra


def push(tmp_path, env: dict, plan: str) -> int:
    (tmp_path / "plan.md").write_text(plan, "utf-8")
    return pipeline_cli.main(["publish-note", "--plan", str(tmp_path / "plan.md")], env)


def plan_notes(gitlab: FakeGitLab) -> list[dict]:
    return [note for note in gitlab.notes["7"] if MARKER in note["body"]]


@pytest.mark.clock  # the note says when it was posted
def test_first_push_creates_the_note_second_push_updates_it_in_place(gitlab, tmp_path, capsys):
    assert push(tmp_path, env_for(gitlab), PLAN_V1) == 0
    [note] = plan_notes(gitlab)
    assert PLAN_V1 in note["body"] and "đã tạo" in capsys.readouterr().out
    assert push(tmp_path, env_for(gitlab, CI_COMMIT_SHA="b" * 40), PLAN_V2) == 0
    assert plan_notes(gitlab) == [{"id": note["id"], "body": plan_notes(gitlab)[0]["body"]}]
    assert PLAN_V2 in plan_notes(gitlab)[0]["body"] and "bbbbbbbbbbbb" in note["body"]
    assert "đã cập nhật" in capsys.readouterr().out
    assert [c for c in gitlab.calls if c[0] != "GET"] == [
        ("POST", "/api/v4/projects/1/merge_requests/7/notes"),
        ("PUT", f"/api/v4/projects/1/merge_requests/7/notes/{note['id']}")]
    assert len(gitlab.notes["7"]) == 4


def test_without_a_token_the_note_is_skipped_with_a_clear_message(gitlab, tmp_path, capsys):
    assert push(tmp_path, env_for(gitlab, HYMAIL_GITLAB_NOTE_TOKEN=""), PLAN_V1) == 0
    out = capsys.readouterr().out
    assert "HYG001" in out and "HYMAIL_GITLAB_NOTE_TOKEN" in out and "bỏ qua" in out
    assert gitlab.calls == [] and not plan_notes(gitlab)


@pytest.mark.clock
def test_a_refused_token_fails_the_job_with_what_to_check(gitlab, tmp_path, capsys):
    assert push(tmp_path, env_for(gitlab, HYMAIL_GITLAB_NOTE_TOKEN="wrong"), PLAN_V1) == 1
    assert "HYG002 GitLab trả lời 401" in capsys.readouterr().err


def test_a_huge_plan_is_cut_to_the_note_limit():
    body = note_body("x" * (NOTE_LIMIT + 10), {"sha": "c" * 40, "at": "now"})
    assert len(body) <= NOTE_LIMIT and body.startswith(MARKER) and "build/plan.md" in body[-200:]
    assert "xem tệp kế hoạch đầy đủ (artifact) build/plan.md" in body[-200:]


def test_reviewed_plan_is_the_plan_artifact_of_the_merged_request(gitlab, tmp_path):
    plan = json.dumps({"domain": "hungyen.gov.vn", "changes": []}).encode()
    gitlab.merged(3, "m" * 40, "h" * 40, plan)
    output = tmp_path / "reviewed" / "plan.json"
    env = env_for(gitlab, CI_COMMIT_SHA="m" * 40)
    assert pipeline_cli.main(["reviewed-plan", "--output", str(output)], env) == 0
    assert output.read_bytes() == plan
    assert output.stat().st_mode & 0o777 == 0o600  # it names every official


def test_no_reviewed_plan_for_a_commit_outside_a_merge_request(gitlab, tmp_path, capsys):
    env = env_for(gitlab, CI_COMMIT_SHA="d" * 40)
    assert pipeline_cli.main(["reviewed-plan", "--output", str(tmp_path / "p.json")], env) == 1
    assert "HYG004" in capsys.readouterr().err and not (tmp_path / "p.json").exists()


def test_no_reviewed_plan_without_a_token(tmp_path, capsys):
    assert pipeline_cli.main(["reviewed-plan", "--output", str(tmp_path / "p.json")], {}) == 1
    assert "HYG001" in capsys.readouterr().err


@pytest.mark.clock
def test_the_read_token_cannot_post_the_note(gitlab, tmp_path, capsys):
    """Each token does one thing: the facts' read_api token is refused by the notes API."""
    env = env_for(gitlab, HYMAIL_GITLAB_NOTE_TOKEN=gitlab.read_token)
    assert push(tmp_path, env, PLAN_V1) == 1
    assert "HYG002 GitLab trả lời 403" in capsys.readouterr().err and not plan_notes(gitlab)


@pytest.mark.parametrize(("at", "shown"), [
    ("2026-11-29T08:02:11+00:00", "lúc 15:02 ngày 29/11/2026,"),  # Vietnam's time, no ISO
    ("2026-11-28T22:14:05+00:00", "lúc 05:14 ngày 29/11/2026,"),  # the 29th in Hưng Yên
    ("không phải giờ", "lúc `không phải giờ`,"),  # anything else stays a code span
])
def test_the_note_says_when_in_vietnam_time_and_names_the_artifact_in_words(at, shown):
    body = note_body(PLAN_V1, {"sha": "c" * 40, "at": at,
                               "job_url": "https://gitlab.example/p/-/jobs/5"})
    head = body.splitlines()[1]
    assert head.startswith("_Kế hoạch lập từ bản sửa (commit) `cccccccccccc` ")
    assert shown in head and "T0" not in head and "+00:00" not in head and "UTC" not in head
    assert "[tệp kế hoạch đầy đủ (artifact)](https://gitlab.example/p/-/jobs/5/artifacts/" \
        "browse/build)_" in head
