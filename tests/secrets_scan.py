"""Find secrets where they must not be: generated passwords and password hashes.

A scan is given the secrets (in memory only: a test's generated passwords, the hashes it read
from the server) and the places to look (directory trees, files, texts such as a command's
output). It reports every place where a secret, or anything hash-shaped, appears, except
where ``allowed`` lets that kind of secret be. A finding names the place, the line and the
secret's label, never the secret itself, so a failing assertion prints nothing secret.

A password is looked for as it is, HTML-escaped, percent-encoded, and base64-encoded at
each of the three alignments (a mail body or a JSON blob may carry it so), also across the
line breaks of a folded base64 block (a MIME part). A hash is looked for by its last ``$``
field (the digest itself), so it is found with or without its scheme prefix.

    scanner = Scanner(passwords={"tbmcanbo": password}, hashes={"tbmcanbo": hashed},
                      allowed={f"{state}/outbox": {PASSWORD}})
    findings = scanner.paths(state) + scanner.text("ansible-playbook stdout", output)
    assert not findings, describe(findings)
"""

from __future__ import annotations

import base64
import bisect
import fnmatch
import html
import itertools
import os
import pathlib
import re
import stat
import subprocess
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PASSWORD = "password"
HASH = "hash"
# Anything that looks like a stored password hash: the scheme Dovecot reads, or a PHC string.
HASH_MARKERS = re.compile(rb"\{ARGON2(?:ID|I|D)?\}|\$argon2", re.IGNORECASE)
# A real Argon2 PHC string (salt and digest of real length): the repository names the scheme
# in code and documentation, and shows placeholders, but never holds one of these.
REAL_HASH = re.compile(rb"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{16,}"
                       rb"\$[A-Za-z0-9+/]{16,}")
# Two or more lines of base64 (a MIME part): a password's base64 may straddle a line break.
FOLDED = re.compile(rb"(?:^[A-Za-z0-9+/]{4,}={0,2}\r?\n){2,}", re.MULTILINE)
# Shorter needles would match by chance (a base64 form keeps ~4/3 of a password's length).
MIN_NEEDLE = 10


@dataclass(frozen=True, order=True)
class Finding:
    """One place where a secret (or something hash-shaped) was found."""

    where: str
    line: int
    what: str  # the secret's label, or "hash-shaped"
    kind: str  # PASSWORD or HASH
    form: str  # raw, base64, percent, shape

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.kind} {self.what} ({self.form})"


def describe(findings: Iterable[Finding], limit: int = 50) -> str:
    """The findings one a line, for an assertion message (no secret in it)."""
    found = sorted(set(findings))
    lines = [str(finding) for finding in found[:limit]]
    if len(found) > limit:
        lines.append(f"... and {len(found) - limit} more")
    return "\n".join(lines)


def places(findings: Iterable[Finding]) -> set[str]:
    return {finding.where for finding in findings}


class Scanner:
    """Looks for the given secrets in trees, files and texts.

    ``passwords`` and ``hashes`` map a label (an address) to the secret. ``shapes`` is what
    counts as hash-shaped (HASH_MARKERS, REAL_HASH, or None to look for the given secrets
    only). ``allowed`` maps a path (a file, a directory: everything under it, or an
    fnmatch pattern) to the kinds (PASSWORD, HASH) that may be there.
    """

    def __init__(self, passwords: Mapping[str, str] | None = None,
                 hashes: Mapping[str, str] | None = None,
                 shapes: re.Pattern | None = HASH_MARKERS,
                 allowed: Mapping[str | os.PathLike, Iterable[str]] | None = None):
        self.shapes = shapes
        self.allowed = {os.path.abspath(path): frozenset(kinds)
                        for path, kinds in (allowed or {}).items()}
        self._needles: dict[int, dict[bytes, tuple[str, str, str]]] = {}
        for label, password in (passwords or {}).items():
            for form, needle in password_forms(password):
                self._add(needle, (label, PASSWORD, form))
        for label, hashed in (hashes or {}).items():
            self._add(hash_needle(hashed), (label, HASH, "raw"))
        alphabet = sorted({byte for table in self._needles.values() for needle in table
                           for byte in needle})
        shortest = min(self._needles, default=MIN_NEEDLE)
        self._runs = re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in alphabet)
                                + b"]{%d,}" % shortest) if alphabet else None

    def _add(self, needle: bytes, info: tuple[str, str, str]) -> None:
        if len(needle) < MIN_NEEDLE:
            raise ValueError(f"secret {info[0]!r} too short to look for ({len(needle)} bytes)")
        self._needles.setdefault(len(needle), {})[needle] = info

    # --- where to look ----------------------------------------------------------------

    def text(self, label: str, text: str | bytes) -> list[Finding]:
        """A text that is not a file (a command's output, a module's result)."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        return self._scan(label, data, self._kinds_allowed(label))

    def files(self, paths: Iterable[str | os.PathLike]) -> list[Finding]:
        """These files (missing ones and anything but a regular file are skipped)."""
        found = []
        for path in paths:
            path = os.path.abspath(path)
            try:
                info = os.lstat(path)
            except FileNotFoundError:  # removed while we looked (another test's temp file)
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                continue
            found += self._scan(path, data, self._kinds_allowed(path))
        return found

    def paths(self, *roots: str | os.PathLike) -> list[Finding]:
        """Every regular file under each root (symlinks are not followed: what they point
        to is under a root too, or is not ours to scan)."""
        return self.files(path for root in roots for path in tree_files(root))

    # --- matching -----------------------------------------------------------------------

    def _kinds_allowed(self, where: str) -> frozenset[str]:
        kinds = set()
        for path, allowed in self.allowed.items():
            if where == path or where.startswith(path + os.sep) or fnmatch.fnmatch(where, path):
                kinds |= allowed
        return frozenset(kinds)

    def _scan(self, where: str, data: bytes, allowed: frozenset[str]) -> list[Finding]:
        hits = []  # (offset, label, kind, form)
        if self._runs is not None:
            for run in self._runs.finditer(data):
                hits += self._in_run(run.start(), run.group())
            hits += self._in_folded(data)
        if self.shapes is not None:
            hits += [(m.start(), "hash-shaped", HASH, "shape") for m in self.shapes.finditer(data)]
        return sorted({Finding(where, data.count(b"\n", 0, offset) + 1, label, kind, form)
                       for offset, label, kind, form in hits if kind not in allowed})

    def _in_folded(self, data: bytes) -> list[tuple[int, str, str, str]]:
        """base64 needles in each folded base64 block, its lines joined; the offset
        reported is that of the line where the needle starts."""
        hits = []
        for block in FOLDED.finditer(data):
            lines = block.group().splitlines(keepends=True)
            bare = [line.rstrip(b"\r\n") for line in lines]
            starts = list(itertools.accumulate(map(len, bare), initial=0))
            offsets = list(itertools.accumulate(map(len, lines), initial=block.start()))
            joined = b"".join(bare)
            for run in self._runs.finditer(joined):
                for offset, *info in self._in_run(run.start(), run.group()):
                    if info[2] == "base64":
                        line = bisect.bisect_right(starts, offset) - 1
                        hits.append((offsets[line], *info))
        return hits

    def _in_run(self, start: int, run: bytes) -> list[tuple[int, str, str, str]]:
        """Needles inside one run of the needles' characters (every needle lies in one)."""
        hits = []
        for length, table in self._needles.items():
            for i in range(len(run) - length + 1):
                info = table.get(run[i:i + length])
                if info is not None:
                    hits.append((start + i, *info))
        return hits


def password_forms(password: str) -> list[tuple[str, bytes]]:
    """The password as it is, HTML-escaped, percent-encoded, and the part of its base64
    encoding that depends on it alone, at each alignment in a longer base64 text."""
    raw = password.encode("utf-8")
    forms = [("raw", raw)]
    for form, encoded in (("html", html.escape(password).encode()),
                          ("percent", urllib.parse.quote(password, safe="").encode())):
        if encoded != raw:
            forms.append((form, encoded))
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        first = -(-8 * offset // 6)  # the first character with none of the filler's bits
        last = 8 * (offset + len(raw)) // 6  # past the last whole character of the password
        forms.append(("base64", encoded[first:last]))
    return forms


def hash_needle(hashed: str) -> bytes:
    """What identifies a hash wherever it is copied: its digest, the last ``$`` field."""
    return hashed.rsplit("$", 1)[-1].encode("utf-8")


def tree_files(root: str | os.PathLike) -> list[str]:
    """Every regular file under ``root`` (a file given as root is itself), sorted."""
    root = os.path.abspath(root)
    if os.path.isfile(root):
        return [root]
    found = []
    for directory, _, names in os.walk(root):  # followlinks=False
        found += [os.path.join(directory, name) for name in names]
    return sorted(found)


def repository_files(root: str | os.PathLike) -> list[str]:
    """The working tree's files: every tracked file, and untracked ones not ignored."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=root, capture_output=True, check=True,
                            timeout=120).stdout.decode("utf-8", "surrogateescape")
    return sorted({str(pathlib.Path(root, name)) for name in listed.split("\0") if name})
