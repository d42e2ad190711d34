"""What the report knows of each mailbox's use (Điều 10.1.e, 12.2.a): moments only.

Pure data, made by ``usage.reader`` on the mail host and given to the report's core
(``publish/report.py``), which never reads a file. No message, subject or folder content:
who logged in when, and when a delegate last opened an agency mailbox's shared folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Usage:
    """``logins``: full address (lower case) -> ISO moment (UTC) of its last login (IMAP,
    webmail, any client); ``opened``: owner's full address -> ISO moment a delegate last
    opened (SELECT/EXAMINE) one of its folders through ``shared/<owner>/``; ``opened_since``:
    the oldest moment the delegates' record still covers (its retention), None if empty;
    ``warnings``: coded messages about records that could not be read (they are skipped)."""

    logins: dict[str, str] = field(default_factory=dict)
    opened: dict[str, str] = field(default_factory=dict)
    opened_since: str | None = None
    warnings: tuple[str, ...] = ()

    def last_use(self, address: str) -> str | None:
        """The latest of the owner's login and a delegate's opening, or None."""
        moments = [m for m in (self.logins.get(address.lower()),
                               self.opened.get(address.lower())) if m]
        return max(moments) if moments else None
