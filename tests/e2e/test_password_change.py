"""A password changed by its user on the real test server (issue 14), in-process through
password/change.py as the helper daemon runs it: the new password logs in over IMAP and
submission, the old one is refused at once, an open session stays, the journal has the
entry, the next apply changes nothing and the drift report finds nothing, the new password
is nowhere in the state directory (its hash only in the served account file), a change
asked for while an apply runs waits for it and neither is lost, a reset letter issues a
password that must be changed again, and the password helper answers over its socket.

The passwords are made here (never written in the repository) and meet Điều 8."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift, journal, passwords
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.generations import LOCK_FILE
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Request
from ansible_collections.hungyen.mail.plugins.module_utils.password import change, client, policy
from e2e_support import CHEAP_HASH, DOMAIN, mailbox
from secrets_scan import HASH, PASSWORD, Scanner, describe

pytestmark = pytest.mark.server
CHEAP = passwords.HashSettings(CHEAP_HASH["hash_time_cost"], CHEAP_HASH["hash_memory_kib"],
                               CHEAP_HASH["hash_parallelism"])
RESET = Request("55/ĐN-E2E", "2026-11-30")


def fresh(local: str, name: str) -> str:
    """A new password that meets every rule of Điều 8 for this mailbox."""
    while True:
        candidate = passwords.generate(14)
        context = policy.Context(min_length=8, local_part=local, name=name)
        if not policy.check(candidate, context):
            return candidate


def changed(server, local: str, current: str, new: str, lock_timeout: float = 60) -> dict:
    backend = backend_from_settings(str(server.state_dir), DOMAIN)
    result = change.change_password(backend, f"{local}@{DOMAIN}", current, new,
                                    now=clock.now().isoformat(), min_length=8,
                                    hash_settings=CHEAP, lock_timeout=lock_timeout,
                                    client="127.0.0.1")
    text = json.dumps(result, ensure_ascii=False)
    assert not Scanner(passwords={"current": current, "new": new}).text("result", text)
    return result


def journal_entries(server, local: str, action: str) -> list[dict]:
    return [entry for entry in journal.read(journal.journal_path(str(server.state_dir)))
            if entry["action"] == action and entry["address"] == local]


def live_hash(server, local: str) -> str:
    return backend_from_settings(str(server.state_dir), DOMAIN).load().hashes[local]


def drift_report(province) -> dict:
    return drift.run({"desired_file": str(province.desired_file),
                      "state_dir": str(province.server.state_dir), "domain": DOMAIN})["report"]


def test_a_password_changed_by_its_user(province):
    server, local, other = province.server, "tpwd.doi", "tpwd.ban"
    box = mailbox(local, "tpwdcq")
    province.declare(box, mailbox(other, "tpwdcq"))
    province.run()
    initial = province.issued_password(local)
    server.assert_initial_password(local, initial)
    first, second = fresh(local, box.name), fresh(local, box.name)

    assert changed(server, local, initial, first)["status"] == 200
    assert not server.must_change(local) and server.must_change(other)
    session = server.imap(local, first)
    assert session.select("INBOX")[0] == "OK"
    result = changed(server, local, first, second)
    assert (result["status"], result["code"]) == (200, "HYM020"), result

    # at once: the old password refused, the new one works, over IMAP and submission
    server.assert_no_login(local, first)
    server.assert_login(local, second)
    assert server.submission_answer(local, second)[0] == 235
    assert server.submission_answer(local, first, "127.0.0.61")[0] == 535
    assert session.noop()[0] == "OK"  # the session opened before the change stays
    session.logout()
    assert changed(server, local, initial, fresh(local, box.name))["status"] == 401

    entries = journal_entries(server, local, "password_changed")
    assert len(entries) == 2 and set(entries[0]) <= set(journal.FIELDS)
    assert {entry["client"] for entry in entries} == {"127.0.0.1"}

    # the next apply keeps the user's hash and changes nothing; drift finds nothing
    hashed = live_hash(server, local)
    assert province.run()["changed"] is False
    assert live_hash(server, local) == hashed
    report = drift_report(province)
    mine = {local, other}
    assert [e["address"] for e in report["pending"] if e["address"] in mine] == []
    assert [e["address"] for e in report["undeclared"] if e["address"] in mine] == []
    assert report["hand_edits"] == []

    # the new password nowhere; its hash only in the served account file
    scanner = Scanner(passwords={f"{local} first": first, f"{local} second": second},
                      hashes={local: hashed}, shapes=None)
    found = scanner.paths(server.state_dir)
    assert [f for f in found if f.kind == PASSWORD] == [], describe(found)
    places = {os.path.basename(f.where) for f in found if f.kind == HASH}
    assert places == {"users.passwd"}, describe(found)
    history = server.state_dir / "private" / "password-history.json"
    assert history.stat().st_mode & 0o777 == 0o600
    assert len(json.loads(history.read_text("utf-8"))["accounts"][local]) == 2


def test_a_reset_letter_issues_a_password_that_must_be_changed_again(province):
    server, local = province.server, "tpwd.capl"
    box = mailbox(local, "tpwdcapl")
    province.declare(box)
    province.run()
    initial = province.issued_password(local)
    chosen = fresh(local, box.name)
    assert changed(server, local, initial, chosen)["status"] == 200
    province.declare(mailbox(local, "tpwdcapl", password_reset=RESET))
    assert province.run()["changed"]
    reissued = province.issued_password(local)
    assert reissued != initial and server.must_change(local)
    server.assert_initial_password(local, reissued)
    server.assert_no_login(local, chosen)
    again = fresh(local, box.name)
    assert changed(server, local, reissued, again)["status"] == 200
    server.assert_login(local, again)
    assert province.run()["changed"] is False


def lock_held(server) -> bool:
    """Whether an apply (or a backup, a restore) holds the backend's lock now."""
    fd = os.open(server.data / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_change_asked_for_while_an_apply_runs_waits_and_neither_is_lost(province):
    server, local = province.server, "tpwd.cho"
    box = mailbox(local, "tpwdcho")
    province.declare(box)
    province.run()
    initial, new = province.issued_password(local), fresh(local, box.name)
    added = [f"tpwd.moi{number}" for number in range(24)]
    province.declare(*[mailbox(address, "tpwdcho") for address in added])
    applied: dict = {}
    worker = threading.Thread(target=lambda: applied.update(
        result=province.run(hash_time_cost=4, hash_memory_kib=65536)))
    worker.start()
    deadline = time.monotonic() + 60
    while not lock_held(server) and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lock_held(server), "the apply never held the lock"
    result = changed(server, local, initial, new, lock_timeout=120)
    worker.join(300)
    assert result["status"] == 200, result
    assert applied["result"]["applied"]["changed"]
    state = backend_from_settings(str(server.state_dir), DOMAIN).read_state()
    assert set(added) <= set(state) and not state[local].must_change
    order = [entry["action"] for entry in journal.read(journal.journal_path(
        str(server.state_dir))) if entry["address"] in {local, *added}]
    assert order[-1] == "password_changed" and order.count("create") == len(added) + 1
    server.assert_login(local, new)
    assert province.run()["changed"] is False


def test_the_helper_changes_a_password_over_its_socket(province, tmp_path):
    """The daemon as mailserverctl or its unit runs it (here on a socket of this test)."""
    server, local = province.server, "tpwd.socket"
    box = mailbox(local, "tpwdsock")
    province.declare(box)
    province.run()
    initial, new = province.issued_password(local), fresh(local, box.name)
    sock = tmp_path / "run" / "helper.sock"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    helper = subprocess.Popen(
        [sys.executable, "-m", "ansible_collections.hungyen.mail.plugins.module_utils."
         "password.helper", "--state-dir", str(server.state_dir), "--domain", DOMAIN,
         "--socket", str(sock), "--min-length", "8",
         *[f"--{key.replace('_', '-')}={value}" for key, value in CHEAP_HASH.items()]],
        env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists() and helper.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        answer = client.request_change(str(sock), f"{local}@{DOMAIN}", initial, new,
                                       client="198.51.100.7")
        assert (answer["status"], answer["code"]) == (200, "HYM020"), answer
        server.assert_login(local, new)
    finally:
        helper.send_signal(signal.SIGTERM)
        log = helper.communicate(timeout=30)[1]
    assert f"address {local} client 198.51.100.7" in log
    assert not Scanner(passwords={"initial": initial, "new": new}).text("helper log", log)
