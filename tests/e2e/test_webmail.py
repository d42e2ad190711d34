"""The webmail (issue 14) in Debian's headless Chromium, against the session's real server:
Roundcube behind nginx on the web port, reading over IMAP and sending through submission.

An agency's clerk logs in with a changed password, reads the agency's notice, sends a message
to another mailbox (which arrives) and changes the password from Settings (the new one logs
in over IMAP, the old one no longer does); a login with an initial password is led to the
password page (HYM070). Screenshots are kept under build/artifacts/screenshots/.
"""

from __future__ import annotations

import time
import unicodedata

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
from ansible_collections.hungyen.mail.plugins.module_utils.notices.notify import load_templates
from ansible_collections.hungyen.mail.plugins.modules import mail_notify
from browser_support import browser, css, page_text, screenshot, wait_css, wait_for
from e2e_support import DOMAIN, PORTS, ROOT, issued_password, mailbox
from secrets_scan import Scanner, describe

pytestmark = [pytest.mark.server, pytest.mark.browser]
__all__ = ["browser"]  # the fixture, imported for pytest

WEBMAIL = f"http://127.0.0.1:{PORTS['web_port']}/"
PASSWORD_PAGE = f"{WEBMAIL}doimatkhau"
NOTICE_SUBJECT = "[Thư điện tử công vụ] Thông báo kết quả xử lý hộp thư"
INVENTORY = yaml.safe_load((ROOT / "inventory" / "local" / "group_vars" / "all.yml").read_text(
    encoding="utf-8"))


def notify(server, only: list[str], sender: str) -> dict:
    """The notices of ``only`` sent by mail (playbooks/notify.yml's module, in-process)."""
    templates = load_templates(str(ROOT / "playbooks" / "templates" / "notify"))
    params = {"state_dir": str(server.state_dir), "domain": DOMAIN, "templates": templates,
              "smtp_port": PORTS["smtp_port"], "only": only, "sender": sender,
              "operator": INVENTORY["operator"] | {"mailbox": sender},
              "regulation": INVENTORY["regulation"], "password_page": PASSWORD_PAGE}
    return mail_notify.run(params)


def log_in(driver, local: str, password: str) -> None:
    """Roundcube's login form, filled and sent."""
    driver.delete_all_cookies()
    driver.get(WEBMAIL)
    user = wait_css(driver, "#rcmloginuser")
    user.clear()
    user.send_keys(f"{local}@{DOMAIN}")
    css(driver, "#rcmloginpwd")[0].send_keys(password)
    css(driver, "#rcmloginsubmit")[0].click()


def open_inbox(driver, local: str, password: str) -> None:
    log_in(driver, local, password)
    wait_css(driver, "#mailboxlist")
    wait_for(driver, lambda d: "_task=mail" in d.current_url, "the mail view")


def message_rows(driver) -> list:
    return css(driver, "#messagelist tbody tr")


def wait_for_row(driver, subject: str):
    """The message list's row of ``subject`` (the list is refreshed until it shows)."""
    def row(d):
        found = [r for r in message_rows(d) if subject in r.text]
        if not found:
            d.execute_script("rcmail.command('checkmail', {})")
        return found[0] if found else None
    return wait_for(driver, row, f"the message {subject!r} in the list", timeout=60)


def preview_text(driver) -> str:
    """The text of the message shown in the preview frame."""
    frame = wait_css(driver, "#messagecontframe")
    driver.switch_to.frame(frame)
    try:
        return wait_for(driver, lambda d: (css(d, "#messagebody") or [None])[0] and
                        css(d, "#messagebody")[0].text, "the message body")
    finally:
        driver.switch_to.default_content()


def compose_and_send(driver, to: str, subject: str, body: str) -> None:
    driver.get(f"{WEBMAIL}?_task=mail&_action=compose")
    recipient = wait_css(driver, "#compose_to input, #_to")
    recipient.send_keys(to + ",")
    css(driver, "#compose-subject")[0].send_keys(subject)
    css(driver, "#composebody")[0].send_keys(body)
    screenshot(driver, "webmail-compose")
    driver.execute_script("rcmail.command('send', {})")
    wait_for(driver, lambda d: "_action=compose" not in d.current_url, "the message sent")


def change_password_in_settings(driver, current: str, new: str) -> str:
    """Settings -> Password; the confirmation Roundcube shows."""
    driver.get(f"{WEBMAIL}?_task=settings&_action=plugin.password")
    wait_css(driver, "#curpasswd").send_keys(current)
    css(driver, "#newpasswd")[0].send_keys(new)
    css(driver, "#confpasswd")[0].send_keys(new)
    screenshot(driver, "webmail-password-form")
    driver.execute_script("rcmail.command('plugin.password-save', {})")
    return wait_for(driver, lambda d: next((m.text for m in css(d, "#messagestack div")
                                            if m.text.strip()), None),
                    "Roundcube's answer to the change")


def new_password() -> str:
    """A password that meets Điều 8 (the generator's)."""
    return passwords.generate()


def test_a_clerk_reads_the_agency_notice_and_sends_a_message(province, browser):
    """An operator, an agency with its clerk's mailbox, a person and a second person; the
    agency's notice (the person's initial password) is sent to the agency's mailbox."""
    server = province.server
    province.declare(mailbox("wmdieuhanh", "wmdieuhanh", kind="agency"),
                     mailbox("wmvanthu", "wmvanthu", kind="agency"),
                     mailbox("wmcanbo", "wmvanthu"), mailbox("wmnhan", "wmvanthu"))
    province.run(operator_mailbox="wmdieuhanh", commit="c0ffee", approved_by="pheduyet")
    # Before the notices leave the outbox; the clerk's is changed as the password page does.
    password = province.password("wmvanthu")
    assert notify(server, ["wmvanthu"], sender="wmdieuhanh")["sent"] == 1
    open_inbox(browser, "wmvanthu", password)
    assert css(browser, "html")[0].get_attribute("lang") == "vi"

    row = wait_for_row(browser, NOTICE_SUBJECT)
    screenshot(browser, "webmail-inbox")  # before the notice opens: it shows a password
    row.click()
    body = preview_text(browser)
    assert "MẬT KHẨU BAN ĐẦU CỦA HỘP THƯ CÁ NHÂN" in body
    assert f"wmcanbo@{DOMAIN}" in body

    subject = f"Webmail e2e {time.monotonic_ns()}"
    compose_and_send(browser, f"wmnhan@{DOMAIN}", subject, "Gửi từ webmail.")
    headers = server.delivered("wmnhan", subject).read_text(errors="replace").split("\n\n")[0]
    assert f"From: wmvanthu@{DOMAIN}" in headers or f"<wmvanthu@{DOMAIN}>" in headers, \
        "the message is from the clerk's own address"


def test_a_clerk_changes_the_password_from_settings(province, browser):
    """Settings -> Password posts to the password service: the new password logs in over
    IMAP at once, the old one no longer does."""
    server = province.server
    province.declare(mailbox("wmdoi", "wmdoi", kind="agency"))
    province.run()
    password = province.password("wmdoi")
    open_inbox(browser, "wmdoi", password)
    new = new_password()
    answer = change_password_in_settings(browser, password, new)
    screenshot(browser, "webmail-password-changed")
    assert answer == "Đã lưu thành công", answer
    server.assert_login("wmdoi", new)
    server.assert_no_login("wmdoi", password)
    # Neither password in Roundcube's logs, database and temporary files, nor the web logs.
    scanner = Scanner(passwords={"wmdoi (old)": password, "wmdoi (new)": new})
    found = scanner.paths(server.state_dir / "webmail", server.state_dir / "log")
    assert not found, describe(found)


def test_a_refused_new_password_shows_the_service_s_coded_reason(province, browser):
    """A new password that breaks Điều 8 (no capital letter) passes Roundcube's own checks and
    is refused by the password service: Roundcube says so with the service's codes, and the
    current password still logs in."""
    server = province.server
    province.declare(mailbox("wmyeu", "wmyeu", kind="agency"))
    province.run()
    password = province.password("wmyeu")
    open_inbox(browser, "wmyeu", password)
    # Debian's Vietnamese texts of Roundcube are decomposed (tone marks as combining ones).
    answer = unicodedata.normalize("NFC", change_password_in_settings(
        browser, password, "matkhau-thuong1"))
    screenshot(browser, "webmail-password-refused")
    assert answer.startswith("Không thể lưu mật khẩu mới — HYM022 "), answer
    assert "HYM002 mật khẩu mới không có chữ hoa (A-Z)" in answer, answer
    server.assert_login("wmyeu", password)


def test_an_initial_password_is_led_to_the_password_page(province, browser):
    province.declare(mailbox("wmmoi", "wmmoi", kind="agency"))
    province.run()
    assert province.server.must_change("wmmoi")
    log_in(browser, "wmmoi", issued_password(province.server, "wmmoi"))
    lead = wait_css(browser, "#hymail-doimatkhau")
    screenshot(browser, "webmail-initial-password")
    assert "HYM070" in lead.text and "mật khẩu ban đầu" in lead.text
    link = css(browser, "#hymail-doimatkhau-link")[0]
    assert link.get_attribute("href") == f"{PASSWORD_PAGE}?address=wmmoi%40{DOMAIN}"
    assert "_task=mail" not in browser.current_url
    link.click()  # the password page, the address filled in
    address = wait_css(browser, "input#address")
    assert browser.current_url.startswith(PASSWORD_PAGE)
    assert address.get_attribute("value") == f"wmmoi@{DOMAIN}"
    screenshot(browser, "webmail-led-to-the-password-page")


def test_a_wrong_password_gets_the_ordinary_failure(province, browser):
    province.declare(mailbox("wmsai", "wmsai", kind="agency"))
    province.run()
    log_in(browser, "wmsai", "Sai-mat-khau-1")
    wait_for(browser, lambda d: "_task=login" in d.current_url or css(d, "#rcmloginuser"),
             "the login page again")
    time.sleep(1)
    assert not css(browser, "#hymail-doimatkhau")
    assert "HYM070" not in page_text(browser)
