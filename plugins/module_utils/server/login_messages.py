"""What Dovecot answers a login it refuses on purpose (HYM06x).

Same shape as every catalog (``common/messages.py``), sent as ASCII (no diacritics, the
glossary's words unaccented): an IMAP client shows it after ``NO [ALERT]``, Postfix's
submission after ``535 5.7.8``. It is given only once the password is right (a wrong one
gets the ordinary failure), so it tells no stranger anything about the mailbox.
Dovecot's ``override_fields`` splits on spaces: each space becomes ``%{env:HYMAIL_SP}``,
a variable the role puts in the Dovecot master's environment (one space).
"""

from __future__ import annotations

from ..backends.postfix_dovecot.render import ascii_text
from ..common.glossary import cite
from ..common.messages import Catalog
from ..common.messages import render as render_message

# code: (what went wrong, the article, how to fix it)
CATALOG: Catalog = {
    "HYM060": ("mật khẩu ban đầu chưa được đổi: hộp thư vẫn nhận thư nhưng chưa mở và chưa "
               "gửi thư được", cite("12.1"),
               "đổi mật khẩu tại {page} rồi đăng nhập lại bằng mật khẩu mới"),
}
MUST_CHANGE = "HYM060"
# Dovecot expands %{env:NAME} in override_fields; HYMAIL_SP=" " (mailserverctl, the unit).
SPACE = "%{env:HYMAIL_SP}"


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``, in Vietnamese with its diacritics."""
    return render_message(code, CATALOG, None, **fields)


def must_change_reason(page: str) -> str:
    """What a login with the right initial password is answered: ASCII, one line (the
    page's address as it is: one with a space or a letter outside ASCII is refused)."""
    if not page.isascii() or not page.isprintable() or " " in page:
        raise ValueError(f"{MUST_CHANGE}: the page {page!r} is not printable ASCII without "
                         f"spaces (write a domain in its xn-- form)")
    return ascii_text(render(MUST_CHANGE, page=page))


def dovecot_reason(page: str) -> str:
    """``must_change_reason`` as Dovecot's ``override_fields`` reads one value: no space,
    no ``%`` of its own (its variables' sign), nothing Dovecot would split or expand."""
    return must_change_reason(page).replace("%", "%%").replace(" ", SPACE)
