"""A fake GitLab API v4 on 127.0.0.1 for the tests: merge request notes, and the calls an
apply makes to find the reviewed plan (commit -> merge request -> pipeline -> plan job)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = (
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

    def __init__(self, token: str = "glpat-test-token", project: str = "1", page_size: int = 2):
        self.token, self.project, self.page_size = token, project, page_size
        self.notes: dict[str, list[dict]] = {}
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

    # --- route handlers: (status, body) --------------------------------------------------

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
    if request.headers.get("PRIVATE-TOKEN") != fake.token:
        return 401, {"message": "401 Unauthorized"}
    prefix = re.escape(f"/api/v4/projects/{fake.project}/")
    for verb, pattern, name in ROUTES:
        match = re.fullmatch(prefix + pattern, path)
        if verb == method and match:
            length = int(request.headers.get("Content-Length") or 0)
            body = json.loads(request.rfile.read(length)) if length else None
            page = int(dict(_pairs(query)).get("page", "1"))
            return (*getattr(fake, name)(**match.groupdict(), body=body, page=page), page)
    return 404, {"message": "404 Not found"}


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
