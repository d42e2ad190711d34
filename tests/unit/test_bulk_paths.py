"""The fast paths written for 100,000 mailboxes give what the plain ones gave."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from ansible_collections.hungyen.mail.plugins.module_utils.apply.reconcile import state_digest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    ServerState,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.render import (
    metadata_json,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.stage import (
    same_text,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import plan_json, render_json

LETTER = Request("7/UBND-VP", "2026-03-02")
PEOPLE = [
    Mailbox("nvan", "person", "tienlu", "Nguyễn Văn An", request=LETTER,
            directory={"agency_name": "UBND huyện Tiên Lữ", "title": "Chuyên viên"}),
    Mailbox("ttb", "person", "tienlu", "Trần Thị Bình", status="locked",
            lock_reason="violation", request=LETTER),
    Mailbox("tienlu", "agency", "tienlu", "UBND huyện Tiên Lữ", delegates=("nvan",),
            previous=("tienlu1",), request=LETTER),
]
ACCOUNTS = {"lvc": Account("lvc", agency="anvien", name="Lê Văn Cường", request=LETTER,
                           directory={"title": "Kế toán"}, created="2026-01-01T00:00:00+00:00"),
            "tienlu1": Account("tienlu1", kind="agency", agency="tienlu", aliases=("tl",))}


def test_plan_file_holds_the_plan_document():
    changes = plan_changes(PEOPLE, ACCOUNTS)
    expected = json.loads(render_json(changes, "hungyen.gov.vn", {"state_digest": "x"}))
    assert json.loads(plan_json(expected)) == expected
    assert json.loads(plan_json({})) == {}


def test_accounts_json_holds_the_state():
    state = ServerState(accounts=ACCOUNTS, issued={"lvc": "ab12"},
                        history=[{"at": "t", "changes": [{"action": "create"}]}])
    data = json.loads(metadata_json(state))
    assert data == {"version": 1, "issued": {"lvc": "ab12"}, "history": state.history,
                    "accounts": {a: ACCOUNTS[a].to_dict() for a in sorted(ACCOUNTS)}}


def test_state_digest_is_the_digest_of_the_whole_text():
    views = {address: account.view() for address, account in sorted(ACCOUNTS.items())}
    text = json.dumps(views, sort_keys=True, ensure_ascii=False)
    assert state_digest(ACCOUNTS) == hashlib.sha256(text.encode()).hexdigest()
    empty = hashlib.sha256(b"{}").hexdigest()
    assert state_digest({}) == empty


def test_records_built_directly_equal_records_built_by_init():
    account = ACCOUNTS["lvc"]
    assert Account.from_dict(account.to_dict()) == account
    assert Account.from_dict(account.to_dict()).to_dict() == account.to_dict()
    assert account.evolve(status="locked") == dataclasses.replace(account, status="locked")
    assert account.view() == {k: v for k, v in account.to_dict().items()
                              if k in account.view()}
    for mailbox in PEOPLE:
        again = Mailbox.from_dict(mailbox.to_dict())
        assert again == mailbox and again.directory == mailbox.directory


def test_file_compared_piece_by_piece(tmp_path):
    path = tmp_path / "f"
    assert not same_text(str(path), "")
    text = "Nguyễn Văn Ánh\n" * 1000
    path.write_text(text, "utf-8")
    assert same_text(str(path), text, chunk=7)
    assert not same_text(str(path), text + "x", chunk=7)
    assert not same_text(str(path), text[:-1], chunk=7)
