"""What a run of playbooks/mailserver.yml in embedded mode must leave alone on this machine:
its nftables ruleset, APT settings and systemd units (tests/e2e/test_embedded_untouched.py).
The session's server (tests/e2e/conftest.py) records them before and after its own set-up.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess

SYSTEMD_DIRS = ("/etc/systemd/system", "/lib/systemd/system")
# Test hosts (tools/testhost.py) of other checkouts on this machine add and remove their own
# NAT tables at any time; the playbook never writes a table of that name.
TESTHOST_TABLE_PREFIX = "hymail_testhost_"


def nft_tables() -> dict[str, str]:
    """Every table of this machine, stateless (no counters), by "family name"; ``{}`` with
    no nft at all."""
    if shutil.which("nft") is None:
        return {}
    listed = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True,
                            check=True).stdout.split("\n")
    tables = {}
    for line in filter(None, (entry.strip() for entry in listed)):
        _table, family, name = line.split()
        if not name.startswith(TESTHOST_TABLE_PREFIX):
            tables[f"{family} {name}"] = subprocess.run(
                ["nft", "-s", "list", "table", family, name], capture_output=True, text=True,
                check=True).stdout
    return tables


def tree(root: str) -> dict[str, str]:
    """Every entry under ``root``: a file's SHA-256, a link's target, or "dir"."""
    found = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = pathlib.Path(directory, name)
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[str(path)] = "dir"
            else:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def machine_state() -> dict[str, dict[str, str]]:
    return {"nft": nft_tables(), "apt": tree("/etc/apt"),
            **{directory: tree(directory) for directory in SYSTEMD_DIRS}}


def differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(f"{key}: {before.get(key, '(none)')!r} -> {after.get(key, '(none)')!r}"
                  for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def hardening_results(stdout: str) -> list[str]:
    """The outcome word (ok, changed, skipping...) of every host line of the hardening
    role's tasks in ansible-playbook's output."""
    outcomes = []
    for block in stdout.split("\nTASK [")[1:]:
        if block.startswith("hungyen.mail.hardening : "):
            outcomes += [line.split(":")[0] for line in block.splitlines()[1:]
                         if line.startswith(("ok:", "changed:", "skipping:", "fatal:"))]
    return outcomes


def packages() -> str:
    """The SHA-256 of dpkg's status file: changes when a run installs a package (whose own
    units and APT files are no change of the run's)."""
    return hashlib.sha256(pathlib.Path("/var/lib/dpkg/status").read_bytes()).hexdigest()
