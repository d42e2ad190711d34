"""A password changed by its user (issue 14), in-process on a real backend state in a tmp
directory: verified against the live hash, refused by the policy with each problem's code,
written as a new generation under the apply lock (503 when an apply holds it too long), the
journal entry without a secret, the history root-only, must-change cleared, the next apply
changes nothing, a reset makes the account change again. doveadm is a stand-in that logs
its calls (tests/e2e/test_password_change.py changes a real server's password)."""

from __future__ import annotations

import datetime
import json
import os
import stat
import threading

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import after_commit, journal
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    hash_password,
    verify,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    PostfixDovecotBackend,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.password import change
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes

DOMAIN = "hungyen.gov.vn"
LETTER = Request("7/ĐN-STTTT", "2026-11-01")
RESET = Request("9/ĐN-STTTT", "2026-11-20")
NOW = datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC)
CHEAP = HashSettings(time_cost=1, memory_kib=8192, parallelism=1)
INITIAL = "Khoi#Tao2026x"  # what the notice would carry (fixed here: a test's own secret)
NEW = "Doi$MatKhau7x"
FAKE_DOVEADM = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/doveadm.log"
echo "0 cache entries flushed"
"""


@pytest.fixture(name="server")
def fixture_server(tmp_path, monkeypatch, clock_at):
    """A state_dir with a Dovecot configuration, a doveadm that logs its calls, and two
    accounts created with INITIAL."""
    clock_at(NOW)
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    (tmp_path / "etc" / "postfix" / "main.cf").write_text("")
    (tmp_path / "etc" / "dovecot").mkdir()
    (tmp_path / "etc" / "dovecot" / "dovecot.conf").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "doveadm").write_text(FAKE_DOVEADM)
    (bin_dir / "doveadm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    apply(tmp_path, [box("nvan", "Nguyễn Văn An"), box("tthuong", "Trần Thị Hương")])
    calls(tmp_path)
    return tmp_path


def box(address: str, name: str, status: str = "active", **fields) -> Mailbox:
    return Mailbox(address, "person", "sotttt", name, status=status,
                   lock_reason="compromised" if status == "locked" else None, request=LETTER,
                   **fields)


def apply(state_dir, desired: list[Mailbox], backend=None) -> dict:
    backend = backend or PostfixDovecotBackend(str(state_dir), DOMAIN)
    changes = plan_changes(desired, backend.read_state())
    credentials = {c.address: (INITIAL, hash_password(INITIAL, CHEAP))
                   for c in changes if c.needs_password}
    return after_commit.apply_changes(backend, changes, credentials)


def calls(state_dir) -> list[str]:
    log = state_dir / "bin" / "doveadm.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def run(state_dir, address: str, current: str, new: str, **options) -> dict:
    backend = PostfixDovecotBackend(str(state_dir), DOMAIN)
    options.setdefault("lock_timeout", 5.0)
    result = change.change_password(backend, address, current, new, now=NOW.isoformat(),
                                    min_length=8, hash_settings=CHEAP, **options)
    text = json.dumps(result, ensure_ascii=False)
    assert current not in text and new not in text and "argon2" not in text
    return result


def live_hash(state_dir, local: str) -> str:
    return PostfixDovecotBackend(str(state_dir), DOMAIN).load().hashes[local]


def test_a_change_writes_a_new_generation_and_clears_must_change(server):
    backend = PostfixDovecotBackend(str(server), DOMAIN)
    before = os.readlink(server / "data" / "live")
    assert backend.read_state()["nvan"].must_change
    result = run(server, f"nvan@{DOMAIN}", INITIAL, NEW, client="192.0.2.7")
    assert result["status"] == 200 and result["code"] == "HYM020", result
    assert result["problems"] == [] and f"nvan@{DOMAIN}" in result["message"]
    assert os.readlink(server / "data" / "live") != before  # a new generation
    hashed = live_hash(server, "nvan")
    assert verify(hashed, NEW) and not verify(hashed, INITIAL)
    state = PostfixDovecotBackend(str(server), DOMAIN).read_state()
    assert not state["nvan"].must_change and state["tthuong"].must_change
    assert verify(live_hash(server, "tthuong"), INITIAL)  # nobody else touched
    # the cache flushed for that login only; no session kicked
    assert calls(server) == [f"-c {server}/etc/dovecot/dovecot.conf auth cache flush "
                             f"nvan@{DOMAIN}"]
    entries = journal.read(journal.journal_path(str(server)))
    assert entries[-1] == {"v": 1, "at": NOW.isoformat(), "action": "password_changed",
                           "address": "nvan", "agency": "sotttt", "kind": "person",
                           "client": "192.0.2.7"}
    assert not (server / "data" / "live" / after_commit.PENDING).exists()
    assert PostfixDovecotBackend(str(server), DOMAIN).hand_edits() == []


def test_the_next_apply_keeps_the_users_hash_and_changes_nothing(server):
    assert run(server, "nvan", INITIAL, NEW)["status"] == 200
    backend = PostfixDovecotBackend(str(server), DOMAIN)
    desired = [box("nvan", "Nguyễn Văn An"), box("tthuong", "Trần Thị Hương")]
    assert [c for c in plan_changes(desired, backend.read_state()) if c.applies] == []
    assert apply(server, desired)["changed"] is False
    assert verify(live_hash(server, "nvan"), NEW)


def test_a_reset_letter_issues_a_password_that_must_be_changed_again(server):
    assert run(server, "nvan", INITIAL, NEW)["status"] == 200
    apply(server, [box("nvan", "Nguyễn Văn An", password_reset=RESET),
                   box("tthuong", "Trần Thị Hương")])
    state = PostfixDovecotBackend(str(server), DOMAIN).read_state()
    assert state["nvan"].must_change and verify(live_hash(server, "nvan"), INITIAL)
    assert run(server, "nvan", INITIAL, "Lan$Hai2026x")["status"] == 200
    assert not PostfixDovecotBackend(str(server), DOMAIN).read_state()["nvan"].must_change


@pytest.mark.parametrize(("address", "current"), [
    ("nvan", "Sai#MatKhau1"),                 # a wrong current password
    ("khongco", INITIAL),                     # no such account
    ("nvan@example.org", INITIAL),            # another domain
    ("nvan@hungyen.gov.vn:x", INITIAL),       # not an address
])
def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(server, address,
                                                                       current):
    before = os.readlink(server / "data" / "live")
    result = run(server, address, current, NEW)
    assert (result["status"], result["code"], result["problems"]) == (401, "HYM021", [])
    assert os.readlink(server / "data" / "live") == before


def test_a_locked_account_gets_the_same_answer(server):
    apply(server, [box("nvan", "Nguyễn Văn An", "locked"), box("tthuong", "Trần Thị Hương")])
    unknown = run(server, "khongco", INITIAL, NEW)
    locked = run(server, "nvan", INITIAL, NEW)
    assert locked == unknown and locked["status"] == 401


def test_a_new_password_against_the_policy_is_refused_with_each_code(server):
    before = os.readlink(server / "data" / "live")
    result = run(server, "nvan", INITIAL, "nvan1234")
    assert (result["status"], result["code"]) == (400, "HYM022")
    codes = [problem["code"] for problem in result["problems"]]
    assert codes == ["HYM002", "HYM005", "HYM008", "HYM009"], codes  # "van": Văn
    assert os.readlink(server / "data" / "live") == before
    assert run(server, "nvan", INITIAL, INITIAL)["problems"][0]["code"] == "HYM006"


def test_the_recent_passwords_are_remembered_root_only_and_refused(server):
    assert run(server, "nvan", INITIAL, NEW)["status"] == 200
    assert run(server, "nvan", NEW, "Ba$Lan2026xy")["status"] == 200
    back = run(server, "nvan", "Ba$Lan2026xy", NEW)
    assert [p["code"] for p in back["problems"]] == ["HYM007"]
    path = server / "private" / "password-history.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    history = json.loads(path.read_text())["accounts"]["nvan"]
    assert len(history) == 2 and verify(history[-1], NEW) and verify(history[0], INITIAL)
    for number in range(6):
        current = "Ba$Lan2026xy" if number == 0 else f"Moi{number}$Khac2026"
        assert run(server, "nvan", current, f"Moi{number + 1}$Khac2026")["status"] == 200
    assert len(json.loads(path.read_text())["accounts"]["nvan"]) == 5


def test_a_change_while_an_apply_holds_the_lock_answers_503_and_writes_nothing(server):
    holder = PostfixDovecotBackend(str(server), DOMAIN)
    before = os.readlink(server / "data" / "live")
    with holder.locked(5):
        result = run(server, "nvan", INITIAL, NEW, lock_timeout=0.5)
    assert (result["status"], result["code"]) == (503, "HYM023")
    assert "thử lại sau một phút" in result["message"]
    assert os.readlink(server / "data" / "live") == before
    assert verify(live_hash(server, "nvan"), INITIAL)
    assert not (server / "private" / "password-history.json").exists()


def test_a_change_waits_for_an_apply_and_neither_is_lost(server):
    holder, results = PostfixDovecotBackend(str(server), DOMAIN), {}
    worker = threading.Thread(target=lambda: results.update(
        changed=run(server, "nvan", INITIAL, NEW, lock_timeout=20)))
    with holder.locked(5):  # an apply is running: the change waits for it
        worker.start()
        applied = apply(server, [box("nvan", "Nguyễn Văn An"), box("tthuong", "Trần Thị Hương"),
                                 box("lmai", "Lê Mai")], backend=holder)
        worker.join(1.0)
        assert worker.is_alive() and not results  # still waiting, nothing written
    worker.join(30)
    assert applied["changed"] and results["changed"]["status"] == 200
    state = PostfixDovecotBackend(str(server), DOMAIN).read_state()
    assert "lmai" in state and verify(live_hash(server, "nvan"), NEW)


@pytest.mark.parametrize(("address", "current", "new", "detail"), [
    ("", INITIAL, NEW, "thiếu địa chỉ thư"),
    ("nvan", None, NEW, "thiếu mật khẩu hiện tại"),
    ("nvan", INITIAL, "", "thiếu mật khẩu mới"),
])
def test_a_malformed_request_is_refused(server, address, current, new, detail):
    backend = PostfixDovecotBackend(str(server), DOMAIN)
    result = change.change_password(backend, address, current, new, now=NOW.isoformat(),
                                    hash_settings=CHEAP)
    assert (result["status"], result["code"]) == (400, "HYM025") and detail in result["message"]
