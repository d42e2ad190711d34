"""The password service's WSGI application (plugins/module_utils/web/app.py), in-process.

No server: each request is a WSGI environ (wsgiref's testing defaults) given to the app,
the helper is a fake ``change`` (the real one is tests/e2e's), the throttle's clock is a
number the test moves. What is checked: the form, its CSRF refusal, the mismatch, each status
of the helper as the API and the form answer it, throttling and its end, the client address
through the proxy, bad input, and that no password is in any answer or log line.
"""

from __future__ import annotations

import io
import json
import logging
import pathlib
import re
import urllib.parse
from wsgiref.util import setup_testing_defaults

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.web import app as web
from ansible_collections.hungyen.mail.plugins.module_utils.web import csrf
from ansible_collections.hungyen.mail.plugins.module_utils.web.messages import (
    CATALOG,
    PAGE,
    RULES,
)
from glossary_check import findings
from secrets_scan import Scanner, describe

DOMAIN = "hungyen.gov.vn"
ADDRESS = "nvan@hungyen.gov.vn"
# Test values only, never a real account's: each is searched for in every output below.
CURRENT, NEW, WRONG = "Cu-Thu-1a!", "Moi-Thu-2b$", "Sai-Thu-3c#"
CONFIG = {"domain": DOMAIN, "helper_socket": "/nonexistent/helper.sock",
          "password_page": "https://mail.hungyen.gov.vn/doimatkhau",
          "web_url": "https://mail.hungyen.gov.vn", "hostname": "mail.hungyen.gov.vn",
          "min_length": 10}
PROXIED = {"REMOTE_ADDR": "localhost"}  # waitress on its unix socket, behind nginx


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Helper:
    """The password helper as the app sees it: one account, its password ``CURRENT``."""

    def __init__(self, reply: dict | None = None, error: Exception | None = None) -> None:
        self.reply, self.error, self.calls = reply, error, []

    def __call__(self, socket_path, address, current, new, *, client="", timeout=0.0):
        self.calls.append({"address": address, "client": client, "timeout": timeout})
        if self.error is not None:
            raise self.error
        if self.reply is not None:
            return dict(self.reply)
        if address != ADDRESS:
            return {"status": 404, "code": "HYM002", "message": "HYM002 không có hộp thư"}
        if current != CURRENT:
            return {"status": 401, "code": "HYM003", "message": "HYM003 mật khẩu sai"}
        return {"status": 200, "code": "HYM001", "message": "HYM001 đã đổi mật khẩu",
                "problems": []}


class Answer:
    def __init__(self, status: str, headers: list, body: bytes) -> None:
        self.status = int(status.split()[0])
        self.headers = dict(headers)
        self.cookies = [value for name, value in headers if name == "Set-Cookie"]
        self.body = body
        self.text = body.decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.text)


def call(app, method: str, path: str, body: bytes = b"", content_type: str = "",
         query: str = "", **environ) -> Answer:
    """One request through the WSGI ``app``."""
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
           "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
           "CONTENT_TYPE": content_type, "wsgi.url_scheme": "https", **environ}
    setup_testing_defaults(env)
    started = []
    chunks = app(env, lambda status, headers: started.append((status, headers)))
    return Answer(*started[0], b"".join(chunks))


def api(app, fields: dict, as_json: bool = True, **environ) -> Answer:
    if as_json:
        return call(app, "POST", "/api/password", json.dumps(fields).encode(),
                    "application/json", **environ)
    return call(app, "POST", "/api/password", urllib.parse.urlencode(fields).encode(),
                "application/x-www-form-urlencoded", **environ)


def form_post(app, fields: dict, token: str | None = "t" * 43, cookie: str | None = None,
              **environ) -> Answer:
    body = dict(fields)
    if token is not None:
        body[csrf.FIELD] = token
    cookie = token if cookie is None else cookie
    header = f"{csrf.cookie_name(True)}={cookie}" if cookie else ""
    return call(app, "POST", "/doimatkhau", urllib.parse.urlencode(body).encode(),
                "application/x-www-form-urlencoded", HTTP_COOKIE=header, **environ)


def change_fields(current: str = CURRENT, new: str = NEW, address: str = ADDRESS) -> dict:
    return {"address": address, "current": current, "new": new}


def form_fields(current: str = CURRENT, new: str = NEW, confirm: str = NEW,
                address: str = ADDRESS) -> dict:
    return {**change_fields(current, new, address), "confirm": confirm}


@pytest.fixture
def helper():
    return Helper()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(helper, clock):
    return web.make_app(CONFIG, change=helper, clock=clock)


# ---------------------------------------------------------------------------------- the form

def test_the_form_asks_for_the_address_the_current_password_and_the_new_one_twice(app):
    answer = call(app, "GET", "/doimatkhau")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert '<html lang="vi">' in answer.text
    for name, kind, auto in (("address", "email", "username"),
                             ("current", "password", "current-password"),
                             ("new", "password", "new-password"),
                             ("confirm", "password", "new-password")):
        assert f'<label for="{name}">' in answer.text
        assert f'id="{name}" name="{name}" type="{kind}" autocomplete="{auto}"' in answer.text
    assert "dài ít nhất 10 ký tự" in answer.text  # min_length of the configuration
    assert all(rule.format(min_length=10) in answer.text for rule in RULES)


def test_the_form_uses_nothing_from_elsewhere(app):
    text = call(app, "GET", "/doimatkhau").text
    assert "src=" not in text and "<script" not in text and "<link" not in text
    assert "http://" not in text and "https://" not in text


def test_the_form_token_is_the_cookie_s_and_stays_across_loads(app):
    first = call(app, "GET", "/doimatkhau")
    (cookie,) = first.cookies
    assert cookie.startswith("__Host-hymail-csrf=")  # over https: __Host- prefix and Secure
    assert {"Path=/", "HttpOnly", "SameSite=Strict", "Secure"} <= set(cookie.split("; "))
    token = cookie.split(";")[0].split("=", 1)[1]
    assert f'name="{csrf.FIELD}" value="{token}"' in first.text
    again = call(app, "GET", "/doimatkhau", HTTP_COOKIE=cookie.split(";")[0])
    assert f'value="{token}"' in again.text  # a second tab keeps working


def test_a_plain_http_page_sets_a_cookie_without_secure(app, helper):
    plain = {"wsgi.url_scheme": "http"}
    (cookie,) = call(app, "GET", "/doimatkhau", **plain).cookies
    assert cookie.startswith("hymail-csrf=") and "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    body = urllib.parse.urlencode({**form_fields(), csrf.FIELD: token}).encode()
    answer = call(app, "POST", "/doimatkhau", body, "application/x-www-form-urlencoded",
                  HTTP_COOKIE=cookie.split(";")[0], **plain)
    assert answer.status == 200 and len(helper.calls) == 1
    https = call(app, "POST", "/doimatkhau", body, "application/x-www-form-urlencoded",
                 HTTP_COOKIE=cookie.split(";")[0])
    assert https.status == 403  # the https page's cookie is another one


def test_the_address_of_the_link_is_filled_in_escaped(app):
    query = urllib.parse.urlencode({"address": '"><script>x</script>'})
    text = call(app, "GET", "/doimatkhau", query=query).text
    assert "<script>" not in text and 'value="&quot;&gt;&lt;script&gt;' in text


@pytest.mark.parametrize(("token", "cookie"), [
    pytest.param(None, "c" * 43, id="no field"),
    pytest.param("t" * 43, "", id="no cookie"),
    pytest.param("t" * 43, "c" * 43, id="different"),
    pytest.param("short", "short", id="malformed"),
    pytest.param("", "", id="both empty"),
])
def test_a_form_without_its_token_is_refused_and_nothing_is_changed(app, helper, token, cookie):
    answer = form_post(app, form_fields(), token=token, cookie=cookie)
    assert answer.status == 403 and "HYM042" in answer.text
    assert helper.calls == []


def test_two_different_new_passwords_are_refused_before_the_helper(app, helper):
    answer = form_post(app, form_fields(confirm=NEW + "x"))
    assert answer.status == 400 and "HYM041" in answer.text and helper.calls == []


def test_the_form_changes_the_password_and_says_so(app, helper):
    answer = form_post(app, form_fields(), HTTP_X_REAL_IP="203.0.113.7", **PROXIED)
    assert answer.status == 200 and "Đã đổi mật khẩu" in answer.text
    assert "<strong>HYM001</strong> đã đổi mật khẩu" in answer.text
    assert helper.calls == [{"address": ADDRESS, "client": "203.0.113.7", "timeout": 60.0}]


def test_the_result_page_lists_each_refused_rule(helper, clock):
    problems = [{"code": "HYM011", "message": "HYM011 thiếu ký tự đặc biệt"},
                {"code": "HYM012", "message": "HYM012 chứa địa chỉ thư"}]
    reply = {"status": 400, "code": "HYM010", "message": "HYM010 chưa đạt Điều 8",
             "problems": problems}
    app = web.make_app(CONFIG, change=Helper(reply), clock=clock)
    answer = form_post(app, form_fields())
    assert answer.status == 400
    assert "<li><strong>HYM011</strong> thiếu ký tự đặc biệt</li>" in answer.text
    assert "<li><strong>HYM012</strong> chứa địa chỉ thư</li>" in answer.text
    assert f'href="/doimatkhau?address={urllib.parse.quote(ADDRESS)}"' in answer.text


# ---------------------------------------------------------------------------------- statuses

POLICY = {"status": 400, "code": "HYM010", "message": "HYM010 chưa đạt Điều 8",
          "problems": [{"code": "HYM011", "message": "HYM011 thiếu ký tự đặc biệt"}]}
STATUSES = [
    pytest.param({"status": 200, "code": "HYM001", "message": "HYM001 đã đổi"}, 200,
                 "HYM001", id="changed"),
    pytest.param(POLICY, 400, "HYM010", id="policy"),
    pytest.param({"status": 401, "code": "HYM003", "message": "HYM003 sai"}, 401, "HYM043",
                 id="wrong current"),
    pytest.param({"status": 404, "code": "HYM002", "message": "HYM002 không có"}, 401,
                 "HYM043", id="unknown address"),
    pytest.param({"status": 403, "code": "HYM004", "message": "HYM004 đang tạm khóa"}, 403,
                 "HYM004", id="refused"),
    pytest.param({"status": 503, "code": "HYM005", "message": "HYM005 thử lại sau một phút"},
                 503, "HYM005", id="busy"),
    pytest.param({"status": 503}, 503, "HYM045", id="away"),
    pytest.param({"status": 302}, 503, "HYM045", id="unexpected"),
    pytest.param({}, 503, "HYM045", id="no status"),
    pytest.param(ConnectionRefusedError("no socket"), 503, "HYM045", id="raises"),
]


@pytest.mark.parametrize(("reply", "status", "code"), STATUSES)
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_the_api_answers_each_status_of_the_helper(clock, reply, status, code, as_json):
    helper = Helper(error=reply) if isinstance(reply, Exception) else Helper(reply)
    answer = api(web.make_app(CONFIG, change=helper, clock=clock), change_fields(),
                 as_json=as_json)
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert (answer.status, body["code"], body["ok"]) == (status, code, status == 200)
    assert set(body) == {"ok", "code", "message", "problems"}
    assert body["message"].startswith(code)
    assert body["problems"] == (POLICY["problems"] if code == "HYM010" else [])


@pytest.mark.parametrize(("reply", "status", "code"), STATUSES)
def test_the_form_answers_each_status_of_the_helper(clock, reply, status, code):
    helper = Helper(error=reply) if isinstance(reply, Exception) else Helper(reply)
    answer = form_post(web.make_app(CONFIG, change=helper, clock=clock), form_fields())
    assert answer.status == status and f"<strong>{code}</strong>" in answer.text


def test_the_busy_answer_asks_to_try_again_in_a_minute(clock):
    answer = api(web.make_app(CONFIG, change=Helper(error=TimeoutError()), clock=clock),
                 change_fields())
    assert answer.status == 503 and "thử lại sau một phút" in answer.json()["message"]


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(app):
    wrong = api(app, change_fields(current=WRONG))
    unknown = api(app, change_fields(address="khongco@hungyen.gov.vn"))
    assert (wrong.status, wrong.body) == (unknown.status, unknown.body)


@pytest.mark.parametrize(("body", "content_type", "code"), [
    pytest.param(b"{not json", "application/json", "HYM040", id="not JSON"),
    pytest.param(b"[1, 2]", "application/json", "HYM040", id="a list"),
    pytest.param(json.dumps({"address": ADDRESS, "current": CURRENT}).encode(),
                 "application/json", "HYM040", id="no new"),
    pytest.param(json.dumps({**change_fields(), "new": 12345678}).encode(),
                 "application/json", "HYM040", id="a number"),
    pytest.param(json.dumps({**change_fields(), "new": ""}).encode(),
                 "application/json", "HYM040", id="empty"),
    pytest.param(json.dumps({**change_fields(), "new": "x" * 2000}).encode(),
                 "application/json", "HYM040", id="too long a field"),
    pytest.param(b"\xff\xfe", "application/json", "HYM040", id="not UTF-8"),
    pytest.param(json.dumps(change_fields()).encode(), "text/plain", "HYM047",
                 id="text/plain"),
    pytest.param(b"", "", "HYM047", id="no content type"),
    pytest.param(json.dumps(change_fields(address="nvan@example.com")).encode(),
                 "application/json", "HYM046", id="another domain"),
    pytest.param(json.dumps(change_fields(address="nvan")).encode(),
                 "application/json", "HYM046", id="no domain"),
    pytest.param(b"a" * 20000, "application/json", "HYM040", id="too large"),
])
def test_bad_input_is_a_400_with_its_code_and_never_reaches_the_helper(app, helper, body,
                                                                      content_type, code):
    answer = call(app, "POST", "/api/password", body, content_type)
    assert (answer.status, answer.json()["code"]) == (400, code)
    assert helper.calls == []


@pytest.mark.parametrize(("method", "path", "status", "kind"), [
    ("GET", "/api/password", 405, "application/json"),
    ("PUT", "/doimatkhau", 405, "text/plain"),
    ("DELETE", "/mail/config-v1.1.xml", 405, "text/plain"),
    ("GET", "/autodiscover/autodiscover.xml", 405, "application/xml"),
    ("GET", "/", 404, "text/plain"),
    ("GET", "/doimatkhau/../etc/passwd", 404, "text/plain"),
])
def test_other_methods_and_paths_are_refused_with_a_code(app, method, path, status, kind):
    answer = call(app, method, path)
    assert answer.status == status and answer.headers["Content-Type"].startswith(kind)
    assert ("HYM049" if status == 405 else "HYM050") in answer.text
    assert ("Allow" in answer.headers) == (status == 405)


def test_head_answers_the_headers_without_a_body(app):
    answer = call(app, "HEAD", "/doimatkhau")
    assert answer.status == 200 and answer.body == b"" and int(answer.headers["Content-Length"])


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/doimatkhau"), ("POST", "/api/password"), ("GET", "/mail/config-v1.1.xml"),
    ("POST", "/autodiscover/autodiscover.xml"), ("GET", "/khong-co"),
])
def test_every_answer_is_not_stored_and_carries_the_security_headers(app, method, path):
    headers = call(app, method, path).headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------------------------- throttling

def test_five_wrong_passwords_hold_the_address_then_it_is_free_again(app, helper, clock):
    for _ in range(5):
        assert api(app, change_fields(current=WRONG)).status == 401
    held = api(app, change_fields())  # even the right password waits
    assert held.status == 429 and held.json()["code"] == "HYM044"
    assert held.headers["Retry-After"] == "900" and "15 phút" in held.json()["message"]
    assert len(helper.calls) == 5
    clock.now += 899
    assert api(app, change_fields()).status == 429
    clock.now += 2
    assert api(app, change_fields()).status == 200 and len(helper.calls) == 6


def test_failures_outside_the_window_do_not_add_up(app, clock):
    for _ in range(4):
        api(app, change_fields(current=WRONG))
    clock.now += 901
    for _ in range(4):
        assert api(app, change_fields(current=WRONG)).status == 401
    assert api(app, change_fields(current=WRONG)).status == 401


def test_a_change_forgets_the_address_s_failures(app):
    for _ in range(4):
        api(app, change_fields(current=WRONG))
    assert api(app, change_fields()).status == 200
    for _ in range(4):
        assert api(app, change_fields(current=WRONG)).status == 401


def test_the_form_is_held_as_the_api_is(app):
    for _ in range(5):
        api(app, change_fields(current=WRONG))
    answer = form_post(app, form_fields())
    assert answer.status == 429 and "<strong>HYM044</strong>" in answer.text


def test_five_failures_from_one_client_hold_that_client_for_every_address(app, helper):
    through = {"HTTP_X_REAL_IP": "198.51.100.9", **PROXIED}
    for number in range(5):
        address = f"khongco{number}@hungyen.gov.vn"
        assert api(app, change_fields(address=address), **through).status == 401
    assert api(app, change_fields(), **through).status == 429
    assert api(app, change_fields(), HTTP_X_REAL_IP="198.51.100.10", **PROXIED).status == 200
    assert [call["client"] for call in helper.calls] == ["198.51.100.9"] * 5 + ["198.51.100.10"]


@pytest.mark.parametrize("client", ["127.0.0.1", "::1", ""])
def test_the_webmail_host_is_counted_per_address_only(app, client):
    """Roundcube asks from 127.0.0.1 for every webmail user: one person's wrong guesses hold
    their own address, never everybody's changes (an unknown client: the same)."""
    through = {"HTTP_X_REAL_IP": client, **PROXIED}
    for number in range(6):
        address = f"khongco{number}@hungyen.gov.vn"
        assert api(app, change_fields(address=address), **through).status == 401
    assert api(app, change_fields(), **through).status == 200
    for _ in range(5):
        api(app, change_fields(current=WRONG), **through)
    assert api(app, change_fields(), **through).status == 429


@pytest.mark.parametrize(("environ", "client"), [
    pytest.param({"REMOTE_ADDR": "localhost", "HTTP_X_REAL_IP": "203.0.113.7"}, "203.0.113.7",
                 id="unix socket behind nginx"),
    pytest.param({"REMOTE_ADDR": "", "HTTP_X_REAL_IP": "2001:db8::1"}, "2001:db8::1",
                 id="empty peer"),
    pytest.param({"REMOTE_ADDR": "192.0.2.50", "HTTP_X_REAL_IP": "203.0.113.7"}, "192.0.2.50",
                 id="a TCP peer's header is not believed"),
    pytest.param({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_REAL_IP": "203.0.113.7"}, "203.0.113.7",
                 id="a trusted proxy"),
    pytest.param({"REMOTE_ADDR": "localhost", "HTTP_X_REAL_IP": "nonsense"}, "",
                 id="a malformed header"),
    pytest.param({"REMOTE_ADDR": "localhost"}, "", id="no header"),
])
def test_the_client_is_nginx_s_x_real_ip_only_through_the_proxy(environ, client):
    config = web.checked_config({**CONFIG, "trusted_proxies": ["10.0.0.2"]})
    assert web.client_address(environ, config) == client


def test_the_throttle_remembers_a_bounded_number_of_keys(helper, clock):
    app = web.make_app({**CONFIG, "throttle_max_keys": 50}, change=helper, clock=clock)
    for number in range(200):
        api(app, change_fields(address=f"a{number}@hungyen.gov.vn", current=WRONG),
            HTTP_X_REAL_IP=f"198.51.{number}.1", **PROXIED)
    assert len(app.throttle) == 50


# ---------------------------------------------------------------------------------- secrets

class Exploding(Clock):
    """A clock that fails with the password in its message, once armed."""

    armed = False

    def __call__(self) -> float:
        if self.armed:
            raise RuntimeError(f"boom {NEW}")
        return super().__call__()


def test_no_password_is_in_any_answer_or_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    clock, helper = Exploding(), Helper()
    app = web.make_app(CONFIG, change=helper, clock=clock)
    answers = [api(app, change_fields()), api(app, change_fields(current=WRONG)),
               api(app, change_fields(), as_json=False),
               form_post(app, form_fields()), form_post(app, form_fields(confirm=WRONG)),
               form_post(app, form_fields(), token=None),
               call(app, "POST", "/api/password", json.dumps(change_fields())[:-3].encode(),
                    "application/json"),
               api(web.make_app(CONFIG, change=Helper(error=ValueError(CURRENT + NEW)),
                                clock=clock), change_fields())]
    clock.armed = True
    crashed = api(app, change_fields())
    assert crashed.status == 500 and "HYM051" in crashed.json()["message"]
    answers.append(crashed)
    assert any("RuntimeError" in record.getMessage() for record in caplog.records)
    shown = [a.text + json.dumps(a.headers) for a in answers]
    shown += [record.getMessage() for record in caplog.records]
    assert any(ADDRESS in text for text in shown)  # the scan reads real outputs
    scanner = Scanner(passwords={"current": CURRENT, "new": NEW, "wrong": WRONG})
    found = [f for number, text in enumerate(shown) for f in scanner.text(f"#{number}", text)]
    assert not found, describe(found)
    assert scanner.text("planted", f"<p>{NEW}</p>")  # the scan finds what it looks for


# ---------------------------------------------------------------------------------- words

def test_every_code_the_app_answers_is_in_the_catalog():
    source = (web.__file__, web.autoconfig.__file__)
    used = {code for path in source
            for code in re.findall(r"HYM0\d\d", pathlib.Path(path).read_text("utf-8"))}
    assert used and used <= set(CATALOG)
    assert all("HYM040" <= code <= "HYM059" for code in CATALOG)


def test_the_pages_follow_the_glossary(app, clock):
    problems = [{"code": "HYM011", "message": "HYM011 thiếu ký tự đặc biệt"}]
    pages = {"doimatkhau.html": call(app, "GET", "/doimatkhau").text,
             "ketqua.html": form_post(app, form_fields()).text,
             "loi.html": form_post(web.make_app(CONFIG, change=Helper(
                 {**POLICY, "problems": problems}), clock=clock), form_fields()).text,
             "mail clients": "\n".join(PAGE.values())}
    for where, text in pages.items():
        assert findings(text, where) == []


# ---------------------------------------------------------------------------------- serve.py

def test_waitress_listens_on_the_socket_trusting_nginx_s_scheme_only():
    from ansible_collections.hungyen.mail.plugins.module_utils.web import serve

    options = serve.serve_options(serve.arguments(["--config", "web.json", "--socket",
                                                   "/run/web/app.sock"]))
    assert (options["unix_socket"], options["unix_socket_perms"]) == ("/run/web/app.sock", "660")
    assert options["trusted_proxy"] == "localhost"  # waitress's name for a unix socket peer
    assert options["trusted_proxy_headers"] == {"x-forwarded-proto"}
    assert options["clear_untrusted_proxy_headers"] is True
    assert options["expose_tracebacks"] is False and 1 <= options["threads"] <= 8


def test_serve_stops_on_a_bad_configuration_before_waitress(tmp_path, capsys):
    from ansible_collections.hungyen.mail.plugins.module_utils.web import serve

    config = tmp_path / "web.json"
    config.write_text(json.dumps({"domain": DOMAIN}), "utf-8")
    socket = str(tmp_path / "app.sock")
    assert serve.main(["--config", str(config), "--socket", socket]) == 2
    assert "missing helper_socket, password_page, hostname" in capsys.readouterr().err
    assert serve.main(["--config", str(tmp_path / "none.json"), "--socket", socket]) == 2


def test_the_configuration_s_defaults_are_filled_in(tmp_path):
    path = tmp_path / "web.json"
    path.write_text(json.dumps(CONFIG), "utf-8")
    config = web.load_config(str(path))
    assert config["min_length"] == 10 and config["throttle_limit"] == 5
    assert config["imaps_port"] == 993 and config["shared_clients"] == ["127.0.0.1", "::1"]
