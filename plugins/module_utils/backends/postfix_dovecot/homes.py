"""Where each account's mail lives: the home field of its passwd line, else the usual
``mail/<domain>/<local>``.

Mail never moves: a renamed account keeps its home, written into its passwd line, and a new
account whose usual home is taken gets ``<local>+2``, never somebody else's old mail.
"""

from __future__ import annotations

import os
import re

from ...plan.planner import Change
from ..base import BackendError
from .layout import Layout
from .state import PASSWD_TAIL, ServerState

SAFE_HOME = re.compile(r"/[^\s:]+")


def home_in(layout: Layout, state: ServerState, local: str) -> str:
    """The home of ``local`` in ``state``."""
    return tail_home(state.tails.get(local, PASSWD_TAIL)) or layout.maildir(local)


def pin_homes(layout: Layout, state: ServerState, todo: list[Change]) -> None:
    """Mail never moves: a renamed account keeps its home, written into its passwd
    line; a new account whose usual home is taken (by a renamed account, or left on
    disk) gets a fresh one, so it never sees someone else's mail."""
    taken = {tail_home(tail) for tail in state.tails.values()} - {None}
    for change in todo:
        tail = state.tails.get(change.address, PASSWD_TAIL)
        if change.action == "rename" and not tail_home(tail):
            home = layout.maildir(change.old_address)
            state.tails[change.address] = with_home(tail, home)
            taken.add(home)
        elif change.action == "create" and not tail_home(tail):
            home = layout.maildir(change.address)
            if home in taken or os.path.lexists(home):
                home = free_home(home, taken)
                state.tails[change.address] = with_home(tail, home)
                taken.add(home)


def tail_home(tail: str) -> str | None:
    """The home field of a passwd line's tail (``:uid:gid:gecos:home:shell:extra``)."""
    fields = tail[1:].split(":", 5)
    return fields[3] or None if len(fields) > 3 else None


def with_home(tail: str, home: str) -> str:
    """The tail with ``home`` in its home field (HYR016 if it cannot stand in the file)."""
    if not SAFE_HOME.fullmatch(home):
        raise BackendError("HYR016", home=f"'{home}'",
                           why="có ký tự không dùng được trong tệp passwd")
    fields = (tail[1:].split(":", 5) + [""] * 6)[:6]
    fields[3] = home
    return ":" + ":".join(fields)


def free_home(home: str, taken: set) -> str:
    """``home+2``, ``home+3``... the first one neither taken nor on disk."""
    for number in range(2, 10_000):
        candidate = f"{home}+{number}"
        if candidate not in taken and not os.path.lexists(candidate):
            return candidate
    raise BackendError("HYR016", home=home, why="không còn tên thư mục trống")
