"""The merge request's facts from GitLab: parsing tables, then the calls against the fake."""

from __future__ import annotations

import pathlib
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.change_request import gitlab_review
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitlab_note import (
    GitLab,
    GitLabError,
)
from gitlab_fake import FakeGitLab

PUSH = "2026-12-06T03:00:00.000Z"  # the latest version
BEFORE, AFTER, LATER = "2026-12-06T02:59:59Z", "2026-12-06T03:00:01Z", "2026-12-06T03:10:00Z"


def note(user, body, at, system=True, ident=1):
    return {"id": ident, "body": body, "system": system, "author": {"username": user},
            "created_at": at}


APPROVER_CASES = [
    ("approved after the last push", [note("pheduyet", "approved this merge request", AFTER)],
     {"pheduyet"}),
    ("approved before the last push", [note("pheduyet", "approved this merge request", BEFORE)],
     set()),
    ("approved at the very moment of the push", [note("p", "approved this merge request", PUSH)],
     set()),
    ("approved, then revoked", [note("p", "approved this merge request", AFTER, ident=1),
                                note("p", "unapproved this merge request", LATER, ident=2)],
     set()),
    ("revoked before the push, approved again after",
     [note("p", "approved this merge request", BEFORE, ident=1),
      note("p", "unapproved this merge request", BEFORE, ident=2),
      note("p", "approved this merge request", LATER, ident=3)], {"p"}),
    ("a comment that says the words is not an approval",
     [note("vanthu", "approved this merge request", AFTER, system=False)], set()),
    ("other system notes", [note("p", "added 1 commit", AFTER)], set()),
    ("notes out of order are read in time order",
     [note("p", "unapproved this merge request", LATER, ident=9),
      note("p", "approved this merge request", AFTER, ident=8)], set()),
    ("two approvers", [note("a", "approved this merge request", AFTER, ident=1),
                       note("b", "approved this merge request", LATER, ident=2)], {"a", "b"}),
]


@pytest.mark.parametrize("notes, expected", [c[1:] for c in APPROVER_CASES],
                         ids=[c[0] for c in APPROVER_CASES])
def test_approvers_count_only_when_in_force_and_after_the_last_push(notes, expected):
    assert gitlab_review.approvers_since(notes, PUSH) == expected


def push_event(user, ref, action="pushed", ref_type="branch"):
    return {"author_username": user, "push_data": {"ref": ref, "ref_type": ref_type,
                                                   "action": action}}


PUSHER_CASES = [
    ("the author alone", [push_event("vanthu", "them-nguoi")], {"vanthu"}),
    ("a second user on the branch", [push_event("vanthu", "them-nguoi"),
                                     push_event("khac", "them-nguoi")], {"vanthu", "khac"}),
    ("pushes to other branches do not count", [push_event("khac", "main"),
                                               push_event("khac", "them-nguoi-2")], set()),
    ("a tag of the same name is not the branch", [push_event("khac", "them-nguoi",
                                                             ref_type="tag")], set()),
    ("deleting the branch is not a push of commits",
     [push_event("khac", "them-nguoi", action="removed")], set()),
    ("no push data", [{"author_username": "khac"}], set()),
]


@pytest.mark.parametrize("events, expected", [c[1:] for c in PUSHER_CASES],
                         ids=[c[0] for c in PUSHER_CASES])
def test_pushers_are_who_pushed_to_the_source_branch(events, expected):
    assert gitlab_review.pushers_of(events, "them-nguoi") == expected


VERSION_CASES = [
    ("newest first", [{"id": 2, "head_commit_sha": "b", "created_at": LATER},
                      {"id": 1, "head_commit_sha": "a", "created_at": AFTER}], "b"),
    ("listed oldest first", [{"id": 1, "head_commit_sha": "a", "created_at": AFTER},
                             {"id": 2, "head_commit_sha": "b", "created_at": LATER}], "b"),
    ("same time: the higher id", [{"id": 1, "head_commit_sha": "a", "created_at": AFTER},
                                  {"id": 2, "head_commit_sha": "b", "created_at": AFTER}], "b"),
]


@pytest.mark.parametrize("versions, head", [c[1:] for c in VERSION_CASES],
                         ids=[c[0] for c in VERSION_CASES])
def test_the_latest_version_is_the_newest_push(versions, head):
    assert gitlab_review.latest_version(versions)["head_commit_sha"] == head


@pytest.mark.parametrize("request_, versions", [
    ({"iid": 1, "author": {"username": "v"}}, []),
    ({"iid": 1, "author": None}, [{"id": 1, "head_commit_sha": "a", "created_at": AFTER}]),
], ids=["no version", "no author"])
def test_missing_facts_fail_with_hyg006(request_, versions):
    with pytest.raises(GitLabError, match="HYG006"):
        gitlab_review.review_from(request_, versions, [], [])


@pytest.fixture(name="gitlab")
def fixture_gitlab():
    with FakeGitLab() as fake:
        fake.merge_request(4, "vanthu-anvien", "them-nguoi")
        fake.push(4, "vanthu-anvien", "a" * 40, "2026-12-06T01:00:00Z")
        fake.approve(4, "pheduyet-sotttt", "2026-12-06T01:30:00Z")   # approves the first head
        fake.push(4, "vanthu-anvien", "b" * 40, PUSH)
        fake.approve(4, "reviewer2", AFTER)
        yield fake


def test_read_review_with_a_read_api_token(gitlab):
    review = gitlab_review.read_review(GitLab(gitlab.api_url, gitlab.project,
                                              gitlab.read_token), "4")
    assert (review.author, review.head, review.source_branch) == (
        "vanthu-anvien", "b" * 40, "them-nguoi")
    assert review.approvers == {"reviewer2"}  # the first approval predates the last push
    assert review.pushers == {"vanthu-anvien"}
    gitlab_review.check_head(review, "b" * 40)
    with pytest.raises(GitLabError, match="HYG007"):
        gitlab_review.check_head(review, "a" * 40)


def test_gitlab_unreachable_fails_with_hyg002(gitlab):
    gitlab.down = True
    with pytest.raises(GitLabError, match="HYG002"):
        gitlab_review.read_review(GitLab(gitlab.api_url, gitlab.project, gitlab.read_token), "4")


def test_a_read_api_token_cannot_write(gitlab):
    client = GitLab(gitlab.api_url, gitlab.project, gitlab.read_token)
    with pytest.raises(GitLabError, match="403"):
        client.call("POST", "merge_requests/4/notes", {"body": "x"})


# A read: $GITLAB_USER_LOGIN, ${GITLAB_USER_LOGIN...}, or the name quoted (env lookups, environ).
READ = re.compile(r"""\$\{?GITLAB_USER_LOGIN\b|['"]GITLAB_USER_LOGIN['"]""")


def _reads_of_the_triggering_user():
    """file:line of every read of GITLAB_USER_LOGIN in the pipeline, playbooks and plugins:
    whoever started or retried a pipeline is no authority."""
    root = pathlib.Path(__file__).resolve().parents[2]
    files = [root / ".gitlab-ci.yml", root / "Makefile",
             *sorted((root / "playbooks").rglob("*.yml")),
             *sorted((root / "plugins").rglob("*.py"))]
    for path in files:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if READ.search(line.split("#", 1)[0]):
                yield f"{path.relative_to(root)}:{number}"


def test_nothing_reads_gitlab_user_login():
    assert not list(_reads_of_the_triggering_user())
