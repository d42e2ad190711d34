"""The snapshot of the live state and the read-only backend over it (issue 21 item 3)."""

from __future__ import annotations

import json
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import snapshot
from ansible_collections.hungyen.mail.plugins.module_utils.apply.reconcile import (
    reconcile,
    state_digest,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_params,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.snapshot import (
    SnapshotBackend,
    document,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.modules import mailbox_reconcile

DOMAIN = "hungyen.gov.vn"
LETTER = Request("7/ĐN", "2026-11-01")
HOLD = {"address": "khoa", "action": "lock", "reason": "bị chiếm quyền", "by": "pheduyet",
        "at": "2026-11-29T10:00:00+00:00", "lock_reason": "compromised",
        "status_before": "active", "status": "locked"}


def accounts() -> dict:
    boxes = [Mailbox("an", "person", "tienlu", "An", request=LETTER,
                     directory={"title": "Chuyên viên", "publish": False}),
             Mailbox("khoa", "person", "tienlu", "Khoa", request=LETTER)]
    found = {box.address: account_from_mailbox(box) for box in boxes}
    found["khoa"] = found["khoa"].evolve(status="locked", lock_reason="compromised",
                                         must_change=False, created="2026-11-01T00:00:00")
    return found


def written(tmp_path, live: dict | None = None, **overrides) -> str:
    live = accounts() if live is None else live
    data = document(DOMAIN, live, {"khoa": HOLD}, state_digest(live), "g-000001",
                    "2026-12-06T00:00:00+00:00") | overrides
    path = str(tmp_path / "build" / "snapshot.json")
    snapshot.write(path, data, DOMAIN)
    return path


def test_the_snapshot_gives_back_the_accounts_holds_and_digest_it_was_taken_of(tmp_path):
    path = written(tmp_path)
    assert stat.S_IMODE((tmp_path / "build" / "snapshot.json").stat().st_mode) == 0o600
    backend = backend_from_params({"snapshot_file": path, "state_dir": "/x", "domain": DOMAIN})
    assert isinstance(backend, SnapshotBackend) and backend.read_only
    assert backend.read_state() == accounts()
    assert {a: v.view() for a, v in backend.read_state().items()} == \
        {a: v.view() for a, v in accounts().items()}
    assert backend.emergency_holds() == {"khoa": HOLD}
    assert backend.recorded_digest() == state_digest(backend.read_state())


@pytest.mark.parametrize("call", [
    lambda b: b.locked(), lambda b: b.recover(None), lambda b: b.ensure_layout(),
    lambda b: b.apply([], {}, after=None), lambda b: b.home("an"), lambda b: b.fix_modes({})])
def test_the_snapshot_backend_refuses_all_that_would_touch_a_server(tmp_path, call):
    backend = SnapshotBackend(written(tmp_path), DOMAIN)
    with pytest.raises(BackendError, match="^HYR017"):
        call(backend)


def desired(tmp_path) -> str:
    boxes = [Mailbox("an", "person", "tienlu", "An Mới", request=LETTER),
             Mailbox("khoa", "person", "tienlu", "Khoa", request=LETTER)]
    path = tmp_path / "desired.json"
    path.write_text(json.dumps({"domain": DOMAIN, "mailboxes": [b.to_dict() for b in boxes]},
                               ensure_ascii=False), "utf-8")
    return str(path)


def params(tmp_path, path: str, **extra) -> dict:
    defaults = {key: spec.get("default") for key, spec in mailbox_reconcile.ARGUMENT_SPEC.items()}
    return defaults | {"desired_file": desired(tmp_path), "state_dir": str(tmp_path / "none"),
                       "domain": DOMAIN, "snapshot_file": path} | extra


def test_a_plan_from_a_snapshot_shows_its_holds_and_an_apply_is_refused(tmp_path):
    path = written(tmp_path)
    result = reconcile(params(tmp_path, path), check_mode=True)
    assert result["plan"]["state_digest"] == state_digest(accounts())
    assert [h["address"] for h in result["holds"]] == ["khoa"]
    assert result["summary"]["held"] == 1 and result["summary"]["update"] == 1
    assert not (tmp_path / "none").exists(), "a plan from a snapshot touched the state_dir"
    with pytest.raises(BackendError, match="^HYR017"):
        reconcile(params(tmp_path, path), check_mode=False)


def test_a_snapshot_whose_accounts_do_not_match_its_digest_is_refused(tmp_path):
    path = written(tmp_path)
    data = json.loads((tmp_path / "build" / "snapshot.json").read_text("utf-8"))
    data["accounts"][0]["status"] = "active"
    data["accounts"][1]["status"] = "active"
    (tmp_path / "build" / "snapshot.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(BackendError, match="^HYR018.*mã băm SHA-256"):
        reconcile(params(tmp_path, path), check_mode=True)


@pytest.mark.parametrize(("change", "why"), [
    ({"domain": "example.org"}, "miền"), ({"kind": "plan"}, "không phải ảnh chụp"),
    ({"version": 2}, "phiên bản"), ({"accounts": [{"address": "x", "hash": "h"}]}, "tài khoản")])
def test_what_is_not_a_snapshot_of_this_domain_is_refused(tmp_path, change, why):
    with pytest.raises(BackendError, match=f"^HYR018.*{why}"):
        written(tmp_path, **change)


@pytest.mark.parametrize("shape", [
    "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$ZGlnZXN0", "$argon2id$v=19$m=8",
    "{SHA512-CRYPT}$6$abc$def", "$2y$10$abcdefghijklmnopqrstuv", "{BLF-CRYPT}x"])
def test_a_snapshot_with_anything_hash_shaped_is_never_written(tmp_path, shape):
    live = accounts()
    live["an"] = live["an"].evolve(name=f"An {shape}")
    with pytest.raises(BackendError, match="^HYR018.*mã băm"):
        written(tmp_path, live)
    assert not (tmp_path / "build" / "snapshot.json").exists()


@pytest.mark.parametrize("piece", [16, 37, 64, 101, 1 << 20])
def test_a_hash_shaped_string_is_found_wherever_the_pieces_are_cut(tmp_path, monkeypatch, piece):
    """The file is written a piece at a time: a hash across two pieces is still refused."""
    monkeypatch.setattr(snapshot, "PIECE", piece)
    live = accounts()
    live["an"] = live["an"].evolve(name="An {SHA512-CRYPT}$6$abc$def")
    with pytest.raises(BackendError, match="^HYR018.*mã băm"):
        written(tmp_path, live)
    assert not (tmp_path / "build" / "snapshot.json").exists()


@pytest.mark.parametrize("piece", [16, 1 << 20])
def test_changed_says_whether_the_content_changed_its_time_aside(tmp_path, monkeypatch, piece):
    monkeypatch.setattr(snapshot, "PIECE", piece)
    path = str(tmp_path / "build" / "snapshot.json")
    live = accounts()

    def write(live: dict, taken_at: str) -> bool:
        data = document(DOMAIN, live, {"khoa": HOLD}, state_digest(live), "g-000001", taken_at)
        changed = snapshot.write(path, data, DOMAIN)
        with open(path, encoding="utf-8") as handle:  # the whole document, as written
            assert handle.read() == json.dumps(data, ensure_ascii=False, indent=1,
                                               sort_keys=True) + "\n"
        return changed

    assert write(live, "2026-12-06T00:00:00+00:00")  # no file before
    assert not write(live, "2026-12-07T00:00:00+00:00")  # only the time
    live["an"] = live["an"].evolve(name="An Nguyễn")
    assert write(live, "2026-12-07T00:00:00+00:00")
    assert not write(live, "2026-12-07T00:00:01+00:00")
