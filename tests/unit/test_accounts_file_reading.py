"""accounts.json read a line at a time (issue 16: the whole text and its parse are never held
at once) gives what parsing it whole gives, and any other layout is parsed whole."""

from __future__ import annotations

import io
import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.digests import text_digest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    ServerState,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.read import (
    _read_lines,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.render import (
    as_text,
    encoded,
    metadata_json,
    metadata_pieces,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.stage import (
    content_digest,
    same_text,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.state import (
    RawJSON,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account

LETTER = Request("7/UBND-VP", "2026-03-02")
ACCOUNTS = {"lvc": Account("lvc", agency="anvien", name="Lê Văn Cường", request=LETTER,
                           directory={"title": "Kế toán"}, created="2026-01-01T00:00:00+00:00"),
            "tienlu1": Account("tienlu1", kind="agency", agency="tienlu", aliases=("tl",))}
HISTORY = [{"at": "t1", "changes": [{"action": "create", "address": "lvc"}]},
           {"at": "t2", "changes": []}]


def read(text: str) -> tuple[dict | None, dict]:
    taken = {}
    meta = _read_lines(io.StringIO(text), lambda address, record: taken.update({address: record}))
    return meta, taken


def as_parsed(meta: dict, taken: dict) -> dict:
    return {**meta, "accounts": taken,
            "history": [json.loads(entry) for entry in meta["history"]]}


@pytest.mark.parametrize(("accounts", "history"), [
    (ACCOUNTS, HISTORY), ({}, []), (ACCOUNTS, []), ({}, HISTORY),
    ({"lvc": ACCOUNTS["lvc"]}, HISTORY[:1]),
])
def test_line_by_line_gives_what_a_whole_parse_gives(accounts, history):
    text = metadata_json(ServerState(accounts=accounts, issued={"lvc": "ab12"},
                                     history=list(history)))
    meta, taken = read(text)
    assert meta is not None
    assert as_parsed(meta, taken) == json.loads(text)
    assert all(isinstance(entry, RawJSON) for entry in meta["history"])


def test_history_read_as_text_is_written_back_as_it_was():
    text = metadata_json(ServerState(accounts=ACCOUNTS, issued={}, history=list(HISTORY)))
    meta, _taken = read(text)
    again = ServerState(accounts=ACCOUNTS, issued={}, history=meta["history"])
    assert metadata_json(again) == text
    assert b"".join(encoded(metadata_pieces(again))) == text.encode()


WHOLE = metadata_json(ServerState(accounts=ACCOUNTS, issued={}, history=list(HISTORY)))


@pytest.mark.parametrize("text", [
    json.dumps(json.loads(WHOLE), indent=2),  # an earlier version's layout
    WHOLE.replace('\n"history"', '\n\n"history"', 1),  # a blank line
    WHOLE.replace("},\n", "}\n", 1),  # a comma gone: not JSON
    WHOLE[:-3],  # cut short
    WHOLE.replace('"t2", "changes": []}', '"t2", "changes": []]', 1),  # a broken entry
    WHOLE.replace('"version": 1}', '"version": 1, "extra": 2}', 1),
    "",
])
def test_any_other_layout_is_left_to_the_whole_parse(text):
    meta, _taken = read(text)
    assert meta is None


def test_contents_as_pieces_compare_and_digest_as_their_text(tmp_path):
    text = metadata_json(ServerState(accounts=ACCOUNTS, issued={}, history=list(HISTORY)))
    pieces = encoded(metadata_pieces(ServerState(accounts=ACCOUNTS, issued={},
                                                 history=list(HISTORY))))
    path = tmp_path / "accounts.json"
    path.write_text(text, encoding="utf-8")
    assert as_text(pieces) == text
    assert content_digest(pieces) == text_digest(text) == content_digest(text)
    assert same_text(str(path), pieces) and same_text(str(path), text)
    assert not same_text(str(path), pieces[:-1])
    assert not same_text(str(path), [*pieces, b"x"])
