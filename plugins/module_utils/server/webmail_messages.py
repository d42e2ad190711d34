"""What the webmail (Roundcube, roles/mailserver/tasks/webmail.yml) tells an official (HYM07x).

Same shape as every catalog (``common/messages.py``). Roundcube shows these texts from the
localization files of the role's plugin hymail_doimatkhau
(roles/mailserver/files/roundcube/plugins/hymail_doimatkhau/localization/vi_VN.inc); a unit
test (tests/unit/test_webmail_texts.py) keeps those files equal to ``localized()``.
"""

from __future__ import annotations

from ..common.glossary import cite
from ..common.messages import Catalog
from ..common.messages import render as render_message

# code: (what went wrong, the article, how to fix it)
CATALOG: Catalog = {
    "HYM070": ("hộp thư vẫn dùng mật khẩu ban đầu nên chưa đăng nhập được, thư gửi đến vẫn "
               "được nhận", cite("12.1"),
               "đổi mật khẩu tại {page} rồi đăng nhập lại bằng mật khẩu mới"),
}
MUST_CHANGE = "HYM070"
# Roundcube fills $url in a message with the page's address; the box on the login page
# names the page and links to it below.
PAGE_IN_MESSAGE = "$url"
PAGE_IN_BOX = "trang đổi mật khẩu (liên kết dưới đây)"
LINK = "Đổi mật khẩu ngay"


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``, in Vietnamese with its diacritics."""
    return render_message(code, CATALOG, None, **fields)


def localized() -> dict[str, str]:
    """The plugin's Vietnamese texts, by Roundcube's label name."""
    return {"mustchange": render(MUST_CHANGE, page=PAGE_IN_MESSAGE),
            "mustchange_box": render(MUST_CHANGE, page=PAGE_IN_BOX),
            "changenow": LINK}
