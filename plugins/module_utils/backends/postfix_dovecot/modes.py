"""Owners and modes of the served files.

A new file takes the mode and owner of the live one it replaces; a file with no live one
takes the mailserver role's (``{owner, group, mode}`` by file name) or the defaults below
(the role sets owners and groups on the first generation: Dovecot reads the passwd-files,
Postfix the maps).
"""

from __future__ import annotations

import grp
import os
import pwd

from ...common.files import replace_atomically
from .layout import Layout

DEFAULT_MODES = {"accounts.json": 0o600}
DEFAULT_MODE = 0o640


def write_file(path: str, content: str | list[bytes], spec: dict) -> None:
    """A synced file with the mode and owner of ``spec`` (private until complete)."""
    replace_atomically(path, content, spec["mode"], spec.get("uid", -1), spec.get("gid", -1))


def spec_of(reference: str, name: str) -> dict:
    """The mode and owner of the live file a new one replaces (or the defaults)."""
    if not os.path.exists(reference):
        return {"mode": DEFAULT_MODES.get(name, DEFAULT_MODE)}
    info = os.stat(reference)
    return {"mode": info.st_mode & 0o7777, "uid": info.st_uid, "gid": info.st_gid}


def role_spec(modes: dict | None, name: str) -> dict:
    """A file spec from the mailserver role (``{owner, group, mode}`` by file name)."""
    given = (modes or {}).get(name) or {}
    spec = {"mode": int(str(given.get("mode", "")), 8) if given.get("mode")
            else DEFAULT_MODES.get(name, DEFAULT_MODE)}
    if given.get("owner"):
        spec["uid"] = pwd.getpwnam(given["owner"]).pw_uid
    if given.get("group"):
        spec["gid"] = grp.getgrnam(given["group"]).gr_gid
    return spec


def apply_spec(path: str, spec: dict) -> None:
    os.chmod(path, spec["mode"])
    if "uid" in spec or "gid" in spec:
        os.chown(path, spec.get("uid", -1), spec.get("gid", -1))


def modes_to_fix(layout: Layout, modes: dict[str, dict]) -> list[str]:
    """Live files whose owner, group or mode differ from the role's ``modes``."""
    return [path for path, spec in _targets(layout, modes) if _differs(path, spec)]


def fix_modes(layout: Layout, modes: dict[str, dict]) -> list[str]:
    """Give the live files the role's owners and modes; the next generations copy them."""
    fixed = modes_to_fix(layout, modes)
    for path, spec in _targets(layout, modes):
        if path in fixed:
            apply_spec(path, spec)
    return fixed


def _targets(layout: Layout, modes: dict[str, dict]) -> list[tuple[str, dict]]:
    live = layout.generations.live_dir()
    if live is None:
        return []
    targets = []
    for name in modes:
        for suffix in layout.suffixes(name):
            path = os.path.join(live, name + suffix)
            if os.path.exists(path):
                targets.append((path, role_spec(modes, name)))
    return targets


def _differs(path: str, spec: dict) -> bool:
    info = os.stat(path)
    return ((info.st_mode & 0o7777) != spec["mode"]
            or spec.get("uid", info.st_uid) != info.st_uid
            or spec.get("gid", info.st_gid) != info.st_gid)
