"""Rendering every served file whole from a folded ServerState (docs/architecture.md)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from ...common.glossary import ascii_label, cite
from ...declared.quota import megabytes
from ...plan.accounts import Account
from .homes import home_in
from .layout import Layout
from .senders import SENDER_LOGINS, sender_lines
from .state import PASSWD_TAIL, RawJSON, ServerState, hash_digest


def ascii_text(text: str) -> str:
    """``text`` without diacritics (``đ`` as ``d``): SMTP replies are ASCII."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# What a sender to a revoked mailbox reads in the bounce, in English then in the glossary's
# ASCII words, citing the article and the regulation by its generic name (the decision's
# number belongs to the inventory, which the backend does not read).
REVOKED_REPLY = (f"REJECT 5.1.6 Mailbox revoked / hop thu da bi {ascii_label('revoke')} "
                 f"({ascii_text(cite('6.2.c'))} Quy che thu dien tu cong vu)")
DELEGATE_RIGHTS = "lrs"  # read-only: a delegate reads, flags Seen privately, cannot append


def render(layout: Layout, state: ServerState,
           early: dict[str, str] | None = None) -> dict[str, str]:
    """Every data file's full new content, from the folded state (``early``: addresses
    new in this batch, kept in the delivery-only userdb for the apply after it)."""
    return {name: as_text(make()) for name, make in renderers(layout, state, early).items()}


def as_text(content: str | list[bytes]) -> str:
    """A renderer's content as one string."""
    return content if isinstance(content, str) else b"".join(content).decode("utf-8")


def renderers(layout: Layout, state: ServerState,
              early: dict[str, str] | None = None) -> dict[str, Callable[[], str | list[bytes]]]:
    """``render``, one file at a time: each data file's name -> what renders its content
    (a batch stages 100,000 accounts' files one after the other, never all at once);
    accounts.json's comes as a list of UTF-8 pieces, never one 80 MB text)."""
    full = layout.full
    accounts = sorted(state.accounts.values(), key=lambda a: a.address)

    def passwd_line(account: Account) -> str:
        address = account.address
        tail = with_quota(state.tails.get(address, PASSWD_TAIL), account.quota)
        return f"{full(address)}:{state.hashes[address]}{tail}"

    return {
        "users.passwd": lambda: text(passwd_line(a) for a in accounts),
        "deny.passwd": lambda: text(full(a.address) for a in accounts if a.status != "active"),
        "must-change.passwd": lambda: text(passwd_line(a) for a in accounts
                                           if must_change(state, a)),
        "delivery.passwd": lambda: _delivery_text(layout, state, early or {}),
        "vmailbox": lambda: text(f"{full(a.address)} OK" for a in accounts
                                 if a.status != "revoked"),
        "valias": lambda: text(sorted(state.kept_aliases) + _alias_lines(layout, accounts)),
        "recipient_access": lambda: text(f"{full(a.address)} {REVOKED_REPLY}"
                                         for a in accounts if a.status == "revoked"),
        SENDER_LOGINS: lambda: text(sender_lines(accounts, full)),
        "acl": lambda: text(_acl_lines(layout, accounts)),
        "shared-mailboxes.dict": lambda: _shared_dict(layout, accounts),
        "accounts.json": lambda: encoded(metadata_pieces(state)),
    }


# A mailbox's own quota, as the userdb's extra field Dovecot's quota plugin reads (its
# quota_rule for this user only; dovecot.conf's quota_rule is everybody else's).
QUOTA_FIELD = "userdb_quota_rule=*:storage="


def with_quota(tail: str, quota: str | None) -> str:
    """The passwd tail (``:uid:gid:gecos:home:shell:extra``) with ``quota`` as the only
    quota rule of its extra field (none: the inventory's default applies)."""
    if quota is not None and megabytes(quota) is None:
        raise ValueError(f"quota {quota!r} is not a size the validator accepts")
    fields = (tail[1:].split(":", 5) + [""] * 6)[:6]
    extra = [word for word in fields[5].split() if not word.startswith(QUOTA_FIELD)]
    if quota is not None:
        extra.append(QUOTA_FIELD + quota)
    fields[5] = " ".join(extra)
    return ":" + ":".join(fields)


def must_change(state: ServerState, account: Account) -> bool:
    """An active account still on the password it was issued (create, unlock, reset,
    reinstate): Dovecot refuses that password, right, with HYM060 (Điều 12.1). A password
    the user changed has a hash the ``issued`` digest no longer matches."""
    issued = state.issued.get(account.address)
    return (account.status == "active" and account.must_change and issued is not None
            and issued == hash_digest(state.hashes[account.address]))


def early_addresses(layout: Layout, state: ServerState,
                    new_state: ServerState) -> dict[str, str]:
    """Addresses Postfix will hand Dovecot after this batch that Dovecot does not know
    yet (new mailboxes, new names), with the home each belongs to."""
    known = set(state.accounts) | {alias for account in state.accounts.values()
                                   for alias in account.aliases}
    return {name: home_in(layout, new_state, owner)
            for name, owner in _delivered(new_state).items() if name not in known}


def _delivered(state: ServerState) -> dict[str, str]:
    """Every address Postfix hands to Dovecot -> the account it belongs to."""
    names = {}
    for account in state.accounts.values():
        if account.status != "revoked":
            names[account.address] = account.address
            names.update((alias, account.address) for alias in account.aliases)
    return names


def _delivery_text(layout: Layout, state: ServerState, early: dict[str, str]) -> str:
    """delivery.passwd: the old addresses, then this batch's new ones (no sorted copy
    of 100,000 lines on a first apply: the order is already stable)."""
    lines = _delivery_lines(layout, state)
    lines += (f"{layout.full(name)}:::::{early[name]}::" for name in sorted(early))
    return text(lines)


def _delivery_lines(layout: Layout, state: ServerState) -> list[str]:
    """A userdb of the old addresses (aliases): mail queued for an old address before a
    rename still reaches the mailbox after it. No login: no passdb reads this file."""
    return sorted(f"{layout.full(alias)}:::::{home_in(layout, state, account.address)}::"
                  for account in state.accounts.values() for alias in account.aliases)


def _alias_lines(layout: Layout, accounts: list[Account]) -> list[str]:
    return sorted(f"{layout.full(alias)} {layout.full(a.address)}"
                  for a in accounts for alias in a.aliases)


def _acl_lines(layout: Layout, accounts: list[Account]) -> list[str]:
    """Global ACL: each delegate reads the owner's mailboxes in the shared namespace.

    Dovecot names the owner's INBOX ``shared/<owner>`` and other folders
    ``shared/<owner>/<folder>``; the first matching pattern wins, so every delegate
    of one owner shares the same two patterns.
    """
    return [f"shared/{owner}{suffix} user={delegate} {DELEGATE_RIGHTS}"
            for owner, delegate in delegations(layout, accounts) for suffix in ("", "/*")]


def _shared_dict(layout: Layout, accounts: list[Account]) -> str:
    """Dovecot file dict of ``acl_shared_dict``: key line, value line (shows in LIST)."""
    lines = []
    for owner, delegate in delegations(layout, accounts):
        lines += [f"shared/shared-boxes/user/{delegate}/{owner}", "1"]
    return text(lines)


def delegations(layout: Layout, accounts: Iterable[Account]) -> list[tuple[str, str]]:
    """(owner, delegate) full addresses; a revoked mailbox is shared with no one (the ACL;
    sessions.py ends the sessions of a delegate whose pair is gone)."""
    return [(layout.full(a.address), layout.full(d)) for a in accounts
            if a.status != "revoked" for d in a.delegates]


def metadata_json(state: ServerState) -> str:
    """accounts.json, one account (and one history entry) a line: sorted keys as before, but
    written by the C encoder; indented JSON goes through Python's, seconds at 100,000."""
    return "".join(metadata_pieces(state))


def metadata_pieces(state: ServerState) -> Iterator[str]:
    """``metadata_json`` a line at a time (at 100,000 accounts the whole text is 80 MB of
    UTF-8, twice that as a Python string)."""
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    yield '{"accounts": {\n'
    for index, address in enumerate(sorted(state.accounts)):
        yield (",\n" if index else "") + (
            f" {encode(address)}: {encode(state.accounts[address].to_dict())}")
    yield '\n},\n"history": [\n'
    for index, entry in enumerate(state.history):  # read back as RawJSON: as it was
        line = entry if isinstance(entry, RawJSON) else encode(entry)
        yield (",\n" if index else "") + f" {line}"
    yield f'\n],\n"issued": {encode(dict(sorted(state.issued.items())))},\n"version": 1}}\n'


def encoded(pieces: Iterable[str]) -> list[bytes]:
    """Text pieces as UTF-8, held as a list of small pieces (never one whole copy)."""
    return [piece.encode("utf-8") for piece in pieces]


def text(lines) -> str:
    """Lines as a file's text: each ends with a newline; no lines, an empty file."""
    lines = list(lines)
    return "\n".join(lines) + "\n" if lines else ""
