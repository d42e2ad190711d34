"""Filters that put what the mail server says to people into its configuration."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.module_utils.server import login_messages


def must_change_reason(page):
    """mailserver_password_page | must_change_reason → HYM060's ASCII text, each space as
    ``%{env:HYMAIL_SP}`` (Dovecot's override_fields splits on spaces)."""
    if not isinstance(page, str) or not page.strip():
        raise AnsibleFilterError(f"must_change_reason: expected the password page's address, "
                                 f"got {page!r}")
    try:
        return login_messages.dovecot_reason(page.strip())
    except ValueError as error:
        raise AnsibleFilterError(f"must_change_reason: {error}") from error


class FilterModule:
    """What the servers answer."""

    def filters(self):
        return {"must_change_reason": must_change_reason}
