"""The declared files at one commit, read from git: two processes, whatever the file count.

``files_at(commit)`` returns ``{path: bytes}`` of ``mailboxes/*.yml``, ``approvals/*.yml``
and ``CODEOWNERS`` as committed (``git ls-tree`` lists them, one ``git cat-file --batch``
reads them all), never the working tree.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

DIRECTORIES = ("mailboxes", "approvals")
TOP_FILES = ("CODEOWNERS",)
TIMEOUT = 120
# A regular, non-executable file: the only kind of data a change may carry.
DATA_MODE = "100644"
MODE_WORDS = {"100755": "tệp thực thi", "120000": "liên kết tượng trưng",
              "160000": "submodule"}


class GitError(RuntimeError):
    """git could not answer: an unknown commit, not a repository, or git missing."""


def files_at(commit: str, repository: str = ".") -> dict[str, bytes]:
    """``{path: content}`` of the policy's files at ``commit`` of the repository's root."""
    _check_name(commit)
    listing = _git(repository, ["ls-tree", "-r", "-z", "--full-tree", commit, "--",
                                *DIRECTORIES, *TOP_FILES])
    wanted = [(path, sha) for path, sha in _blobs(listing) if is_policy_file(path)]
    contents = _cat_batch(repository, sorted({sha for _path, sha in wanted}))
    return {path: contents[sha] for path, sha in wanted}


def is_policy_file(path: str) -> bool:
    """``CODEOWNERS``, or a ``.yml`` file directly under mailboxes/ or approvals/."""
    if path in TOP_FILES:
        return True
    directory, _slash, name = path.partition("/")
    return directory in DIRECTORIES and name.endswith(".yml") and "/" not in name \
        and len(name) > 4


def _blobs(listing: bytes):
    """(path, sha) of every blob in ``git ls-tree -z`` output: '<mode> <type> <sha>\\t<path>'."""
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _tab, path = record.partition(b"\t")
        _mode, kind, sha = meta.decode("ascii").split()
        if kind == "blob":
            yield path.decode("utf-8", "surrogateescape"), sha


def _cat_batch(repository: str, shas: list[str]) -> dict[str, bytes]:
    """Every object's content through one ``git cat-file --batch``."""
    if not shas:
        return {}
    output = _git(repository, ["cat-file", "--batch"], ("\n".join(shas) + "\n").encode())
    contents, position = {}, 0
    while position < len(output):
        end = output.index(b"\n", position)
        header = output[position:end].decode("ascii", "replace").split()
        if len(header) != 3:
            raise GitError(f"git cat-file: {' '.join(header)}")
        sha, size = header[0], int(header[2])
        contents[sha] = output[end + 1:end + 1 + size]
        position = end + 1 + size + 1  # the content is followed by a newline
    return contents


def _git(repository: str, args: list[str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", repository, *args], input=stdin,
                              capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(f"git {args[0]}: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]}: {message}")
    return done.stdout


@dataclass(frozen=True)
class TreeChange:
    """One line of ``git diff --raw``: a path whose content, mode or type changed."""

    status: str    # A added, D deleted, M modified, T type changed (R/C are split: no -M)
    path: str
    old_mode: str  # '000000' when added
    new_mode: str  # '000000' when deleted


def tree_changes(base: str, head: str, repository: str = ".") -> list[TreeChange]:
    """Every path that differs between two commits (``git diff --raw -z --no-renames``)."""
    for commit in (base, head):
        _check_name(commit)
    output = _git(repository, ["diff", "--raw", "-z", "--no-renames", "--no-ext-diff",
                               "--no-textconv", base, head, "--"])
    fields = output.split(b"\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta:
            break
        old_mode, new_mode, _old, _new, status = meta.decode("ascii").lstrip(":").split()
        changes.append(TreeChange(status[0], path.decode("utf-8", "surrogateescape"),
                                  old_mode, new_mode))
    return changes


def resolve(commit: str, repository: str = ".") -> str:
    """The full commit name of a branch, tag or abbreviated name (``git rev-parse``)."""
    _check_name(commit)
    try:
        return _git(repository, ["rev-parse", "--verify", "--quiet", "--end-of-options",
                                 f"{commit}^{{commit}}"]).decode("ascii").strip()
    except GitError as error:
        raise GitError(f"không có commit {commit!r} trong kho {repository}") from error


def non_data(tree) -> list[tuple[str, str]]:
    """(path, why) of each changed path that is not agency data: the policy refuses them
    without Sở TTTT (HP040) and the plan names them."""
    return [(item.path, why) for item in tree or () if (why := not_data(item))]


def not_data(item: TreeChange) -> str:
    """Why a changed path is not agency data ('' when it is): agency data is a regular,
    non-executable file that ``is_policy_file``, added or modified."""
    if item.status == "D":
        return "xóa tệp"
    if item.new_mode != DATA_MODE:
        return MODE_WORDS.get(item.new_mode, f"kiểu {item.new_mode}")
    return "" if is_policy_file(item.path) else "ngoài mailboxes/, approvals/"


def contains(head: str, ancestor: str, repository: str = ".") -> bool:
    """Whether ``ancestor`` is ``head`` or one of its ancestors (the head was rebased on it)."""
    for commit in (head, ancestor):
        _check_name(commit)
    try:
        subprocess.run(["git", "-C", repository, "merge-base", "--is-ancestor", ancestor, head],
                       capture_output=True, timeout=TIMEOUT, check=True)
    except subprocess.CalledProcessError as error:
        if error.returncode == 1:
            return False
        raise GitError(f"git merge-base: {error.stderr.decode('utf-8', 'replace').strip()}") \
            from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(f"git merge-base: {error}") from error
    return True


def _check_name(commit: str) -> None:
    if not commit or commit.startswith("-") or any(c.isspace() or c == "\0" for c in commit):
        raise GitError(f"không phải tên commit hợp lệ: {commit!r}")
