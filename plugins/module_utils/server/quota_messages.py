"""What the mail server tells people about mailbox quotas (HYM08x, issue 17 part 6).

Same shape as every catalog (``common/messages.py``). HYM080 is the warning Dovecot's
quota_warning script delivers to the owner once the mailbox passes ``WARNING_PERCENT`` of its
quota (roles/mailserver/templates/quota-warning.sh.j2); HYM081 is what a sender's server
reads when mail to a full mailbox is refused at RCPT (Dovecot's quota-status, a Postfix
policy service): ASCII, like every SMTP reply.
"""

from __future__ import annotations

import base64

from ..backends.postfix_dovecot.render import ascii_text
from ..common.messages import Catalog
from ..common.messages import render as render_message

# code: (what went wrong, the article, how to fix it)
CATALOG: Catalog = {
    "HYM080": ("hộp thư {address} đã dùng quá {percent}% dung lượng được cấp; khi đầy, thư "
               "gửi đến hộp thư sẽ bị từ chối và người gửi nhận được thông báo", "",
               "xóa bớt thư cũ (nhất là thư có tệp đính kèm lớn), dọn thư mục Trash, hoặc đề "
               "nghị {operator} tăng dung lượng hộp thư"),
    "HYM081": ("hộp thư người nhận đã đầy, thư không được nhận", "",
               "báo người nhận xóa bớt thư rồi gửi lại"),
}
WARNING = "HYM080"
OVERQUOTA = "HYM081"
WARNING_PERCENT = 90
# Dovecot's quota_status_overquota: the whole SMTP reply (RFC 3463 5.2.2, mailbox full).
OVERQUOTA_STATUS = "552 5.2.2"


def render(code: str, /, **fields: object) -> str:
    """The one-line message for ``code``, in Vietnamese with its diacritics."""
    return render_message(code, CATALOG, None, **fields)


def warning_subject() -> str:
    """The warning's subject line: the code and what it is about."""
    return f"{WARNING} Hộp thư sắp đầy"


def warning_text(address: str, operator: str, percent: int = WARNING_PERCENT) -> str:
    """The warning's body text (``address`` may be a shell variable the script fills)."""
    return render(WARNING, address=address, percent=percent, operator=operator)


def overquota_reply() -> str:
    """Postfix's answer to a RCPT for a full mailbox: ``552 5.2.2 HYM081 ...`` in ASCII,
    then English; no ``%`` or ``"`` (Dovecot's setting quotes it)."""
    text = ascii_text(render(OVERQUOTA))
    reply = f"{OVERQUOTA_STATUS} {text} / mailbox full"
    if not reply.isascii() or '"' in reply or "%" in reply:
        raise ValueError(f"{OVERQUOTA}: not an ASCII reply Dovecot can quote: {reply!r}")
    return reply


# The warning script fills this in with the mailbox's address (Dovecot's %u).
ADDRESS_VARIABLE = "${RECIPIENT}"


def warning_mail(sender: str, operator: str, percent: int = WARNING_PERCENT) -> str:
    """The whole warning message as the script hands it to dovecot-lda (headers, a blank
    line, the body; UTF-8, the subject in RFC 2047), ``ADDRESS_VARIABLE`` for the owner's
    address. Safe inside a shell here-document: no ``$`` but the variable's, no backquote
    or backslash."""
    subject = base64.b64encode(warning_subject().encode()).decode()
    body = warning_text(ADDRESS_VARIABLE, operator, percent)
    mail = (f"From: {sender}\nTo: {ADDRESS_VARIABLE}\n"
            f"Subject: =?UTF-8?B?{subject}?=\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
            f"Auto-Submitted: auto-generated\n\n{body}\n\n{operator}\n")
    rest = mail.replace(ADDRESS_VARIABLE, "")
    if any(c in rest for c in "$`\\") or not sender.isascii() or "\n" in sender:
        raise ValueError(f"{WARNING}: the warning cannot stand in the script: "
                         f"{sender!r}, {operator!r}")
    return mail
