"""The reviewer's plan: JSON document and Vietnamese Markdown, never a secret."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    generate,
    hash_password,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import (
    render_json,
    render_markdown,
)

DOMAIN = "hungyen.gov.vn"
LETTER = Request("12/ĐN-STTTT", "2026-11-02")


def box(address: str, **fields) -> Mailbox:
    base = {"kind": "person", "agency": "sotttt", "name": f"Người {address}", "request": LETTER}
    return Mailbox(address=address, **(base | fields))


def live(mailbox: Mailbox, **fields):
    account = account_from_mailbox(mailbox).evolve(
        status=mailbox.status, lock_reason=mailbox.lock_reason, must_change=False)
    return account.evolve(**fields)


@pytest.fixture(name="changes")
def fixture_changes():
    desired = [
        box("moi"), box("khoa", status="locked", lock_reason="compromised"),
        box("thuhoi", status="revoked"), box("tennew", kind="division", agency="sonv",
                                            previous=("tenold",)),
        box("chuyen", agency="sonv"),
        box("sotttt", kind="agency", delegates=("moi",), name="Sở TTTT | *bold*"),
    ]
    actual = [live(box("khoa")), live(box("thuhoi")), live(box("tenold", kind="division",
                                                              agency="sonv")),
              live(box("chuyen")), live(box("sotttt", kind="agency", name="Sở TTTT | *bold*")),
              live(box("lala"))]
    return plan_changes(desired, {a.address: a for a in actual})


def test_counts_come_first(changes):
    text = render_markdown(changes, DOMAIN)
    head = text.split("\n## ")[0]
    for code, count in [("create", 1), ("lock", 1), ("revoke", 1), ("rename", 1),
                        ("move", 1), ("delegate", 1), ("drift", 1)]:
        assert f"| `{code}` | {count} |" in head


def test_warning_block_lists_every_revoke_rename_lock(changes):
    text = render_markdown(changes, DOMAIN)
    warning = [line for line in text.splitlines() if line.startswith(">")]
    assert "CẢNH BÁO: 3 thay đổi" in warning[0]
    joined = "\n".join(warning)
    for expected in ("**REVOKE** `thuhoi@hungyen.gov.vn`", "**LOCK** `khoa@hungyen.gov.vn`",
                     "**RENAME** `tenold@hungyen.gov.vn` → `tennew@hungyen.gov.vn`"):
        assert expected in joined


def test_grouped_by_agency_with_address_name_and_letter(changes):
    text = render_markdown(changes, DOMAIN)
    sections = text.split("\n## ")[1:]
    assert [s.splitlines()[0] for s in sections] == ["Cơ quan `sonv`", "Cơ quan `sotttt`"]
    assert "`moi@hungyen.gov.vn` — Người moi" in sections[1]
    assert "Văn bản đề nghị: số 12/ĐN-STTTT ngày 2026-11-02" in sections[1]
    assert "Lý do: bị chiếm quyền sử dụng (Điều 7.1.b)" in sections[1]
    assert "Cơ quan: `sotttt` → `sonv`" in sections[0]


def test_names_cannot_break_the_markdown(changes):
    text = render_markdown(changes, DOMAIN)
    assert "Sở TTTT \\| \\*bold\\*" in text


def test_no_changes_says_so():
    text = render_markdown([], DOMAIN)
    assert "Không có thay đổi nào" in text and "CẢNH BÁO" not in text


def test_json_document(changes):
    data = json.loads(render_json(changes, DOMAIN, {"state_digest": "abc"}))
    assert data["domain"] == DOMAIN and data["state_digest"] == "abc"
    assert data["summary"]["total"] == len(changes)
    assert [d["address"] for d in data["drift"]] == ["lala"]
    assert all({"action", "address", "agency", "request"} <= set(c) for c in data["changes"])
    assert [c["address"] for c in data["changes"] if c["action"] == "drift"] == ["lala"]
    assert len(data["changes"]) == len(changes)


def test_json_is_stable(changes):
    assert render_json(changes, DOMAIN) == render_json(list(changes), DOMAIN)


def test_never_a_password_or_hash_in_any_rendering(changes):
    password = generate()
    hashed = hash_password(password, HashSettings(1, 8192, 1))
    texts = [render_markdown(changes, DOMAIN), render_json(changes, DOMAIN)]
    for text in texts:
        assert password not in text and hashed not in text
        for marker in ("{ARGON2ID}", "$argon2", "\"password\":", "mật khẩu là"):
            assert marker not in text
