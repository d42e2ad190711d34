"""Ending sessions (issue 13, item 6; Điều 7.1.b, 10.1.g) against the real Postfix + Dovecot:
an IMAP session open with INBOX selected ends (BYE, or its next command fails) within 5 s of
an apply that locks the mailbox, of an emergency lock, and of an apply that removes a
delegate reading the shared folder; a new login is refused; a session of a mailbox the
batch does not touch keeps working."""

from __future__ import annotations

import contextlib
import imaplib
import time
from dataclasses import replace

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import emergency
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from e2e_support import DOMAIN, mailbox

pytestmark = pytest.mark.server
LOCK_LETTER = Request("404/STTTT-KHOA", "2026-11-30")
WITHIN = 5.0  # seconds (issue 13, item 6)


def opened(server, local: str, password: str, folder: str = "INBOX") -> imaplib.IMAP4:
    """A logged-in IMAP session with ``folder`` selected."""
    imap = server.imap(local, password)
    status, _ = imap.select(folder, readonly=True)
    assert status == "OK", f"{local} cannot select {folder}"
    return imap


def ended(imap: imaplib.IMAP4, since: float) -> float | None:
    """Seconds from ``since`` until the session's next command failed (BYE or a closed
    connection), polling NOOP; None when it still answered ``WITHIN`` seconds after."""
    while True:
        try:
            status, _ = imap.noop()
        except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
            return time.monotonic() - since
        if status != "OK":
            return time.monotonic() - since
        if time.monotonic() - since > WITHIN:
            return None
        time.sleep(0.2)


def still_open(imap: imaplib.IMAP4) -> bool:
    try:
        return imap.noop()[0] == "OK"
    except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
        return False


def close(*sessions: imaplib.IMAP4) -> None:
    for imap in sessions:
        with contextlib.suppress(imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
            imap.logout()


def locked(box):
    return replace(box, status="locked", lock_reason="compromised", request=LOCK_LETTER)


def test_an_apply_that_locks_a_mailbox_ends_its_open_session(province):
    server = province.server
    target, bystander = mailbox("tphienkhoa", "tphien"), mailbox("tphienkhac", "tphien")
    province.declare(target, bystander)
    province.run()
    password = province.password("tphienkhoa")
    session = opened(server, "tphienkhoa", password)
    other = opened(server, "tphienkhac", province.password("tphienkhac"))
    try:
        province.declare(locked(target))
        start = time.monotonic()
        result = province.run()
        assert [c["action"] for c in result["changes"]] == ["lock"]
        assert result["applied"]["sessions"] == {"ended": 1, "error": None}
        assert "warnings" not in result
        took = ended(session, start)
        assert took is not None, f"the locked mailbox's session still answers after {WITHIN} s"
        assert still_open(other), "a session of a mailbox the apply did not touch was ended"
    finally:
        close(session, other)
    server.assert_no_login("tphienkhoa", password)


def test_an_emergency_lock_ends_the_open_session(province):
    server = province.server
    province.declare(mailbox("tphienkhan", "tphien2"))
    province.run()
    password = province.password("tphienkhan")
    session = opened(server, "tphienkhan", password)
    try:
        params = {"address": f"tphienkhan@{DOMAIN}", "action": "lock", "by": "pheduyet-sotttt",
                  "reason": "tài khoản bị chiếm quyền, đăng nhập lạ"}
        start = time.monotonic()
        result = emergency.run(backend_from_settings(str(server.state_dir), DOMAIN),
                               str(server.state_dir), params)
        assert result["applied"]["sessions"] == {"ended": 1, "error": None}
        took = ended(session, start)
        assert took is not None, f"the session still answers {WITHIN} s after the emergency lock"
    finally:
        close(session)
    server.assert_no_login("tphienkhan", password)


def test_a_removed_delegate_stops_reading_the_shared_folder_it_had_selected(province):
    server = province.server
    owner = mailbox("tphienchung", "tphien3", kind="agency", delegates=("tphienuyq",))
    province.declare(owner, mailbox("tphienuyq", "tphien3"))
    province.run()
    close(opened(server, "tphienchung", province.password("tphienchung")))  # its Maildir
    time.sleep(1.2)  # the local inventory's ACL cache (mailserver_acl_cache_secs) is 1 s
    password = province.password("tphienuyq")
    session = opened(server, "tphienuyq", password, f'"shared/tphienchung@{DOMAIN}"')
    try:
        province.declare(replace(owner, delegates=()))
        start = time.monotonic()
        result = province.run()
        assert [c["action"] for c in result["changes"]] == ["delegate"]
        assert result["applied"]["sessions"] == {"ended": 1, "error": None}
        assert ended(session, start) is not None, "the removed delegate still reads"
    finally:
        close(session)
    server.assert_login("tphienuyq", password)  # the delegate's own mailbox is untouched
