"""The switch of generations: the symlink moves and the files only the old generation had
lose their last link in the same step (so a Postfix process that opened one of them sees
``st_nlink == 0`` before its next connection and restarts), while the files the two
generations share (hard links) keep theirs."""

from __future__ import annotations

import os

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.generations import (
    Generations,
    unlink_unshared,
)


def generation(gens: Generations, files: dict[str, str], links: tuple[str, ...] = ()) -> str:
    """Stage and commit a generation: ``files`` written anew, ``links`` hard-linked from live."""
    staging = gens.stage()
    live = gens.live_dir()
    for name in links:
        os.link(os.path.join(live, name), os.path.join(staging, name))
    for name, text in files.items():
        with open(os.path.join(staging, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    return gens.commit(staging)


@pytest.mark.parametrize(("changed", "shared"), [
    (("vmailbox.db",), ("valias.db", "users.passwd")),
    (("vmailbox.db", "valias.db", "users.passwd"), ()),
    (("users.passwd",), ("vmailbox.db", "valias.db")),
])
def test_switch_unlinks_what_only_the_old_generation_had(tmp_path, changed, shared):
    gens = Generations(str(tmp_path))
    first = generation(gens, {name: "old" for name in changed + shared})
    opened = {name: open(os.path.join(gens.live, name), encoding="utf-8")  # noqa: SIM115
              for name in changed + shared}
    try:
        second = generation(gens, {name: "new" for name in changed}, links=shared)
        assert gens.live_dir() == os.path.realpath(second)
        for name, handle in opened.items():
            links = os.fstat(handle.fileno()).st_nlink
            assert (links == 0) == (name in changed), (name, links)
        assert sorted(os.listdir(first)) == sorted(shared)  # the rest is prune's
        for name in changed:
            with open(os.path.join(gens.live, name), encoding="utf-8") as handle:
                assert handle.read() == "new"
    finally:
        for handle in opened.values():
            handle.close()
    assert gens.prune() == [os.path.basename(first)]


def test_the_first_generation_has_nothing_to_unlink(tmp_path):
    gens = Generations(str(tmp_path))
    live = generation(gens, {"vmailbox.db": "x"})
    assert gens.live_dir() == os.path.realpath(live)


def test_unlink_unshared_keeps_links_and_directories(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "gone").write_text("a")
    (old / "kept").write_text("b")
    (old / "sub").mkdir()
    os.link(old / "kept", new / "kept")
    assert unlink_unshared(str(old), str(new)) == ["gone"]
    assert sorted(os.listdir(old)) == ["kept", "sub"]


def test_a_failed_switch_raises_and_leaves_the_old_generation_live(tmp_path):
    gens = Generations(str(tmp_path))
    first = generation(gens, {"vmailbox.db": "x"})
    os.mkdir(os.path.join(str(tmp_path), ".live.new"))  # replace_symlink cannot unlink it
    with pytest.raises(OSError):
        gens.switch(os.path.join(gens.gen_dir, "missing"))
    assert gens.live_dir() == os.path.realpath(first)
