"""The suite's own layout: pytest imports each test file by its basename (rootdir-relative,
no ``__init__.py`` under tests/), so two files with one name in two directories stop the
collection of the whole suite on a clean clone ("import file mismatch")."""

from __future__ import annotations

import collections
import pathlib

TESTS = pathlib.Path(__file__).resolve().parent.parent


def test_every_test_file_has_a_basename_of_its_own():
    places = collections.defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        if "node_modules" not in path.parts:
            places[path.name].append(str(path.relative_to(TESTS)))
    twice = {name: paths for name, paths in places.items() if len(paths) > 1}
    assert not twice, f"rename one of each (e.g. test_<topic>_<part>.py): {twice}"
    assert len(places) > 100  # the walk found the suite
