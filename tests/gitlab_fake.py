"""A fake GitLab API v4 on 127.0.0.1 for the tests: merge request notes, the calls an apply
makes to find the reviewed plan (commit -> merge request -> pipeline -> plan job), the facts
the policy reads (author, diff versions, approvals as system notes, push events), and the
default branch's artifacts a job fetches with its ``JOB-TOKEN``.

Tokens have a scope: ``token`` (api) may write, ``read_token`` (read_api) only GET, and the
job token only the artifacts route."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = (
    ("GET", r"merge_requests/(?P<iid>\d+)", "get_request"),
    ("GET", r"merge_requests/(?P<iid>\d+)/versions", "list_versions"),
    ("GET", r"events", "list_events"),
    ("GET", r"jobs/artifacts/(?P<ref>[^/]+)/raw/(?P<path>.+)", "branch_artifact"),
    ("GET", r"merge_requests/(?P<iid>\d+)/notes", "list_notes"),
    ("POST", r"merge_requests/(?P<iid>\d+)/notes", "create_note"),
    ("PUT", r"merge_requests/(?P<iid>\d+)/notes/(?P<note>\d+)", "update_note"),
    ("GET", r"repository/commits/(?P<sha>\w+)/merge_requests", "commit_requests"),
    ("GET", r"merge_requests/(?P<iid>\d+)/pipelines", "request_pipelines"),
    ("GET", r"pipelines/(?P<pipeline>\d+)/jobs", "pipeline_jobs"),
    ("GET", r"jobs/(?P<job>\d+)/artifacts/(?P<path>.+)", "artifact"),
)


class FakeGitLab:
    """State of the fake: notes per merge request, merged requests, pipelines, artifacts."""

    def __init__(self, token: str = "glpat-test-token", project: str = "1", page_size: int = 2,
                 read_token: str = "glpat-read-token", job_token: str = "glcbt-job-token"):
        self.token, self.project, self.page_size = token, project, page_size
        self.read_token, self.job_token = read_token, job_token
        self.notes: dict[str, list[dict]] = {}
        self.merge_requests: dict[str, dict] = {}   # iid -> the merge request
        self.versions: dict[str, list[dict]] = {}   # iid -> diff versions, newest first
        self.events: list[dict] = []                # push events of the project, newest first
        self.branch_artifacts: dict[tuple[str, str, str], bytes] = {}  # (ref, job, path)
        self.down = False                           # every call answers 503
        self.requests: dict[str, list[dict]] = {}   # commit sha -> merge requests
        self.pipelines: dict[str, list[dict]] = {}  # iid -> pipelines
        self.jobs: dict[str, list[dict]] = {}       # pipeline id -> jobs
        self.artifacts: dict[tuple[str, str], bytes] = {}
        self.calls: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v4"

    def __enter__(self) -> FakeGitLab:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def merged(self, iid: int, merge_sha: str, head_sha: str, plan: bytes) -> None:
        """A merged request whose pipeline's plan job left ``plan`` as build/plan.json."""
        self.requests[merge_sha] = [{"iid": iid, "state": "merged", "sha": head_sha,
                                     "merge_commit_sha": merge_sha}]
        self.pipelines[str(iid)] = [{"id": 500 + iid, "sha": head_sha, "status": "success"}]
        self.jobs[str(500 + iid)] = [{"id": 900 + iid, "name": "plan", "status": "success"}]
        self.artifacts[(str(900 + iid), "build/plan.json")] = plan

    def merge_request(self, iid: int, author: str, branch: str, *,
                      merged_by: str | None = None) -> dict:
        """An open (or, with ``merged_by``, merged) merge request of ``author``."""
        request = {"iid": iid, "author": {"username": author}, "source_branch": branch,
                   "state": "merged" if merged_by else "opened",
                   "merge_user": {"username": merged_by} if merged_by else None}
        self.merge_requests[str(iid)] = request
        self.versions.setdefault(str(iid), [])
        self.notes.setdefault(str(iid), [])
        return request

    def push(self, iid: int, user: str, sha: str, at: str) -> None:
        """``user`` pushes ``sha`` to the request's branch at ``at``: an event, a new version."""
        request = self.merge_requests[str(iid)]
        versions = self.versions[str(iid)]
        versions.insert(0, {"id": 700 + len(versions), "head_commit_sha": sha,
                            "created_at": at, "state": "collected"})
        self.events.insert(0, {"action_name": "pushed to", "author_username": user,
                               "author": {"username": user}, "created_at": at,
                               "push_data": {"ref": request["source_branch"],
                                             "ref_type": "branch", "action": "pushed",
                                             "commit_to": sha}})
        request["sha"] = sha

    def approve(self, iid: int, user: str, at: str, undo: bool = False) -> None:
        """The system note GitLab writes when ``user`` approves (or revokes) at ``at``."""
        notes = self.notes.setdefault(str(iid), [])
        body = "unapproved this merge request" if undo else "approved this merge request"
        notes.append({"id": 300 + sum(len(n) for n in self.notes.values()), "body": body,
                      "system": True, "author": {"username": user}, "created_at": at})

    # --- route handlers: (status, body) --------------------------------------------------

    def get_request(self, iid, body, page):
        request = self.merge_requests.get(iid)
        return (200, request) if request else (404, {"message": "404 Not found"})

    def list_versions(self, iid, body, page):
        return 200, self.versions.get(iid, [])

    def list_events(self, body, page):
        return 200, self.events

    def branch_artifact(self, ref, path, body, page, job=""):
        content = self.branch_artifacts.get((ref, job, path))
        return (200, content) if content is not None else (404, {"message": "404 Not found"})

    def list_notes(self, iid, body, page):
        return 200, self.notes.get(iid, [])

    def create_note(self, iid, body, page):
        notes = self.notes.setdefault(iid, [])
        note = {"id": 100 + sum(len(n) for n in self.notes.values()), "body": body["body"]}
        notes.append(note)
        return 201, note

    def update_note(self, iid, note, body, page):
        for item in self.notes.get(iid, []):
            if str(item["id"]) == note:
                item["body"] = body["body"]
                return 200, item
        return 404, {"message": "404 Not found"}

    def commit_requests(self, sha, body, page):
        return 200, self.requests.get(sha, [])

    def request_pipelines(self, iid, body, page):
        return 200, self.pipelines.get(iid, [])

    def pipeline_jobs(self, pipeline, body, page):
        return 200, self.jobs.get(pipeline, [])

    def artifact(self, job, path, body, page):
        content = self.artifacts.get((job, path))
        return (200, content) if content is not None else (404, {"message": "404 Not found"})


def _handler(fake: FakeGitLab):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._send(*_dispatch(fake, "GET", self))

        def do_POST(self):
            self._send(*_dispatch(fake, "POST", self))

        def do_PUT(self):
            self._send(*_dispatch(fake, "PUT", self))

        def log_message(self, *args):
            pass

        def _send(self, status: int, data, page: int = 1) -> None:
            data, next_page = _page(data, page, fake.page_size)
            raw = data if isinstance(data, bytes) else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("X-Next-Page", next_page)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def _dispatch(fake: FakeGitLab, method: str, request) -> tuple:
    """(status, data, page) for one request: token first, then the first matching route."""
    path, _, query = request.path.partition("?")
    fake.calls.append((method, path))
    if fake.down:
        return 503, {"message": "503 Service Unavailable"}
    prefix = re.escape(f"/api/v4/projects/{fake.project}/")
    for verb, pattern, name in ROUTES:
        match = re.fullmatch(prefix + pattern, path)
        if verb == method and match:
            refused = _refused(fake, method, name, request.headers)
            if refused:
                return refused
            length = int(request.headers.get("Content-Length") or 0)
            body = json.loads(request.rfile.read(length)) if length else None
            arguments = dict(_pairs(query))
            page = int(arguments.get("page", "1"))
            extra = {"job": arguments["job"]} if name == "branch_artifact" else {}
            return (*getattr(fake, name)(**match.groupdict(), body=body, page=page, **extra),
                    page)
    return 404, {"message": "404 Not found"}


def _refused(fake: FakeGitLab, method: str, route: str, headers) -> tuple | None:
    """401/403 unless the token's scope allows the call (job token: artifacts only)."""
    if route == "branch_artifact" and headers.get("JOB-TOKEN") == fake.job_token:
        return None
    token = headers.get("PRIVATE-TOKEN")
    if token == fake.token or (token == fake.read_token and method == "GET"):
        return None
    if token == fake.read_token:
        return 403, {"message": "403 Forbidden - insufficient_scope"}
    return 401, {"message": "401 Unauthorized"}


def _page(data, page: int, size: int) -> tuple:
    """One page of a list, and the next page's number ('' on the last)."""
    if not isinstance(data, list):
        return data, ""
    start = (page - 1) * size
    return data[start:start + size], str(page + 1) if start + size < len(data) else ""


def _pairs(query: str):
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key:
            yield key, value
