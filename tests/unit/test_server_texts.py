"""What the mail server says to people (an SMTP reply): ASCII, in the glossary's words, the
regulation named generically (its decision number belongs to the inventory); and what the
operational modules print when they fail."""

from __future__ import annotations

import errno

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    render,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import operation_messages


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


@pytest.mark.parametrize(("error", "expected"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/x.json"),
     "không đọc hoặc ghi được tệp /srv/x.json (tệp hoặc thư mục không có)"),
    (PermissionError(errno.EACCES, "Permission denied", "/srv/y"),
     "không đọc hoặc ghi được tệp /srv/y (không có quyền)"),
    (OSError(errno.ENOSPC, "No space left on device"),
     "không đọc hoặc ghi được tệp (ổ đĩa đã đầy)"),
    (OSError(errno.EIO, "Input/output error", "/dev/sdz"),
     f"không đọc hoặc ghi được tệp /dev/sdz (lỗi hệ thống số {errno.EIO})"),
    (ValueError("HYR001 không đọc được tệp"), "HYR001 không đọc được tệp"),  # coded: as it is
])
def test_module_failures_read_vietnamese_not_python(error, expected):
    assert operation_messages.failure_text(error) == expected
