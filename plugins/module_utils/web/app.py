"""The password service: a WSGI application, standard library only (waitress serves it).

Routes:

- ``GET /doimatkhau`` (``?address=`` fills in the address): the form, in Vietnamese, with
  Điều 8's rules; ``POST /doimatkhau``: the form's change, protected by a double-submit
  token (``csrf.py``), both new passwords equal, then the result page (code, message, each
  rule the new password breaks).
- ``POST /api/password``: JSON ``{address, current, new}`` or a form
  (application/x-www-form-urlencoded, as Roundcube's httpapi driver posts) with the same
  fields; answers JSON ``{"ok", "code", "message", "problems"}`` with HTTP 200, 400 (bad
  input, Điều 8), 401 (wrong current password or unknown address: one answer for both), 403,
  429 (throttled) or 503 (the helper busy or away: "thử lại sau một phút").
- ``GET /.well-known/autoconfig/mail/config-v1.1.xml`` and ``/mail/config-v1.1.xml``
  (Thunderbird), ``POST /autodiscover/autodiscover.xml`` (Outlook; ``autoconfig.py``).

The change itself goes to the privileged helper through ``change`` (default: the password
client's ``request_change``, imported at the first change). Nothing here logs, echoes or
keeps a password; every answer says ``Cache-Control: no-store`` and carries the security
headers (``SECURITY_HEADERS``).

Throttling (``throttle.py``): a wrong current password (or an unknown address: the same
answer) counts one failure against the address and one against the client; 5 failures
within ``throttle_window`` seconds hold that address or client for ``throttle_hold`` seconds
(429). The client is nginx's ``X-Real-IP`` when the request came through the proxy (the unix
socket: waitress's REMOTE_ADDR is "localhost", or an address of ``trusted_proxies``), else
REMOTE_ADDR. Roundcube's calls come from the webmail host (``shared_clients``, 127.0.0.1 and
::1 by default) on behalf of every webmail user: they are counted per address only, never
against the shared client, so one person's wrong guesses in webmail cannot stop everybody
else's changes there; the password plugin only sends the logged-in user's own address, and
the address's own count still holds after 5 failures. A request whose client is unknown
(no X-Real-IP through the proxy) is counted per address only, for the same reason.

The configuration (``web.json``, rendered by the role; ``load_config``):

================== ======== ===========================================================
key                default  meaning
================== ======== ===========================================================
domain             required the mail domain; other addresses are refused (HYM046)
helper_socket      required the password helper's unix socket
password_page      required the change page's public URL (autoconfig's visiturl)
web_url            ""       the web service's public URL (read by the role and the tests)
hostname           required the mail host's name clients connect to
imap_port          143      IMAP with STARTTLS (0 or null: not offered to clients)
imaps_port         993      IMAP over TLS (0 or null: not offered)
submission_port    587      submission with STARTTLS (0 or null: not offered)
submissions_port   465      submission over TLS (0 or null: not offered)
min_length         8        Điều 8's minimum length, as the form shows it
display_name       ""       the name clients show ("" : the page's own words)
helper_timeout     60       seconds to wait for the helper (above its lock wait)
throttle_limit     5        failures that hold an address or a client
throttle_window    900      seconds within which failures are counted
throttle_hold      900      seconds an address or a client is held (429)
throttle_max_keys  10000    addresses and clients remembered at most
trusted_proxies    []       TCP peers whose X-Real-IP is believed (the unix socket always)
shared_clients     [127..]  clients counted per address only (the webmail host)
max_body_bytes     16384    the largest request body read
================== ======== ===========================================================
"""

from __future__ import annotations

import base64
import hashlib
import html
import ipaddress
import json
import logging
import time
import traceback
import urllib.parse
from collections.abc import Callable

from ..common.messages import shown
from . import autoconfig, csrf
from .messages import PAGE, RULES, render
from .throttle import Throttle

LOG = logging.getLogger("hymail.web")
REQUIRED = ("domain", "helper_socket", "password_page", "hostname")
DEFAULTS = {
    "imap_port": 143, "imaps_port": 993, "submission_port": 587, "submissions_port": 465,
    "min_length": 8, "web_url": "", "display_name": "", "helper_timeout": 60, "throttle_limit": 5,
    "throttle_window": 900, "throttle_hold": 900, "throttle_max_keys": 10000,
    "trusted_proxies": [], "shared_clients": ["127.0.0.1", "::1"], "max_body_bytes": 16384,
}
FIELD_MAX = 1024
PROXY_PEERS = ("", "localhost", "unix")  # waitress on a unix socket says "localhost"
AUTOCONFIG = ("/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml")
AUTODISCOVER = ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml")
STYLE = ("body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
         "line-height:1.5}label{display:block;margin-top:1rem;font-weight:bold}"
         "input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}"
         "button{margin-top:1.5rem;font-size:1rem;padding:.5rem 1.5rem}"
         ".loi{color:#a00000}.xong{color:#006000}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", f"default-src 'self'; style-src 'self' 'sha256-{_STYLE_HASH}'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
]
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}


class BadRequest(ValueError):
    """A request not read: the field or the reason (never a value)."""


def load_config(path: str) -> dict:
    """``web.json`` with the defaults filled in; a missing required key is a ValueError."""
    with open(path, encoding="utf-8") as handle:
        return checked_config(json.load(handle))


def checked_config(config: dict) -> dict:
    if not isinstance(config, dict):
        raise ValueError("web configuration: not a JSON object")
    missing = [key for key in REQUIRED if not config.get(key)]
    if missing:
        raise ValueError(f"web configuration: missing {', '.join(missing)}")
    return {**DEFAULTS, **config}


def _default_change(socket_path, address, current, new, *, client="", timeout=60.0) -> dict:
    from ..password.client import request_change  # the helper's client, written beside us

    return request_change(socket_path, address, current, new, client=client, timeout=timeout)


def make_app(config: dict, *, change: Callable[..., dict] | None = None,
             clock: Callable[[], float] = time.monotonic) -> Callable:
    """The WSGI application for ``config`` (see the module's table of keys)."""
    return PasswordService(checked_config(config), change or _default_change, clock)


class Response:
    def __init__(self, status: int, body: str | bytes, content_type: str,
                 headers: list[tuple[str, str]] | None = None) -> None:
        self.status, self.content_type = status, content_type
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = headers or []

    def send(self, start_response, head: bool = False) -> list[bytes]:
        headers = [("Content-Type", self.content_type),
                   ("Content-Length", str(len(self.body))), *SECURITY_HEADERS, *self.headers]
        start_response(f"{self.status} {REASONS.get(self.status, 'Error')}", headers)
        return [] if head else [self.body]


class PasswordService:
    """The routes of the module's docstring, one instance per process."""

    def __init__(self, config: dict, change: Callable[..., dict],
                 clock: Callable[[], float]) -> None:
        self.config, self.change = config, change
        self.throttle = Throttle(config["throttle_limit"], config["throttle_window"],
                                 config["throttle_hold"], config["throttle_max_keys"], clock)

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            response = self.route(environ, "GET" if method == "HEAD" else method)
        except Exception as error:  # noqa: BLE001 - the message may quote the request
            LOG.error("internal error %s\n%s", type(error).__name__,
                      "".join(traceback.format_tb(error.__traceback__)))
            failed = answer("HYM051", render("HYM051"))
            api = environ.get("PATH_INFO", "").startswith("/api/")
            response = self.json(500, failed) if api else self.page(500, failed)
        return response.send(start_response, head=method == "HEAD")

    def route(self, environ: dict, method: str) -> Response:
        path = environ.get("PATH_INFO", "") or "/"
        trimmed = path.rstrip("/") or "/"
        if trimmed == "/doimatkhau":
            return self.allowed(method, path, ("GET", "POST")) or (
                self.form(environ) if method == "GET" else self.form_post(environ))
        if trimmed == "/api/password":
            return self.allowed(method, path, ("POST",), api=True) or self.api(environ)
        if path in AUTOCONFIG:
            return self.allowed(method, path, ("GET",)) or self.thunderbird(environ)
        if path in AUTODISCOVER:
            return self.allowed(method, path, ("POST",), xml=True) or self.outlook(environ)
        return self.text(404, render("HYM050", path=path))

    # ------------------------------------------------------------------------ the form

    def form(self, environ: dict) -> Response:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        address = (query.get("address") or [""])[0][:254]
        secure = over_https(environ)
        token = csrf.from_cookies(environ.get("HTTP_COOKIE", ""), secure) or csrf.new_token()
        return Response(200, form_page(self.config, address, token), "text/html; charset=utf-8",
                        [csrf.set_cookie(token, secure)])

    def form_post(self, environ: dict) -> Response:
        try:
            data = parse_form(read_body(environ, self.config["max_body_bytes"]))
        except BadRequest as error:
            return self.page(400, answer("HYM040", render("HYM040", field=str(error))))
        address = data.get("address", "")
        cookie = csrf.from_cookies(environ.get("HTTP_COOKIE", ""), over_https(environ))
        if not csrf.valid(cookie, data.get(csrf.FIELD, "")):
            return self.page(403, answer("HYM042", render("HYM042")), address)
        try:
            fields = _fields(data, ("address", "current", "new", "confirm"))
        except BadRequest as error:
            return self.page(400, answer("HYM040", render("HYM040", field=str(error))), address)
        if fields["new"] != fields["confirm"]:
            return self.page(400, answer("HYM041", render("HYM041")), address)
        status, result, headers = self.changed(fields, client_address(environ, self.config))
        return self.page(status, result, address, headers)

    def page(self, status: int, result: dict, address: str = "",
             headers: list | None = None) -> Response:
        return Response(status, result_page(status, result, address),
                        "text/html; charset=utf-8", headers)

    # ------------------------------------------------------------------------ the API

    def api(self, environ: dict) -> Response:
        try:
            body = read_body(environ, self.config["max_body_bytes"])
            kind = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            names = ("address", "current", "new")
            fields = _fields(json_object(body), names) if kind == "application/json" else (
                _fields(parse_form(body), names) if kind == "application/x-www-form-urlencoded"
                else None)
        except BadRequest as error:
            return self.json(400, answer("HYM040", render("HYM040", field=str(error))))
        if fields is None:
            detail = f"Content-Type {kind or 'không có'}"
            return self.json(400, answer("HYM047", render("HYM047", detail=detail)))
        status, result, headers = self.changed(fields, client_address(environ, self.config))
        return self.json(status, result, headers)

    def json(self, status: int, payload: dict, headers: list | None = None) -> Response:
        return Response(status, json.dumps(payload, ensure_ascii=False),
                        "application/json; charset=utf-8", headers)

    # ------------------------------------------------------------------------ the change

    def changed(self, fields: dict, client: str) -> tuple[int, dict, list]:
        """(HTTP status, the JSON answer, extra headers) of one change ``client`` asks for."""
        address = fields["address"].strip()
        if not autoconfig.own_address(address, self.config["domain"]):
            return 400, answer("HYM046", render("HYM046", address=address,
                                                domain=self.config["domain"])), []
        keys = throttle_keys(address, client, self.config["shared_clients"])
        wait = self.throttle.held(keys)
        if wait > 0:
            self.log(address, client, 429, "HYM044")
            minutes = max(1, -(-int(wait) // 60))
            return (429, answer("HYM044", render("HYM044", minutes=minutes)),
                    [("Retry-After", str(max(1, int(wait))))])
        status, result = self.helper(address, fields["current"], fields["new"], client)
        if status == 401:
            self.throttle.failure(keys)
        elif status == 200:
            self.throttle.success(keys[:1])
        self.log(address, client, status, result["code"])
        return status, result, []

    def helper(self, address: str, current: str, new: str, client: str) -> tuple[int, dict]:
        try:
            reply = self.change(self.config["helper_socket"], address, current, new,
                                client=client, timeout=float(self.config["helper_timeout"]))
            status = int(reply.get("status", 0))
        except Exception as error:  # noqa: BLE001 - never shown: it may quote the request
            LOG.error("password helper call failed: %s", type(error).__name__)
            return 503, answer("HYM045", render("HYM045"))
        if status in (401, 404):  # a wrong password and an unknown address: one answer
            return 401, answer("HYM043", render("HYM043"))
        if status == 503 or status not in (200, 400, 403):
            if status != 503:
                LOG.error("password helper answered status %s", status)
            return 503, answer(reply.get("code") or "HYM045",
                               reply.get("message") or render("HYM045"))
        return status, {"ok": status == 200, "code": str(reply.get("code", "")),
                        "message": str(reply.get("message", "")),
                        "problems": problems_of(reply.get("problems"))}

    def log(self, address: str, client: str, status: int, code: str) -> None:
        LOG.info("password change for %s from %s: %s %s", shown(address, 80),
                 shown(client or "?", 60), status, code)

    # ------------------------------------------------------------------------ mail clients

    def thunderbird(self, environ: dict) -> Response:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        address = (query.get("emailaddress") or [""])[0]
        if address and not autoconfig.own_address(address, self.config["domain"]):
            return self.text(404, render("HYM046", address=address,
                                         domain=self.config["domain"]))
        return Response(200, autoconfig.thunderbird(self.config, PAGE),
                        "application/xml; charset=utf-8")

    def outlook(self, environ: dict) -> Response:
        try:
            address = autoconfig.requested_address(read_body(environ, autoconfig.MAX_REQUEST))
        except (BadRequest, autoconfig.Refused) as error:
            return self.xml_error(400, render("HYM048", detail=str(error)))
        if not autoconfig.own_address(address, self.config["domain"]):
            return self.xml_error(403, render("HYM046", address=address,
                                              domain=self.config["domain"]))
        return Response(200, autoconfig.outlook(self.config, address),
                        "application/xml; charset=utf-8")

    def xml_error(self, status: int, message: str) -> Response:
        return Response(status, autoconfig.outlook_error(600, message),
                        "application/xml; charset=utf-8")

    # ------------------------------------------------------------------------ refusals

    def allowed(self, method: str, path: str, methods: tuple[str, ...], api: bool = False,
                xml: bool = False) -> Response | None:
        """None when ``method`` is one of ``methods``, else the 405 answer."""
        if method in methods:
            return None
        message = render("HYM049", method=method, path=path)
        response = (self.json(405, answer("HYM049", message)) if api else
                    self.xml_error(405, message) if xml else self.text(405, message))
        response.headers.append(("Allow", ", ".join(methods)))
        return response

    def text(self, status: int, message: str) -> Response:
        return Response(status, message + "\n", "text/plain; charset=utf-8")


# ---------------------------------------------------------------------------- requests

def read_body(environ: dict, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (a larger one is a BadRequest)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Content-Length") from None
    if length > limit:
        raise BadRequest("Content-Length")
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length <= 0 and not environ.get("wsgi.input_terminated"):
        return b""
    body = stream.read(length if length > 0 else limit + 1)
    if len(body) > limit:
        raise BadRequest("Content-Length")
    return body


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, the first value of each field."""
    try:
        parsed = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True,
                                       max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("biểu mẫu") from None
    return {name: values[0] for name, values in parsed.items() if values}


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("JSON")
    return data


def _fields(data: dict, names: tuple[str, ...]) -> dict[str, str]:
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not value or len(value) > FIELD_MAX:
            raise BadRequest(name)
    return {name: data[name] for name in names}


def over_https(environ: dict) -> bool:
    """Whether the browser used HTTPS: waitress's scheme, from nginx's X-Forwarded-Proto."""
    return environ.get("wsgi.url_scheme") == "https"


def client_address(environ: dict, config: dict) -> str:
    """Who asked: nginx's X-Real-IP through the proxy, REMOTE_ADDR otherwise ("": unknown)."""
    remote = environ.get("REMOTE_ADDR", "") or ""
    if remote in PROXY_PEERS or remote in config["trusted_proxies"]:
        return _ip(environ.get("HTTP_X_REAL_IP", ""))
    return _ip(remote)


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def throttle_keys(address: str, client: str, shared: list[str]) -> list[str]:
    """The address's key first, then the client's unless it is shared or unknown."""
    keys = ["address " + address.lower()]
    if client and client not in shared:
        keys.append("client " + client)
    return keys


def answer(code: str, message: str, problems: list | None = None) -> dict:
    return {"ok": False, "code": code, "message": message, "problems": problems or []}


def problems_of(problems) -> list[dict]:
    """The helper's problems as ``[{"code", "message"}]`` (anything else dropped)."""
    return [{"code": str(p.get("code", "")), "message": str(p.get("message", ""))}
            for p in problems or [] if isinstance(p, dict)]


# ---------------------------------------------------------------------------- pages

def _document(title: str, body: list[str]) -> str:
    return "\n".join(['<!DOCTYPE html>', '<html lang="vi">', "<head>", '<meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      '<meta name="robots" content="noindex">',
                      f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style>",
                      "</head>", "<body>", "<main>", *body, "</main>", "</body>", "</html>", ""])


def form_page(config: dict, address: str, token: str) -> str:
    """The change form: address, current password, the new one twice, Điều 8's rules."""
    e = html.escape
    rules = [f"<li>{e(rule.format(min_length=config['min_length']))}</li>" for rule in RULES]
    field = ('<label for="{id}">{label}</label>\n<input id="{id}" name="{id}" type="{kind}" '
             'autocomplete="{auto}" required{extra}>')
    return _document(PAGE["title"], [
        f"<h1>{e(PAGE['title'])}</h1>", f"<p>{e(PAGE['intro'])}</p>",
        f'<p id="quydinh">{e(PAGE["rules"])}</p>', '<ul aria-labelledby="quydinh">', *rules,
        "</ul>", '<form method="post" action="/doimatkhau">',
        f'<input type="hidden" name="{csrf.FIELD}" value="{e(token)}">',
        field.format(id="address", label=e(PAGE["address"]), kind="email", auto="username",
                     extra=f' value="{e(address)}" spellcheck="false"'),
        field.format(id="current", label=e(PAGE["current"]), kind="password",
                     auto="current-password", extra=""),
        field.format(id="new", label=e(PAGE["new"]), kind="password", auto="new-password",
                     extra=f' minlength="{int(config["min_length"])}" '
                           'aria-describedby="quydinh"'),
        field.format(id="confirm", label=e(PAGE["confirm"]), kind="password",
                     auto="new-password", extra=f' minlength="{int(config["min_length"])}"'),
        f'<button type="submit">{e(PAGE["submit"])}</button>', "</form>"])


def result_page(status: int, result: dict, address: str) -> str:
    """The change's result: its code and message, each rule refused, the way back."""
    e = html.escape
    title = PAGE["done"] if status == 200 else (
        PAGE["error"] if status == 500 else PAGE["refused"])
    body = [f"<h1>{e(title)}</h1>",
            f'<p class="{"xong" if status == 200 else "loi"}" '
            f'role="{"status" if status == 200 else "alert"}">{_coded(result)}</p>']
    if result["problems"]:
        body += [f"<p>{e(PAGE['problems'])}</p>", "<ul>"]
        body += [f"<li>{_coded(p)}</li>" for p in result["problems"]]
        body.append("</ul>")
    if status == 200:
        body.append(f"<p>{e(PAGE['done_next'])}</p>")
    back = "/doimatkhau" + (f"?{urllib.parse.urlencode({'address': address})}"
                            if address and len(address) <= 254 else "")
    body.append(f'<p><a href="{e(back)}">{e(PAGE["back"])}</a></p>')
    return _document(title, body)


def _coded(entry: dict) -> str:
    """``<strong>CODE</strong> message``, the code written once (a message starts with it)."""
    code, message = str(entry.get("code", "")), str(entry.get("message", ""))
    if code and message.startswith(code):
        message = message[len(code):].lstrip()
    strong = f"<strong>{html.escape(code)}</strong> " if code else ""
    return strong + html.escape(message)
