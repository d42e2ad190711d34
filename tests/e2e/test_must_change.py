"""The initial password must be changed before any use (Điều 12.1, issue 14), against the real
Postfix + Dovecot of inventory/local: the right initial password is refused over IMAP
(``NO [ALERT]``) and SMTP AUTH (``535``) with HYM060, which names the password page; a wrong
one gets the ordinary failure; mail keeps arriving; a change opens the mailbox, a reset
closes it again until the next change."""

from __future__ import annotations

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from ansible_collections.hungyen.mail.plugins.module_utils.server.login_messages import (
    must_change_reason,
)
from e2e_support import PORTS, mailbox

pytestmark = pytest.mark.server
RESET_LETTER = Request("314/ĐN-E2E", "2026-12-01")
# inventory/local: mailserver_password_page is mailserver_web_url's /doimatkhau, on the
# web port the tests give the server (8080 where they give none).
PAGE = f"http://127.0.0.1:{PORTS.get('web_port', 8080)}/doimatkhau"
REASON = must_change_reason(PAGE)


def assert_must_change(server, local: str, password: str) -> None:
    """The right password is refused with HYM060 over IMAP and submission."""
    assert server.must_change(local)
    assert server.login_answer(local, password) == f"[ALERT] {REASON}"
    code, text = server.submission_answer(local, password)
    assert code == 535 and text.endswith(REASON), (code, text)


def assert_ordinary_failure(server, local: str, password: str) -> None:
    answer = server.login_answer(local, password)
    assert answer.startswith("[AUTHENTICATIONFAILED]") and "HYM060" not in answer, answer
    code, text = server.submission_answer(local, password)
    assert code == 535 and "HYM060" not in text, (code, text)


def test_initial_password_refused_until_changed_mail_still_arrives(province):
    server = province.server
    province.declare(mailbox("tdoimk", "tdoimk"))
    province.run()
    issued = province.issued_password("tdoimk")
    assert REASON.isascii() and PAGE in REASON and REASON.startswith("HYM060 ")

    assert_must_change(server, "tdoimk", issued)
    assert_ordinary_failure(server, "tdoimk", issued + "x")
    server.send("tdoimk", "thu den truoc khi doi mat khau")  # LMTP delivery goes on
    server.delivered("tdoimk", "thu den truoc khi doi mat khau")

    changed = province.password("tdoimk")  # changed as the password page does
    assert changed != issued and not server.must_change("tdoimk")
    imap = server.imap("tdoimk", changed)
    try:
        assert imap.select("INBOX")[0] == "OK"
        assert imap.search(None, "SUBJECT", '"truoc khi doi mat khau"')[1][0].split()
    finally:
        imap.logout()
    assert server.submission_answer("tdoimk", changed)[0] == 235
    assert_ordinary_failure(server, "tdoimk", issued)  # the initial one is gone at once


def test_reset_password_must_be_changed_again(province):
    server = province.server
    province.declare(mailbox("tdatlaimk", "tdatlaimk"))
    province.run()
    server.assert_login("tdatlaimk", province.password("tdatlaimk"))  # changed once
    province.declare(mailbox("tdatlaimk", "tdatlaimk", password_reset=RESET_LETTER))
    province.run()

    reissued = province.issued_password("tdatlaimk")
    assert_must_change(server, "tdatlaimk", reissued)
    server.assert_login("tdatlaimk", province.password("tdatlaimk"))
    assert not server.must_change("tdatlaimk")
