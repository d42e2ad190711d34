"""Switching generations: a staged batch committed with one ``rename()`` of the ``live``
symlink (generations.py), after what must follow it is written beside its files and, when
the batch adds addresses, after Dovecot was told of them (docs/operations.md, steps 3-5)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

from ...common.files import removed_on_error
from .layout import STAGING_NEXT, Layout
from .read import lines
from .render import text
from .stage import Staged, newer_second, stage


def commit(layout: Layout, staged: Staged, now: str,
           before_switch: Callable[[str], None]) -> str:
    """Commit the staged generation; returns its directory. ``before_switch`` writes into
    it what must follow the commit. On any failure nothing new is served and the staging
    directory is gone."""
    with removed_on_error(staged.directory):
        before_switch(staged.directory)
        if staged.announce and announce(layout, staged.delivery, now):
            for name in staged.changed:  # newer than what the announcement put live
                newer_second(os.path.join(staged.directory, name), layout.path(name))
        return layout.generations.commit(staged.directory)


def announce(layout: Layout, delivery: str, now: str) -> bool:
    """Tell Dovecot the addresses Postfix will hand it before Postfix does.

    Postfix reads new maps at once; Dovecot looks at each passwd-file at most once a
    second, each file on its own: mail to a new or renamed address in that second
    would bounce (550 User doesn't exist). So when the batch adds addresses, a
    generation that differs from the live one only by a delivery-only userdb holding
    every address of the live and of the new one (to the world the old state: Postfix
    still refuses the new ones) is committed first, and the new one a second later.
    The new one keeps the early addresses too, so whichever of the two versions of
    users.passwd and delivery.passwd Dovecot holds in that second, it knows them all.
    """
    every = sorted(set(lines(layout, "delivery.passwd")) | set(delivery.splitlines()))
    staging = stage(layout, {"delivery.passwd": text(every)}, ["delivery.passwd"], now,
                    name="announce")
    with removed_on_error(staging):
        committed = layout.generations.commit(staging)
    layout.generations.prune(keep=(STAGING_NEXT,))
    time.sleep(max(0.0, math.floor(os.stat(os.path.join(committed, "delivery.passwd"))
                                   .st_mtime) + 1.05 - time.time()))
    return True
