"""Staging a generation: every changed file written, synced and indexed (postmap), every
unchanged one hard-linked from the live generation, and the digests of what was written.
Committing it is switch.py's."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ...common.files import removed_on_error
from .. import digests
from ..base import BackendError
from .layout import FILES, MAPS, Layout
from .modes import apply_spec, spec_of, write_file
from .render import early_addresses, renderers
from .state import ServerState


@dataclass
class Staged:
    """A batch's staged generation: its directory, the files that changed, the new
    delivery.passwd, and whether new addresses must be announced to Dovecot first."""

    directory: str
    changed: list[str]
    delivery: str
    announce: bool


def stage_batch(layout: Layout, state: ServerState, new_state: ServerState,
                now: str) -> Staged:
    """Render every file from ``new_state`` and stage the next generation, one file at a
    time (at 100,000 accounts accounts.json alone is 0.1 GB of text); only the new
    delivery.passwd is kept (gone on return)."""
    early = early_addresses(layout, state, new_state)
    announce = bool(early)
    makers = renderers(layout, new_state, early)
    del early  # 100,000 homes on a first apply: freed with delivery.passwd's renderer
    changed, written, delivery = [], {}, ""
    with removed_on_error(layout.generations.stage("next")) as staging:
        for file in FILES:
            content = makers.pop(file)()
            if not same_text(layout.path(file), content):
                changed.append(file)
            _stage_file(layout, staging, file, content, file in changed)
            written[file] = content_digest(content)
            if file == "delivery.passwd":
                delivery = content
            del content
        # to tell hand edits (drift)
        digests.record(staging, {}, now, base=_recorded_digests(layout) | written)
    return Staged(staging, changed, delivery, announce)


def changed_files(layout: Layout, contents: dict[str, str]) -> list[str]:
    """The files whose new content differs from the served one."""
    return [name for name in FILES if not same_text(layout.path(name), contents[name])]


def stage(layout: Layout, contents: dict[str, str], changed: list[str], now: str,
          name: str = "next") -> str:
    """Stage a generation (changed files written and indexed, the others hard links to
    the live ones) with its digests; the caller commits it."""
    with removed_on_error(layout.generations.stage(name)) as staging:
        for file in FILES:
            _stage_file(layout, staging, file, contents.get(file, ""), file in changed)
        # to tell hand edits (drift); files not rendered keep the live record
        digests.record(staging, contents, now, base=_recorded_digests(layout))
    return staging


def _recorded_digests(layout: Layout) -> dict:
    live = layout.generations.live_dir()
    return digests.recorded(live).get("files", {}) if live else {}


def _stage_file(layout: Layout, staging: str, name: str, content: str | list[bytes],
                changed: bool) -> None:
    live, target = layout.path(name), os.path.join(staging, name)
    suffixes = layout.suffixes(name)
    if not changed and all(os.path.exists(live + suffix) for suffix in suffixes):
        for suffix in suffixes:
            os.link(live + suffix, target + suffix)
        return
    spec = spec_of(live, name)
    write_file(target, content, spec)
    newer_second(target, live)
    if name in MAPS:
        postmap(layout, target)
        apply_spec(target + layout.db, spec_of(live + layout.db, name))


def postmap(layout: Layout, source: str) -> None:
    """Index a staged map source (``source.db`` beside it)."""
    command = [layout.postmap, "-c", layout.postfix_config_dir, f"{layout.map_type}:{source}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackendError("HYR013", command=" ".join(command), stderr=result.stderr.strip())


def newer_second(temp: str, path: str) -> None:
    """Give ``temp`` an mtime in a later second than ``path``'s.

    Dovecot re-reads a passwd-file only when its mtime (whole seconds) or size changed:
    a same-size rewrite within the same second (a password reset) would go unseen.
    """
    if not os.path.exists(path):
        return
    stamp = max(time.time(), math.floor(os.stat(path).st_mtime) + 1)
    os.utime(temp, (stamp, stamp))


def same_text(path: str, text: str | list[bytes], chunk: int = 1 << 20) -> bool:
    """Whether the file at ``path`` holds ``text`` (UTF-8; or a list of UTF-8 pieces), read
    a piece at a time: the comparison never holds a second copy of a 100 MB file."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below; absent means different)
    except FileNotFoundError:
        return False
    with handle:
        for piece in pieces(text, chunk):
            if handle.read(len(piece)) != piece:
                return False
        return handle.read(1) == b""


def pieces(content: str | list[bytes], chunk: int = 1 << 20) -> Iterator[bytes]:
    """A file's content as UTF-8 pieces: a text a megabyte of characters at a time."""
    if isinstance(content, str):
        for start in range(0, len(content), chunk):
            yield content[start:start + chunk].encode("utf-8")
    else:
        yield from content


def content_digest(content: str | list[bytes]) -> str:
    """``digests.text_digest`` of a content, fed a piece at a time."""
    if isinstance(content, str):
        return digests.text_digest(content)
    digest = hashlib.sha256()
    for piece in content:
        digest.update(piece)
    return digest.hexdigest()
