"""The backend behind one interface: built by one factory, importing nothing above it, and
the work after a commit (journal, notices) done once, even across a crash."""

from __future__ import annotations

import ast
import inspect
import json
import pathlib
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import after_commit
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import (
    Batch,
    MailBackend,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_params,
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.snapshot import (
    SnapshotBackend,
    document,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes

DOMAIN = "hungyen.gov.vn"
NOW = "2026-11-29T03:00:00+00:00"
MODULE_UTILS = pathlib.Path(after_commit.__file__).resolve().parents[1]
# What the modules, reconcile, emergency, backup, drift and the reports call on a backend.
USED = ("read_state", "apply", "locked", "recover", "ensure_layout", "live_dir", "home",
        "modes_to_fix", "fix_modes", "hand_edits", "describe", "diff")


def test_the_factory_builds_the_backend_with_the_settings_given(tmp_path):
    backend = backend_from_settings(str(tmp_path), "HungYen.gov.vn", postmap="/bin/postmap",
                                    postfix_config_dir=None)
    assert isinstance(backend, MailBackend) and backend.domain == DOMAIN
    assert backend.state_dir == str(tmp_path) and backend.data_dir == str(tmp_path / "data")
    assert backend.layout.postmap == "/bin/postmap"
    assert backend.layout.postfix_config_dir == str(tmp_path / "etc" / "postfix")
    params = {"state_dir": str(tmp_path), "domain": DOMAIN, "postmap": None, "files": {},
              "postfix_config_dir": "/etc/postfix"}
    from_params = backend_from_params(params)
    assert from_params.layout.postmap == "postmap"
    assert from_params.layout.postfix_config_dir == "/etc/postfix"


def test_an_unknown_setting_is_refused(tmp_path):
    with pytest.raises(TypeError, match="operator"):
        backend_from_settings(str(tmp_path), DOMAIN, operator="sotttt")


def test_the_interface_declares_what_callers_use(tmp_path):
    backend = backend_from_settings(str(tmp_path), DOMAIN)
    for name in USED:
        assert callable(getattr(MailBackend, name)), name
    assert not inspect.isabstract(type(backend))


def test_the_factory_builds_a_read_only_backend_from_a_snapshot(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(document(DOMAIN, {}, {}, "d", None, NOW)), "utf-8")
    backend = backend_from_params({"state_dir": str(tmp_path), "domain": DOMAIN,
                                   "snapshot_file": str(path)})
    assert isinstance(backend, SnapshotBackend) and not inspect.isabstract(SnapshotBackend)
    assert backend.read_only and not backend_from_settings(str(tmp_path), DOMAIN).read_only
    for name in USED:
        assert callable(getattr(backend, name)), name


def test_backends_import_nothing_above_them():
    """common < declared < plan < backends < notices < apply < backup, publish..."""
    allowed = {"backends", "common", "declared", "plan"}
    for path in (MODULE_UTILS / "backends").rglob("*.py"):
        package = path.relative_to(MODULE_UTILS).parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = list(package[:len(package) - node.level + 1])
                top = (base + (node.module or "").split("."))[0]
                assert top in allowed, f"{path.name} imports {node.module} (level {node.level})"


def _batch(record: dict | None = None) -> Batch:
    letter = Request("7/ĐN", "2026-11-01")
    desired = [Mailbox("dung", "person", "sonv", "Dung", request=letter),
               Mailbox("sotttt", "agency", "sotttt", "Sở TTTT", request=letter)]
    changes = [c for c in plan_changes(desired, {}) if c.applies]
    credentials = {c.address: (f"Pw#{c.address}", "{HASH}x") for c in changes}
    accounts = {box.address: account_from_mailbox(box) for box in desired}
    return Batch(changes, credentials, record, accounts, NOW)


def test_the_work_after_a_commit_is_staged_private_and_done_once(tmp_path):
    generation = tmp_path / "data" / "gen" / "1"
    generation.mkdir(parents=True)
    work = after_commit.JournalAndNotices(str(tmp_path), DOMAIN, "SoTTTT")
    work.stage(str(generation), _batch({"commit": "abc"}))
    pending = generation / after_commit.PENDING
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600
    kinds = [json.loads(line)[0] for line in pending.read_text().splitlines()]
    assert kinds == ["journal", "journal", "notice", "notice", "bootstrap"]
    done = work.finish(str(generation))
    assert done["notices"] == {"sonv": 1, "sotttt": 1} and len(done["bootstrap"]) == 1
    assert not pending.exists() and not list(generation.glob(".done-*"))
    assert work.finish(str(generation)) == work.finish(None) == {"notices": {}, "bootstrap": []}
    journal = (tmp_path / "data" / "journal.jsonl").read_text().splitlines()
    assert [json.loads(line)["commit"] for line in journal] == ["abc", "abc"]


def test_a_finish_killed_half_way_is_completed_without_doing_a_step_twice(tmp_path, monkeypatch):
    generation = tmp_path / "gen"
    generation.mkdir()
    work = after_commit.JournalAndNotices(str(tmp_path), DOMAIN)
    work.stage(str(generation), _batch())

    def killed(*_):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(after_commit.outbox, "append_notices", killed)
        with pytest.raises(KeyboardInterrupt):
            work.finish(str(generation))
    assert (generation / ".done-journal").exists() and (generation / "pending.json").exists()
    assert work.finish(str(generation))["notices"] == {"sonv": 1, "sotttt": 1}
    assert len((tmp_path / "data" / "journal.jsonl").read_text().splitlines()) == 2
