"""Dovecot's cache of verified logins (issue 16, part 2; docs/mailserver.md, "Login storms")
on the real test server: it is on (a verified login leaves one entry for its account), an
account's entry is emptied the moment a password change by its user returns, or an apply
that resets or locks it returns, so the old password fails at once; the entries of the
accounts none of these touch stay, and those accounts go on logging in.

``doveadm auth cache flush <login>`` answers with the number of entries it removed: the
test's only window into the cache (it empties that account's entry, so it comes last for
each account). The passwords are made here and never written in the repository."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from e2e_support import DOMAIN, change_password, mailbox

pytestmark = pytest.mark.server
LOCK_LETTER = Request("405/STTTT-KHOA", "2026-11-30")
RESET_LETTER = Request("56/ĐN-E2E", "2026-11-30")


def cached(server, local: str) -> int:
    """How many cache entries ``local`` had (emptying them: call it last for ``local``)."""
    result = subprocess.run(
        ["doveadm", "-c", str(server.state_dir / "etc" / "dovecot" / "dovecot.conf"),
         "auth", "cache", "flush", f"{local}@{DOMAIN}"],
        capture_output=True, text=True, check=True, timeout=30)
    found = re.search(r"(\d+) cache entries flushed", result.stdout + result.stderr)
    assert found, f"doveadm's answer: {result.stdout!r} {result.stderr!r}"
    return int(found.group(1))


def test_a_password_change_empties_the_entry_before_it_returns(province):
    server, local, other = province.server, "tcache.doi", "tcache.ban"
    province.declare(mailbox(local, "tcache"), mailbox(other, "tcache"))
    province.run()
    old, kept = province.password(local), province.password(other)
    server.assert_login(local, old)
    server.assert_login(other, kept)  # both verified: both in the cache now

    new = change_password(server, local, old)  # as the password page does (helper path)

    server.assert_no_login(local, old)
    assert server.submission_answer(local, old)[0] == 535
    server.assert_login(local, new)
    server.assert_login(other, kept)  # answered from its entry, which the change left alone
    assert cached(server, other) == 1
    assert cached(server, local) == 1  # the new password's entry, the old one's gone


def test_an_apply_that_resets_or_locks_empties_the_entry_before_it_returns(province):
    server = province.server
    reset, locked, other = "tcache.datlai", "tcache.khoa", "tcache.khac"
    boxes = {name: mailbox(name, "tcachea") for name in (reset, locked, other)}
    province.declare(*boxes.values())
    province.run()
    known = {name: province.password(name) for name in boxes}
    for name, password in known.items():
        server.assert_login(name, password)

    province.declare(replace(boxes[reset], password_reset=RESET_LETTER),
                     replace(boxes[locked], status="locked", lock_reason="compromised",
                             request=LOCK_LETTER),
                     boxes[other])
    assert province.run()["changed"]

    server.assert_no_login(reset, known[reset])
    server.assert_initial_password(reset, province.issued_password(reset))  # HYM060 as ever
    server.assert_no_login(locked, known[locked])
    assert cached(server, locked) == 0
    server.assert_login(other, known[other])
    assert cached(server, other) == 1
