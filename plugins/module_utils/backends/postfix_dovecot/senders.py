"""Who may send as whom (issue 13, item 2): the ``sender_logins`` map of a generation.

One line per address that may appear as a sender, ``<address> <login>[,<login>...]``,
where a login is the name Dovecot authenticates (the full address). Postfix submission
reads it as ``smtpd_sender_login_maps`` (envelope sender); rspamd's Lua rule reads the
same file for the ``From:`` and ``Sender:`` headers of authenticated mail.

The rule, in one place:

* an active account sends as its own current address;
* the active declared ``delegates`` of a mailbox send as it too (Điều 9.1), whatever its
  kind (the declared files give delegates only to agency and division mailboxes);
* a locked or revoked account is in no line: neither its address nor its login;
* a renamed mailbox's previous addresses are aliases that deliver to it: nobody sends
  as them (mail from an old address would be a second identity of the same person).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...plan.accounts import Account

SENDER_LOGINS = "sender_logins"


def sender_logins(accounts: Iterable[Account]) -> dict[str, list[str]]:
    """Address (local part) -> the local parts whose logins may send as it, the owner
    first then its delegates in name order; only active accounts, on both sides."""
    active = {a.address: a for a in accounts if a.status == "active"}
    return {address: [address, *sorted(d for d in set(account.delegates)
                                       if d in active and d != address)]
            for address, account in sorted(active.items())}


def sender_lines(accounts: Iterable[Account], full: Callable[[str], str]) -> list[str]:
    """The lines of the ``sender_logins`` map, full addresses on both sides."""
    return [f"{full(address)} {','.join(full(login) for login in logins)}"
            for address, logins in sender_logins(accounts).items()]
