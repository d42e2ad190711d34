"""must-change.passwd (issue 14): which accounts Dovecot refuses until the initial password is
changed, and the HYM060 text it answers them with (ASCII, one value of override_fields)."""

from __future__ import annotations

import datetime
import json
import pathlib
import stat

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.filter import server_texts
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    migrate,
    render,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.layout import (
    Layout,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.state import (
    ServerState,
    hash_digest,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.server import login_messages

DOMAIN = "hungyen.gov.vn"
PAGE = "https://mail.hungyen.gov.vn/doimatkhau"
ISSUED, CHANGED = "{ARGON2ID}issued", "{ARGON2ID}changed"


def state_of(*cases: tuple[str, str, bool, str, bool]) -> ServerState:
    """(address, status, must_change, live hash, whether ``issued`` records ISSUED)."""
    state = ServerState()
    for address, status, must_change, hashed, recorded in cases:
        state.accounts[address] = Account(address=address, kind="person", agency="a",
                                          status=status, must_change=must_change)
        state.hashes[address] = hashed
        if recorded:
            state.issued[address] = hash_digest(ISSUED)
    return state


@pytest.mark.parametrize(("status", "must_change", "hashed", "recorded", "expected"), [
    ("active", True, ISSUED, True, True),       # just created, reset, unlocked, reinstated
    ("active", True, CHANGED, True, False),     # the user changed it: the digest differs
    ("active", False, ISSUED, True, False),     # flag cleared
    ("active", True, ISSUED, False, False),     # never issued by us (nothing to compare)
    ("locked", True, ISSUED, True, False),      # deny.passwd refuses it already
    ("revoked", True, ISSUED, True, False),
])
def test_must_change_follows_the_generation(status, must_change, hashed, recorded, expected):
    state = state_of(("an", status, must_change, hashed, recorded))
    assert render.must_change(state, state.accounts["an"]) is expected


def test_must_change_file_holds_the_users_line_of_each_account_that_must_change(tmp_path):
    state = state_of(("an", "active", True, ISSUED, True), ("binh", "active", True, CHANGED, True),
                     ("chi", "locked", True, ISSUED, True))
    files = render.render(Layout(str(tmp_path), DOMAIN), state)
    users = files["users.passwd"].splitlines()
    assert files["must-change.passwd"].splitlines() == [users[0]]
    assert users[0] == f"an@{DOMAIN}:{ISSUED}::::::"


def test_reason_is_ascii_names_the_page_and_has_its_code():
    reason = login_messages.must_change_reason(PAGE)
    assert reason.isascii() and reason.isprintable()
    assert reason.startswith("HYM060 mat khau ban dau chua duoc doi") and f" {PAGE} " in reason
    assert "(khoan 1 Dieu 12)" in reason and "Cach sua: doi mat khau tai" in reason


def test_dovecot_reason_is_one_value_with_every_space_from_the_environment():
    value = server_texts.FilterModule().filters()["must_change_reason"](PAGE)
    assert " " not in value and value.count("%") == value.count("%{env:HYMAIL_SP}")
    assert value.replace("%{env:HYMAIL_SP}", " ") == login_messages.must_change_reason(PAGE)


@pytest.mark.parametrize("page", ["", "  ", None, "https://mail.hưngyên.vn/doimatkhau",
                                  "https://mail.hungyen.gov.vn/doi mat khau"])
def test_a_page_that_cannot_be_written_stops_the_template(page):
    with pytest.raises(AnsibleFilterError, match="must_change_reason"):
        server_texts.must_change_reason(page)


def test_an_upgraded_server_gets_the_file_rendered_readable_as_users_passwd(tmp_path, clock_at):
    """A live generation an earlier version wrote (no must-change.passwd): the next apply's
    recovery adds it, its lines rendered, with users.passwd's owner and mode (Dovecot reads
    both; the role, which sets them, may not have run yet)."""
    clock_at(datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC))
    state = tmp_path / "hymail"
    (state / "etc" / "postfix").mkdir(parents=True)
    (state / "etc" / "postfix" / "main.cf").write_text("")
    layout = Layout(str(state), DOMAIN)
    migrate.ensure_layout(layout)  # generation 0, every file empty
    live = pathlib.Path(layout.generations.live_dir())
    (live / "must-change.passwd").unlink()  # as the earlier version left it
    (live / "users.passwd").write_text(f"an@{DOMAIN}:{ISSUED}::::::\n")
    (live / "users.passwd").chmod(0o644)
    accounts = {"accounts": {"an": {"address": "an", "kind": "person", "agency": "a",
                                    "must_change": True}}, "issued": {"an": hash_digest(ISSUED)}}
    (live / "accounts.json").write_text(json.dumps(accounts))

    assert migrate.ensure_layout(layout)
    added = pathlib.Path(layout.path("must-change.passwd"))
    assert added.read_text() == f"an@{DOMAIN}:{ISSUED}::::::\n"
    assert stat.S_IMODE(added.stat().st_mode) == 0o644
