"""Filters that put the quota texts (server/quota_messages.py, HYM08x) into the role's files."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.module_utils.server import quota_messages


def quota_warning_mail(sender, operator):
    """``sender | quota_warning_mail(operator name)`` → HYM080's whole message for the
    quota_warning script (``${RECIPIENT}`` where the owner's address goes)."""
    try:
        return quota_messages.warning_mail(str(sender), str(operator))
    except ValueError as error:
        raise AnsibleFilterError(f"quota_warning_mail: {error}") from error


def quota_overquota_reply(_unused=None):
    """``'' | quota_overquota_reply`` → HYM081's SMTP reply (Dovecot's quota_status_overquota)."""
    return quota_messages.overquota_reply()


class FilterModule:
    """The quota texts."""

    def filters(self):
        return {"quota_warning_mail": quota_warning_mail,
                "quota_overquota_reply": quota_overquota_reply}
