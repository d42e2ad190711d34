"""The one way to write a file (common/files.py): replace whole, append, stage and commit."""

from __future__ import annotations

import os
import re
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common import files
from ansible_collections.hungyen.mail.plugins.module_utils.common.files import (
    NEW_FILE,
    append_durably,
    commit_directory,
    removed_on_error,
    replace_atomically,
    replace_symlink,
)

TEMP = re.compile(r"^\.target\.json\.[0-9a-f]{12}\.tmp$")


def mode_of(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def synced(monkeypatch):
    """The paths os.fsync was called on, in order (the real fsync still runs)."""
    paths, real = [], os.fsync

    def record(fd):
        paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(files.os, "fsync", record)
    return paths


@pytest.fixture
def umask():
    """Set the process umask for one test; the old one comes back afterwards."""
    old = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(old)


# ---------------------------------------------------------------- replace_atomically

@pytest.mark.parametrize(("data", "expected"), [
    ("tiếng Việt\n", "tiếng Việt\n".encode()),
    (b"\x00\xffbytes", b"\x00\xffbytes"),
    (iter(["a\n", b"b\n", "ư\n"]), "a\nb\nư\n".encode()),
    ("", b""),
])
def test_replace_writes_text_bytes_and_pieces(tmp_path, data, expected):
    target = tmp_path / "target.json"
    replace_atomically(str(target), data)
    assert target.read_bytes() == expected


@pytest.mark.parametrize(("mode", "mask", "expected"), [
    (0o600, 0o022, 0o600),  # holds, digests, journal, outbox, backups
    (0o644, 0o077, 0o644),  # the published directory: the umask does not narrow it
    (0o640, 0o000, 0o640),  # the umask does not widen it either
    (NEW_FILE, 0o022, 0o644),  # the desired state: as open() creates a file
    (NEW_FILE, 0o027, 0o640),
    (NEW_FILE, 0o002, 0o664),
])
def test_replace_gives_the_mode(tmp_path, umask, mode, mask, expected):
    umask(mask)
    target = tmp_path / "target.json"
    for text in ("first", "second"):  # created, then replaced
        replace_atomically(str(target), text, mode)
        assert mode_of(target) == expected and target.read_text() == text


def test_replace_tightens_a_wider_file(tmp_path):
    target = tmp_path / "target.json"
    target.write_text("old")
    target.chmod(0o666)
    replace_atomically(str(target), "new", 0o600)
    assert mode_of(target) == 0o600 and target.read_text() == "new"


@pytest.mark.parametrize(("uid", "gid", "expected"), [
    (-1, -1, None),
    (1234, -1, (1234, -1)),
    (-1, 5678, (-1, 5678)),
    (1234, 5678, (1234, 5678)),
])
def test_replace_gives_the_owner(tmp_path, monkeypatch, uid, gid, expected):
    calls = []
    monkeypatch.setattr(files.os, "fchown", lambda fd, u, g: calls.append((u, g)))
    replace_atomically(str(tmp_path / "target.json"), "x", 0o600, uid=uid, gid=gid)
    assert calls == ([expected] if expected else [])


def test_replace_never_shares_a_temporary_file(tmp_path, monkeypatch):
    """Two writers at once: each has its own temporary name; one already taken is skipped."""
    target = tmp_path / "target.json"
    taken = tmp_path / ".target.json.aaaaaaaaaaaa.tmp"
    taken.write_text("another writer's")
    tokens = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"])
    monkeypatch.setattr(files.secrets, "token_hex", lambda size: next(tokens))
    used, real = [], os.replace
    monkeypatch.setattr(files.os, "replace", lambda a, b: (used.append(a), real(a, b)))
    replace_atomically(str(target), "one")
    replace_atomically(str(target), "two")
    assert [os.path.basename(path) for path in used] == [
        ".target.json.bbbbbbbbbbbb.tmp", ".target.json.cccccccccccc.tmp"]
    assert taken.read_text() == "another writer's" and target.read_text() == "two"


def test_replace_temporary_names_are_unique_and_beside_the_file(tmp_path, monkeypatch):
    used, real = [], os.replace
    monkeypatch.setattr(files.os, "replace", lambda a, b: (used.append(a), real(a, b)))
    for _ in range(20):
        replace_atomically(str(tmp_path / "target.json"), "x")
    assert len(set(used)) == 20
    assert all(os.path.dirname(p) == str(tmp_path) and TEMP.match(os.path.basename(p))
               for p in used)


def test_replace_syncs_the_file_then_the_directory(tmp_path, synced):
    replace_atomically(str(tmp_path / "target.json"), "x")
    assert len(synced) == 2
    assert TEMP.match(os.path.basename(synced[0])) and synced[1] == str(tmp_path)


def _failing_pieces():
    yield "half"
    raise OSError("disk full")


def _fail(*_args):
    raise OSError("refused")


@pytest.mark.parametrize("failure", ["write", "fchown", "fchmod", "fsync", "replace"])
def test_replace_leaves_no_temporary_file_and_the_old_content(tmp_path, monkeypatch, failure):
    target = tmp_path / "target.json"
    target.write_text("old")
    target.chmod(0o600)
    data = _failing_pieces() if failure == "write" else "new"
    if failure != "write":
        monkeypatch.setattr(files.os, failure, _fail)
    with pytest.raises(OSError):
        replace_atomically(str(target), data, 0o600, uid=0 if failure == "fchown" else -1)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["target.json"] and target.read_text() == "old"


# ---------------------------------------------------------------- append_durably

@pytest.mark.parametrize(("before", "before_mode", "mode", "expected"), [
    (None, None, 0o600, "one\n"),  # created with the mode
    ("zero\n", 0o640, 0o600, "zero\none\n"),  # tightened (a journal of an earlier version)
    ("zero\n", 0o600, 0o600, "zero\none\n"),
    ("zero\n", 0o644, 0o640, "zero\none\n"),
])
def test_append_adds_at_the_end_with_the_mode(tmp_path, umask, before, before_mode, mode,
                                              expected):
    umask(0o077)
    path = tmp_path / "journal.jsonl"
    if before is not None:
        path.write_text(before)
        path.chmod(before_mode)
    append_durably(str(path), "one\n", mode)
    assert path.read_text() == expected and mode_of(path) == mode


@pytest.mark.parametrize(("before", "expected"), [
    ("zero\n", "zero\none\n"),
    ("zero\n{\"torn\": ", "zero\none\n"),  # an append killed midway: cut, never merged
    ('{"torn', "one\n"),  # the only line torn
    ("zero\n" + "x" * 200_000, "zero\none\n"),  # a torn line longer than one read
    ("", "one\n"),
])
def test_append_cuts_a_torn_last_line_first(tmp_path, before, expected):
    path = tmp_path / "outbox.jsonl"
    path.write_text(before)
    append_durably(str(path), "one\n")
    assert path.read_text() == expected


@pytest.mark.parametrize(("exists", "expected"), [(False, 2), (True, 1)])
def test_append_syncs_the_file_and_a_new_name(tmp_path, synced, exists, expected):
    path = tmp_path / "outbox.jsonl"
    if exists:
        path.write_text("")
    append_durably(str(path), "ư\n")
    assert synced == [str(path), str(tmp_path)][:expected]
    assert path.read_text() == "ư\n"


# ---------------------------------------------------------------- stage and commit

def test_commit_directory_syncs_everything_then_renames(tmp_path, synced):
    staging = tmp_path / ".staging-next"
    staging.mkdir()
    (staging / "a").write_text("a")
    (staging / "sub").mkdir()
    final = commit_directory(str(staging), str(tmp_path / "1"))
    assert final == str(tmp_path / "1") and not staging.exists()
    assert (tmp_path / "1" / "a").read_text() == "a"
    # synced under the staging name, before the rename; then the rename itself
    assert sorted(synced[:2]) == [str(staging / "a"), str(staging / "sub")]
    assert synced[2:] == [str(staging), str(tmp_path)]


@pytest.mark.parametrize("fails", [False, True])
def test_removed_on_error_drops_only_a_failed_staging(tmp_path, fails):
    staging = tmp_path / "work.partial"
    staging.mkdir()

    def fill():
        with removed_on_error(str(staging)) as path:
            (tmp_path / "work.partial" / "x").write_text("x")
            assert path == str(staging)
            if fails:
                raise KeyboardInterrupt  # an interrupted run too, not only an error

    if fails:
        with pytest.raises(KeyboardInterrupt):
            fill()
    else:
        fill()
    assert staging.exists() is not fails


@pytest.mark.parametrize("before", ["none", "link", "leftover"])
def test_replace_symlink_switches_in_one_rename(tmp_path, synced, before):
    for name in ("1", "2"):
        (tmp_path / name).mkdir()
    live = tmp_path / "live"
    if before in ("link", "leftover"):
        live.symlink_to("1")
    if before == "leftover":  # what a crash between symlink and rename leaves
        (tmp_path / ".live.new").symlink_to("1")
    replace_symlink(str(live), "2")
    assert os.readlink(live) == "2"
    assert sorted(os.listdir(tmp_path)) == ["1", "2", "live"]
    assert synced == [str(tmp_path)]


class Busy(Exception):
    pass


def test_held_lock_refuses_a_second_holder_and_lets_the_body_s_errors_through(tmp_path):
    path = str(tmp_path / ".lock")
    second = files.held_lock(path, Busy, timeout=0.05, poll=0.01)
    with files.held_lock(path, Busy), pytest.raises(Busy), second:
        pass
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    not_busy = files.held_lock(path, lambda waited: AssertionError("not busy"))
    with pytest.raises(Busy, match="from the body"), not_busy:  # not taken for a busy lock
        raise Busy("from the body")
    with files.held_lock(path, Busy, timeout=0):  # released after the error
        pass
