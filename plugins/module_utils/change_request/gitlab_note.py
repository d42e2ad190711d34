"""The merge request's plan note, and the reviewed plan an apply fetches back (GitLab API v4).

One note per merge request, found by a hidden marker and edited in place on each push;
the token is a project access token from a CI variable, sent only as ``PRIVATE-TOKEN``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from ..plan.markdown import code, moment
from .gitlab_messages import render

MARKER = "<!-- hymail-plan-note -->"
NOTE_LIMIT = 1_000_000  # GitLab refuses longer notes
TIMEOUT = 30
# The job's artifact, named as GitLab's button names it.
FULL_PLAN = "tệp kế hoạch đầy đủ (artifact)"


class GitLabError(RuntimeError):
    """The GitLab API refused or could not be reached; the message starts with its code."""


class GitLab:
    """A few calls of the REST API v4 for one project."""

    def __init__(self, api_url: str, project: str, token: str, timeout: float = TIMEOUT):
        self.api_url = api_url.rstrip("/")
        self.project = urllib.parse.quote(str(project), safe="")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: dict | None = None, raw: bool = False):
        """One request; JSON in and out (``raw`` returns the bytes), with the next page."""
        url = f"{self.api_url}/projects/{self.project}/{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "PRIVATE-TOKEN": self.token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content, next_page = response.read(), response.headers.get("X-Next-Page")
        except urllib.error.HTTPError as error:
            raise GitLabError(render("HYG002",
                                     detail=f"trả lời {error.code} cho {method} {path}")) from error
        except (urllib.error.URLError, OSError) as error:
            raise GitLabError(render("HYG002", detail=f"không kết nối được ở {self.api_url}: "
                                     f"{error}")) from error
        return (content if raw else json.loads(content or b"null")), next_page

    def pages(self, path: str):
        """Every item of a paginated list."""
        page = "1"
        while page:
            separator = "&" if "?" in path else "?"
            items, page = self.call("GET", f"{path}{separator}per_page=100&page={page}")
            yield from items


def note_body(markdown: str, context: dict) -> str:
    """The note: marker, what it was planned from, then the plan (cut to GitLab's limit).

    The plan's values are code spans already (``plan.markdown``); so are these. The time is
    Vietnam's (``lúc 15:02 ngày 29/11/2026``), never the stored UTC stamp."""
    head = [MARKER, f"_Kế hoạch lập từ bản sửa (commit) {code(str(context.get('sha', '?'))[:12])}"
                    f" lúc {moment(context.get('at', '?'))}"]
    if context.get("job_url"):
        head[-1] += f", [{FULL_PLAN}]({context['job_url']}/artifacts/browse/build)"
    text = "\n".join(head) + "_\n\n" + markdown
    if len(text) <= NOTE_LIMIT:
        return text
    cut = f"\n\n**…Kế hoạch quá dài, đã cắt bớt: xem {FULL_PLAN} build/plan.md.**\n"
    # Cut at a line's end: half a code span would let the rest of its value be Markdown.
    return text[:NOTE_LIMIT - len(cut)].rsplit("\n", 1)[0] + cut


def publish(gitlab: GitLab, iid: str, body: str) -> dict:
    """Create the plan note on the first push, edit it in place afterwards."""
    path = f"merge_requests/{iid}/notes"
    for note in gitlab.pages(f"{path}?sort=asc&order_by=created_at"):
        if MARKER in (note.get("body") or ""):
            if note["body"] == body:
                return {"action": "unchanged", "note_id": note["id"]}
            gitlab.call("PUT", f"{path}/{note['id']}", {"body": body})
            return {"action": "updated", "note_id": note["id"]}
    created, _next_page = gitlab.call("POST", path, {"body": body})
    return {"action": "created", "note_id": created["id"]}


def reviewed_plan(gitlab: GitLab, sha: str, job: str = "plan",
                  artifact: str = "build/plan.json") -> tuple[bytes, dict]:
    """The plan artifact of the merged request's last pipeline, with where it came from."""
    request = merged_request(gitlab, sha)
    pipeline = _head_pipeline(gitlab, request)
    jobs = [j for j in gitlab.pages(f"pipelines/{pipeline['id']}/jobs")
            if j.get("name") == job and j.get("status") == "success"]
    if not jobs:
        raise GitLabError(render("HYG005", iid=request["iid"], why=f"pipeline {pipeline['id']} "
                                 f"không có job {job} thành công"))
    content, _next_page = gitlab.call("GET", f"jobs/{jobs[0]['id']}/artifacts/{artifact}", raw=True)
    origin = {"merge_request": request["iid"], "pipeline": pipeline["id"],
              "job": jobs[0]["id"], "sha": pipeline.get("sha")}
    return content, origin


def merged_request(gitlab: GitLab, sha: str) -> dict:
    """The merged request whose merge (or squash, or fast-forward head) is ``sha``."""
    for request in gitlab.pages(f"repository/commits/{sha}/merge_requests"):
        ends = {request.get(key) for key in ("merge_commit_sha", "squash_commit_sha", "sha")}
        if request.get("state") == "merged" and sha in ends:
            return request
    raise GitLabError(render("HYG004", sha=sha[:12]))


def _head_pipeline(gitlab: GitLab, request: dict) -> dict:
    """The request's newest successful pipeline for its last reviewed commit."""
    for pipeline in gitlab.pages(f"merge_requests/{request['iid']}/pipelines"):
        if pipeline.get("sha") == request.get("sha") and pipeline.get("status") == "success":
            return pipeline
    raise GitLabError(render("HYG005", iid=request["iid"],
                             why="không có pipeline thành công cho commit cuối cùng"))
