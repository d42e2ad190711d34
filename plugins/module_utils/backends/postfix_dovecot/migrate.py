"""Migrating the layouts of earlier versions into generations, and a state moved from
another ``state_dir``.

Versions before generations kept the served files flat in ``data/``: the first run of this
one moves them into generation 0. A file an earlier version did not write is added, empty,
as a new generation. A state whose ``mail/`` and ``data/`` were copied from another
state_dir (an embedded server moved to a host, docs/production.md) still names the old
place in the homes pinned into passwd lines (a renamed account's): they are pointed at the
same mailbox in this state_dir's mail tree, as a new generation.
"""

from __future__ import annotations

import os
import re

from ...common import clock
from .. import digests
from . import read
from .homes import tail_home, with_home
from .layout import FILES, MAPS, Layout
from .modes import apply_spec, role_spec, spec_of, write_file
from .render import render
from .senders import SENDER_LOGINS
from .stage import changed_files, postmap, stage

# Files an earlier version did not write whose content follows from the accounts (an
# upgraded server refuses an initial password at once, not from the next apply that
# changes something).
RENDERED_WHEN_MISSING = frozenset({SENDER_LOGINS, "must-change.passwd"})
# Without the role's owner and mode for such a file (an apply's recovery runs before the
# role's next run), those of a live file the same server reads: Dovecot must read
# must-change.passwd at once, or every login fails.
READ_ALIKE = {"must-change.passwd": "users.passwd"}


def ensure_layout(layout: Layout, modes: dict[str, dict] | None = None) -> bool:
    """Create generation 0 when there is none, moving files of the flat layout of
    earlier versions (``data/<name>``) into it; add, as a new generation, a file an
    earlier version did not write. True when a generation was created."""
    if layout.generations.exists():
        added = _add_missing_files(layout, modes)
        return _rehome_moved_state(layout) or added
    flat = {name for name in FILES if os.path.isfile(os.path.join(layout.data_dir, name))}
    derived = sorted(RENDERED_WHEN_MISSING - flat) if flat else []
    contents = render(layout, read.load(layout)) if derived else {}  # the flat files' accounts
    staging = layout.generations.stage()
    for name in (*FILES, digests.DIGESTS_FILE):
        _move_flat_file(layout, staging, name, modes)
    if derived:
        _write_maps(layout, staging, {name: contents[name] for name in derived}, modes)
    layout.generations.commit(staging)
    return True


def _write_maps(layout: Layout, staging: str, contents: dict[str, str],
                modes: dict | None) -> None:
    """Files rendered into generation 0 (indexed when maps) and their digests recorded."""
    for name, content in contents.items():
        target = os.path.join(staging, name)
        write_file(target, content, role_spec(modes, name))
        if name in MAPS:
            postmap(layout, target)
            apply_spec(target + layout.db, role_spec(modes, name))
    digests.record(staging, contents, clock.now().isoformat(),
                   base=digests.recorded(staging).get("files", {}))


def _move_flat_file(layout: Layout, staging: str, name: str, modes: dict | None) -> None:
    """One file (and a map's index) of the flat layout into generation 0, or an empty
    one with the role's mode when there is none."""
    legacy, target = os.path.join(layout.data_dir, name), os.path.join(staging, name)
    if os.path.isfile(legacy) and not os.path.islink(legacy):
        os.rename(legacy, target)
    elif name != digests.DIGESTS_FILE:
        write_file(target, "", role_spec(modes, name))
    if name in MAPS:
        if os.path.isfile(legacy + layout.db):
            os.rename(legacy + layout.db, target + layout.db)
        else:
            postmap(layout, target)
        apply_spec(target + layout.db, role_spec(modes, name))


def _add_missing_files(layout: Layout, modes: dict[str, dict] | None) -> bool:
    live = layout.generations.live_dir()
    missing = [name for name in FILES if not os.path.exists(os.path.join(live, name))]
    if not missing:
        return False
    _add_files(layout, modes, missing)
    return True


def _add_files(layout: Layout, modes: dict[str, dict] | None, names: list[str]) -> None:
    """A new generation adding files an earlier version did not write: empty, or, for
    one derived from the accounts (``sender_logins``), rendered from them, so the
    officials of an upgraded server keep sending before the next apply."""
    rendered = render(layout, read.load(layout)) if RENDERED_WHEN_MISSING & set(names) else {}
    contents = {name: rendered.get(name, "") for name in names}
    staging = stage(layout, contents, names, clock.now().isoformat(), name="layout")
    for name in names:
        spec = _added_spec(layout, modes, name)
        for suffix in layout.suffixes(name):
            apply_spec(os.path.join(staging, name + suffix), spec)
    layout.generations.commit(staging)
    layout.generations.prune()


def _added_spec(layout: Layout, modes: dict[str, dict] | None, name: str) -> dict:
    """The owner and mode of a file added to the live generation (``READ_ALIKE``)."""
    live, twin = layout.generations.live_dir(), READ_ALIKE.get(name)
    if (modes or {}).get(name) or twin is None or live is None:
        return role_spec(modes, name)
    return spec_of(os.path.join(live, twin), twin)


def _rehome_moved_state(layout: Layout) -> bool:
    """Point homes that name another state_dir's mail tree (``<old>/mail/<domain>/<name>``)
    at this one's when ``<name>`` is here; True when a generation was committed. Any other
    home (one kept outside the mail tree on purpose) stays."""
    marker, own = f"/mail/{layout.domain}/", f"{layout.mail_dir}/"
    if not any(marker in line and own not in line for line in read.lines(layout, "users.passwd")):
        return False  # every apply passes here: no full load when no home is foreign
    state = read.load(layout)
    pattern = re.compile(rf"(/.+)/mail/{re.escape(layout.domain)}/([^/]+)")
    moved = {}
    for address, tail in state.tails.items():
        home = tail_home(tail) or ""
        found = pattern.fullmatch(home)
        if not found or os.path.abspath(found[1]) == layout.state_dir:
            continue
        here = layout.maildir(found[2])
        if os.path.isdir(here):
            moved[address] = with_home(tail, here)
    if not moved:
        return False
    state.tails.update(moved)
    contents = render(layout, state)
    staging = stage(layout, contents, changed_files(layout, contents), clock.now().isoformat(),
                    name="rehome")
    layout.generations.commit(staging)
    layout.generations.prune()
    return True
