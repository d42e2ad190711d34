"""The password service as the mail server runs it (issue 14): nginx on the web port in front
of the WSGI application (waitress, as hymail-web) and the password helper (root), all started
by the mailserver role (tasks/web.yml, mailserverctl). Real HTTP over the real nginx, real
IMAP and submission logins: no mock anywhere.
"""

from __future__ import annotations

import http.cookiejar
import json
import pathlib
import pwd
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
from browser_support import browser, css, screenshot, wait_css
from e2e_support import DOMAIN, PORTS, mailbox
from secrets_scan import Scanner, describe

pytestmark = pytest.mark.server
__all__ = ["browser"]  # the fixture, imported for pytest

BASE = f"http://127.0.0.1:{PORTS['web_port']}"
WEB_USER = "hymail-web"
LOGS = ("nginx-access.log", "nginx-error.log", "web.log", "password-helper.log")


def request(path: str, data: bytes | None = None, headers: dict | None = None,
            opener: urllib.request.OpenerDirector | None = None) -> tuple[int, dict, str]:
    """(status, headers, body) of one HTTP request to the server's nginx."""
    sent = urllib.request.Request(BASE + path, data=data, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(sent, timeout=120) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def api_change(local: str, current: str, new: str) -> tuple[int, dict]:
    """POST /api/password as JSON: (HTTP status, the JSON answer)."""
    body = json.dumps({"address": f"{local}@{DOMAIN}", "current": current, "new": new})
    status, _, text = request("/api/password", body.encode(),
                              {"Content-Type": "application/json"})
    return status, json.loads(text)


def new_password() -> str:
    return passwords.generate()


def assert_logs_hold_no(server, secrets: dict[str, str]) -> None:
    """No password in nginx's logs, the application's or the helper's (a failure names the
    file, never the secret)."""
    logs = [server.state_dir / "log" / name for name in LOGS]
    assert all(path.exists() for path in logs), [str(p) for p in logs if not p.exists()]
    assert logs[0].stat().st_size > 0, "nginx logged no request: the scan would be blind"
    found = Scanner(passwords=secrets, shapes=None).files(logs)
    assert not found, describe(found)


def created(province, local: str, agency: str) -> str:
    """``local`` declared and created; its initial password."""
    province.declare(mailbox(local, agency))
    assert province.run()["changed"]
    return province.issued_password(local)


def test_the_form_is_served_through_nginx_with_its_csrf_cookie(server):
    status, headers, body = request("/doimatkhau")
    assert status == 200, body
    assert headers.get("Server", "").startswith("nginx"), headers
    assert headers["Content-Type"].startswith("text/html")
    assert 'lang="vi"' in body and 'name="csrf"' in body
    assert "hymail-csrf" in headers.get("Set-Cookie", ""), headers
    assert request("/")[0] in (200, 302), "nothing answers at /"


def test_a_change_through_the_api_logs_in_at_once_and_the_old_password_never_again(province):
    server = province.server
    initial = created(province, "wsapi", "wsweb")
    first, second = new_password(), new_password()

    status, answer = api_change("wsapi", initial, first)
    assert (status, answer["ok"]) == (200, True), answer
    server.assert_login("wsapi", first)
    assert server.submission_answer("wsapi", first)[0] == 235
    # A password that worked is refused as soon as the next change returns.
    status, answer = api_change("wsapi", first, second)
    assert (status, answer["ok"]) == (200, True), answer
    server.assert_no_login("wsapi", first)
    assert server.submission_answer("wsapi", first)[0] == 535
    server.assert_login("wsapi", second)
    assert server.submission_answer("wsapi", second)[0] == 235

    # The apply that follows keeps the changed hash: nothing to do.
    assert province.run()["changed"] is False, province.results[-1]["summary"]
    server.assert_login("wsapi", second)
    assert_logs_hold_no(server, {"initial": initial, "first": first, "second": second})


def test_a_change_through_the_html_form_with_its_csrf_cookie(province):
    server = province.server
    initial = created(province, "wsform", "wsweb")
    new = new_password()
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, _, page = request(f"/doimatkhau?address=wsform%40{DOMAIN}", opener=browser)
    assert status == 200 and any(cookie.name == "hymail-csrf" for cookie in jar), page
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token, "no csrf field in the form"
    fields = {"address": f"wsform@{DOMAIN}", "current": initial, "new": new, "confirm": new,
              "csrf": token.group(1)}
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    # The same form without the cookie (another site posting it) is refused, nothing changed.
    status, _, page = request("/doimatkhau", urllib.parse.urlencode(fields).encode(), form)
    assert status == 403, page
    status, _, page = request("/doimatkhau", urllib.parse.urlencode(fields).encode(), form,
                              opener=browser)
    assert status == 200, page
    server.assert_login("wsform", new)
    assert server.submission_answer("wsform", new)[0] == 235
    assert not server.must_change("wsform")
    assert province.run()["changed"] is False
    assert_logs_hold_no(server, {"initial": initial, "new": new})


def test_five_wrong_passwords_hold_the_address_with_429(province):
    initial = created(province, "wsthu", "wsweb")
    for attempt in range(5):
        status, answer = api_change("wsthu", initial + "x", new_password())
        assert status == 401, (attempt, answer)
    status, answer = api_change("wsthu", initial, new_password())
    assert status == 429 and answer["ok"] is False, answer
    assert province.server.must_change("wsthu"), "a held change went through"


def test_the_web_application_runs_as_its_own_user_and_the_helper_as_root(server):
    run = server.state_dir / "run"
    web = process_user(run / "web" / "app.pid")
    helper = process_user(run / "password" / "helper.pid")
    assert web == WEB_USER and helper == "root", (web, helper)
    # Only the application's group reaches the helper's socket.
    socket_dir = (run / "password").stat()
    assert (socket_dir.st_mode & 0o777, socket_dir.st_uid) == (0o750, 0)
    assert pwd.getpwnam(WEB_USER).pw_shell in ("/usr/sbin/nologin", "/bin/false")


def process_user(pid_file: pathlib.Path) -> str:
    pid = pid_file.read_text().strip()
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
    return pwd.getpwuid(uid).pw_name


@pytest.mark.parametrize("path", ["/.well-known/autoconfig/mail/config-v1.1.xml",
                                  "/mail/config-v1.1.xml"])
def test_thunderbird_autoconfig_has_the_inventory_ports(server, path):
    status, headers, body = request(f"{path}?emailaddress=wsauto%40{DOMAIN}")
    assert status == 200 and "xml" in headers["Content-Type"], body
    root = ET.fromstring(body)
    ports = {int(port.text) for port in root.iter("port")}
    assert {PORTS["imaps_port"], PORTS["submission_port"]} <= ports, ports
    visit = root.find(".//enable")
    assert visit is not None and visit.get("visiturl", "").endswith("/doimatkhau"), body


AUTODISCOVER = ('<?xml version="1.0" encoding="utf-8"?>'
                '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/'
                'outlook/requestschema/2006"><Request><EMailAddress>{address}</EMailAddress>'
                '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/'
                'outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>')


def autodiscover(address: str, path: str = "/autodiscover/autodiscover.xml") -> tuple[int, str]:
    body = AUTODISCOVER.format(address=address).encode()
    status, _, text = request(path, body, {"Content-Type": "text/xml"})
    return status, text


def test_outlook_autodiscover_answers_for_the_province_and_refuses_a_foreign_address(server):
    status, body = autodiscover(f"wsauto@{DOMAIN}")
    assert status == 200, body
    ports = {int(port.text) for port in ET.fromstring(body).iter()
             if port.tag.endswith("}Port")}
    assert {PORTS["imaps_port"], PORTS["submissions_port"]} <= ports, ports
    assert f"wsauto@{DOMAIN}" in body
    status, body = autodiscover("someone@example.org", "/Autodiscover/Autodiscover.xml")
    assert status == 403 and "example.org" in body, body


@pytest.mark.browser
def test_an_official_changes_the_password_in_headless_chromium(province, browser):
    """The form as an official's browser shows it (screenshots kept): a refused new password
    lists its rule, a good one is done, and the new password logs in at once."""
    server = province.server
    initial = created(province, "wstrinh", "wsweb")
    new = new_password()
    browser.delete_all_cookies()
    browser.get(f"{BASE}/doimatkhau?address=wstrinh%40{DOMAIN}")
    wait_css(browser, "form button[type=submit]")
    assert css(browser, "html")[0].get_attribute("lang") == "vi"
    screenshot(browser, "doimatkhau-form")
    fill_and_send(browser, initial, "Abcdefg1")  # Điều 8: no special character
    refused = wait_css(browser, "p.loi")
    screenshot(browser, "doimatkhau-refused")
    assert any("HYM005" in item.text for item in css(browser, "li")), refused.text  # no sign
    browser.get(f"{BASE}/doimatkhau?address=wstrinh%40{DOMAIN}")
    fill_and_send(browser, initial, new)
    done = wait_css(browser, "p.xong")
    screenshot(browser, "doimatkhau-done")
    assert done.get_attribute("role") == "status", done.text
    server.assert_login("wstrinh", new)
    server.assert_no_login("wstrinh", initial)
    assert_logs_hold_no(server, {"initial": initial, "new": new})


def fill_and_send(driver, current: str, new: str) -> None:
    """The form's fields (the address is filled in from the link), then its button."""
    for field, value in (("current", current), ("new", new), ("confirm", new)):
        element = css(driver, f"#{field}")[0]
        element.clear()
        element.send_keys(value)
    css(driver, "form button[type=submit]")[0].click()
