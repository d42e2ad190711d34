"""Who wrote, pushed and approved a merge request, from GitLab's API (GitLab Free, v4).

The policy judges these facts, never the job's ``GITLAB_USER_LOGIN`` (whoever started or
retried the pipeline). Every call is a GET that a Reporter ``read_api`` token may make:

- ``merge_requests/:iid``: the author (``author.username``), the source branch, the merger;
- ``merge_requests/:iid/versions``: the diff versions, newest first; the latest one's
  ``head_commit_sha`` must be the commit judged and its ``created_at`` is the last push;
- ``merge_requests/:iid/notes``: approvals with their times. GitLab Free has the Approve
  button but not the approval-state API with times; each approval and revocation leaves a
  system note ("approved this merge request", "unapproved this merge request") by the
  approver, which no user can write through the API (``system`` is set by GitLab alone);
- ``events?action=pushed``: who pushed to the source branch (``push_data.ref``).

An approval counts only when it is in force and later than the latest version: a reviewer
who approved an older head approves again after the push (revoke, then approve).
Parsing is pure (the functions below take the API's JSON); ``read_review`` does the calls.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .gitlab_messages import render
from .gitlab_note import GitLab, GitLabError

APPROVED = "approved this merge request"
UNAPPROVED = "unapproved this merge request"


@dataclass(frozen=True)
class Review:
    """What GitLab says about one merge request; user names as GitLab spells them."""

    iid: str
    author: str
    source_branch: str
    head: str                 # the latest diff version's head commit
    pushed_at: str            # when that version was created (the last push)
    approvers: frozenset[str]  # approvals in force, given after ``pushed_at``
    pushers: frozenset[str]   # everyone who pushed to the source branch
    merger: str = ""          # who merged it ('' while open)


def parse_time(text: str) -> datetime.datetime:
    """GitLab's ISO 8601 time (``2026-12-06T04:33:43.123Z``) as an aware datetime."""
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"thời điểm không có múi giờ: {text!r}")
    return moment


def latest_version(versions: list[dict]) -> dict:
    """The newest diff version (highest id: GitLab lists them newest first, not promised)."""
    usable = [v for v in versions if v.get("head_commit_sha") and v.get("created_at")]
    if not usable:
        raise GitLabError(render("HYG006", detail="không có phiên bản thay đổi (versions) nào"))
    return max(usable, key=lambda version: (parse_time(version["created_at"]),
                                            int(version.get("id") or 0)))


def approvers_since(notes: list[dict], since: str) -> frozenset[str]:
    """Users whose approval is in force and was given after ``since`` (system notes only)."""
    state: dict[str, datetime.datetime | None] = {}
    for note in sorted((n for n in notes if n.get("system")), key=_note_order):
        body = (note.get("body") or "").strip().lower()
        name = ((note.get("author") or {}).get("username") or "").strip()
        if name and body == APPROVED:
            state[name] = parse_time(note["created_at"])
        elif name and body == UNAPPROVED:
            state[name] = None
    after = parse_time(since)
    return frozenset(name for name, at in state.items() if at is not None and at > after)


def _note_order(note: dict) -> tuple:
    return parse_time(note["created_at"]), int(note.get("id") or 0)


def pushers_of(events: list[dict], branch: str) -> frozenset[str]:
    """Who pushed commits to ``branch`` (a branch push event whose ref is the branch)."""
    found = set()
    for event in events:
        data = event.get("push_data") or {}
        if data.get("ref") != branch or data.get("ref_type", "branch") != "branch":
            continue
        name = event.get("author_username") or (event.get("author") or {}).get("username")
        if name and data.get("action", "pushed") != "removed":
            found.add(name)
    return frozenset(found)


def review_from(request: dict, versions: list[dict], notes: list[dict],
                events: list[dict]) -> Review:
    """The facts of one merge request from the four API answers."""
    author = ((request.get("author") or {}).get("username") or "").strip()
    if not author:
        raise GitLabError(render("HYG006", detail="yêu cầu hợp nhất không có tác giả"))
    version = latest_version(versions)
    merger = request.get("merge_user") or request.get("merged_by") or {}
    return Review(str(request.get("iid", "")), author, request.get("source_branch", ""),
                  version["head_commit_sha"], version["created_at"],
                  approvers_since(notes, version["created_at"]),
                  pushers_of(events, request.get("source_branch", "")),
                  (merger.get("username") or "").strip())


def read_review(gitlab: GitLab, iid: str) -> Review:
    """Ask GitLab for the merge request's facts; GitLabError (HYG002) when it cannot."""
    request, _next_page = gitlab.call("GET", f"merge_requests/{iid}")
    base = f"merge_requests/{iid}"
    return review_from(request, list(gitlab.pages(f"{base}/versions")),
                       list(gitlab.pages(f"{base}/notes?sort=asc&order_by=created_at")),
                       list(gitlab.pages("events?action=pushed")))


def check_head(review: Review, head: str) -> None:
    """The commit judged must be the merge request's latest version (HYG007 otherwise)."""
    if review.head != head:
        raise GitLabError(render("HYG007", iid=review.iid, head=head[:12],
                                 latest=review.head[:12]))
