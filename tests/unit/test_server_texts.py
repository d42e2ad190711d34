"""What the mail server says to people (an SMTP reply): ASCII, in the glossary's words, the
regulation named generically (its decision number belongs to the inventory)."""

from __future__ import annotations

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    render,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("điểm c khoản 2 Điều 6", "diem c khoan 2 Dieu 6"),
    ("Đã thu hồi", "Da thu hoi"),
    ("ủy quyền", "uy quyen"),
    ("plain", "plain"),
])
def test_ascii_text_drops_every_diacritic(text, expected):
    assert render.ascii_text(text) == expected


def test_revoked_reply_is_ascii_and_cites_the_article_in_full():
    reply = render.REVOKED_REPLY
    assert reply.isascii() and reply.startswith("REJECT 5.1.6 ")
    assert reply.endswith("hop thu da bi thu hoi (diem c khoan 2 Dieu 6 Quy che thu dien tu "
                          "cong vu)")
    assert "08/2017" not in reply and "Dieu 6.2.c" not in reply
