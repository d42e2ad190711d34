"""The parts of ``make bench`` beside the pipeline steps (issue 16): the mail service itself.

A part is a module ``bench/parts/<name>.py`` with::

    TITLE = "..."                     # its section's heading in results.md
    def run(ctx: Context) -> dict     # measures; returns JSON-able figures
    def render(result: dict) -> str   # its markdown section

``bench/run.py --parts smtp,login`` (``make bench BENCH_PARTS=smtp,login``) runs the named
parts, in the order given, against the benchmark's own mail server; ``pipeline`` is the
province-size steps of bench/run.py itself. The server is emptied (``reset``) before each
part, so a part starts from the state playbooks/mailserver.yml left: no account, no mail.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measure import Run
    from server import BenchServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = sys.executable


@dataclasses.dataclass
class Context:
    """What a part may use: the server, scratch space and the measured runners of bench/run.py."""

    server: BenchServer
    work: str
    logs: str
    machine: dict
    run: Callable[..., Run]  # run(label, argv) -> Run
    playbook: Callable[..., Run]  # playbook(label, playbook, extra_vars) -> Run
    core: Callable[..., Run]  # core(label, step, *args) -> Run
    bench_hash: dict

    def provision(self, people: int, hash_settings: dict | None = None) -> dict:
        """Generate a province of ``people`` and apply it to the server with the core reconcile.

        Returns the tree, the desired file and every address that has an account. The
        initial passwords go to the operator's notices, as in production.
        """
        settings = hash_settings or self.bench_hash
        scratch = os.path.join(self.work, "provision", str(people))
        tree, desired = os.path.join(scratch, "tree"), os.path.join(scratch, "desired.json")
        self.run(f"generate {people} for a part", [
            PYTHON, os.path.join(ROOT, "bench", "generate.py"), "--out", tree,
            "--agencies", str(max(1, people // 100)), "--people", str(people)])
        self.core(f"validate {people} for a part", "validate", "--mailboxes", tree,
                  "--desired", desired)
        self.core(f"apply {people} for a part", "reconcile", "--desired", desired,
                  "--state-dir", self.server.state_dir,
                  "--plan-file", os.path.join(self.server.state_dir, "applied-plan.json"),
                  "--time-cost", str(settings["time_cost"]),
                  "--memory-kib", str(settings["memory_kib"]),
                  "--parallelism", str(settings["parallelism"]))
        return {"mailboxes_dir": tree, "desired_file": desired,
                "addresses": addresses(desired)}


def addresses(desired_file: str) -> list[str]:
    """The full addresses of the active mailboxes of a desired file (sorted)."""
    import json

    with open(desired_file, encoding="utf-8") as handle:
        desired = json.load(handle)
    return sorted(f"{mailbox['address']}@{desired['domain']}" for mailbox in desired["mailboxes"]
                  if mailbox.get("status", "active") == "active")


def ports(state_dir: str) -> dict:
    """The IMAP, IMAPS and submission ports (0: none) and the host name of the server whose
    configuration is under ``state_dir`` (as the role wrote it)."""
    with open(os.path.join(state_dir, "etc", "dovecot", "dovecot.conf"), encoding="utf-8") as h:
        dovecot = h.read()
    with open(os.path.join(state_dir, "etc", "postfix", "master.cf"), encoding="utf-8") as h:
        master = h.read()
    imap = re.search(r"inet_listener imap \{[^}]*?port = (\d+)", dovecot)
    imaps = re.search(r"inet_listener imaps \{[^}]*?port = (\d+)", dovecot)
    submission = re.search(r"^(?:\S+:)?(\d+)\s+inet\s[^\n]*\n\s+-o syslog_name=postfix/"
                           r"submission\s", master, re.M)
    return {"imap": int(imap.group(1)), "imaps": int(imaps.group(1)) if imaps else 0,
            "submission": int(submission.group(1)) if submission else 0,
            "hostname": "127.0.0.1"}  # the certificate's name, as the e2e tests reach it


def load(name: str):
    """The part module ``name``, checked against the contract."""
    if not name.isidentifier() or name == "pipeline":
        raise ValueError(f"no benchmark part named {name!r}")
    try:
        module = importlib.import_module(f"parts.{name}")
    except ModuleNotFoundError as error:
        known = ", ".join(available())
        raise ValueError(f"no benchmark part named {name!r} (known: pipeline, {known})") from error
    for attribute in ("TITLE", "run", "render"):
        if not hasattr(module, attribute):
            raise ValueError(f"bench/parts/{name}.py has no {attribute}")
    return module


def available() -> list[str]:
    """The names of the parts under bench/parts/, sorted."""
    folder = os.path.dirname(os.path.abspath(__file__))
    return sorted(name[:-3] for name in os.listdir(folder)
                  if name.endswith(".py") and not name.startswith("_"))
