"""The Postfix + Dovecot backend on hand-made state directories (no server needed).

A fake ``postmap`` copies the map source to ``<map>.db`` and logs each call, so the file
contract of docs/architecture.md is checked without Postfix.
"""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import stat
import threading
import time

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.after_commit import (
    apply_changes,
    recover,
)
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    issue,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import (
    BackendError,
    MailBackend,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import MAPS
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes

DOMAIN = "hungyen.gov.vn"
LETTER = Request("7/ĐN", "2026-11-01")
HASH = "{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
FAKE_POSTMAP = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/postmap.log"
[ -n "$FAIL_POSTMAP" ] && { echo "postmap: fatal: broken" >&2; exit 1; }
for last; do :; done
cp "${last#*:}" "${last#*:}.db"
"""


@pytest.fixture(name="state")
def fixture_state(tmp_path, monkeypatch):
    """A state dir with three accounts (one locked, one revoked), an alias and a delegate."""
    data = tmp_path / "data"
    data.mkdir()
    files = {
        "users.passwd": "".join(f"{a}@{DOMAIN}:{HASH}::::::\n" for a in ("an", "binh", "chi"))
        + f"other@example.org:{HASH}::::::\n",
        "deny.passwd": f"binh@{DOMAIN}\nchi@{DOMAIN}\n",
        "recipient_access": f"chi@{DOMAIN} REJECT revoked\n",
        "valias": f"ancu@{DOMAIN} an@{DOMAIN}\nx@example.org y@example.org\n",
        "acl": f"shared/an@{DOMAIN} user=binh@{DOMAIN} lrs\n"
               f"shared/an@{DOMAIN}/* user=binh@{DOMAIN} lrs\n",
        "vmailbox": f"an@{DOMAIN} OK\nbinh@{DOMAIN} OK\n",
    }
    for name, text in files.items():
        (data / name).write_text(text)
    os.chmod(data / "users.passwd", 0o640)
    postmap = tmp_path / "postmap"
    postmap.write_text(FAKE_POSTMAP)
    postmap.chmod(0o755)
    monkeypatch.delenv("FAIL_POSTMAP", raising=False)
    assert backend(tmp_path).ensure_layout()  # the flat files become generation 0
    (tmp_path / "postmap.log").unlink()
    return tmp_path


def backend(state) -> MailBackend:
    return backend_from_settings(str(state), DOMAIN, postmap=str(state / "postmap"))


def box(address: str, **fields) -> Mailbox:
    base = {"kind": "person", "agency": "sotttt", "name": address, "request": LETTER}
    return Mailbox(address=address, **(base | fields))


def snapshot(state) -> dict:
    return {str(p.relative_to(state)): p.read_bytes() for p in state.rglob("*")
            if p.is_file() and p.name not in ("postmap.log", ".hymail.lock")}


def live(state) -> pathlib.Path:
    return state / "data" / "live"


def apply(state, desired: list[Mailbox], **options) -> dict:
    target = backend(state)
    changes = plan_changes(desired, target.read_state())
    addresses = [c.address for c in changes if c.applies and c.needs_password]
    return apply_changes(target, changes, issue(addresses, 16, HashSettings(1, 8192, 1)),
                         **options)


def test_read_state_from_the_files(state):
    accounts = backend(state).read_state()
    assert sorted(accounts) == ["an", "binh", "chi"]
    assert [accounts[a].status for a in ("an", "binh", "chi")] == ["active", "locked", "revoked"]
    assert accounts["an"].aliases == ("ancu",) and accounts["an"].delegates == ("binh",)


def test_metadata_comes_from_accounts_json_and_must_change_needs_our_hash(state):
    meta = {"accounts": {"an": {"address": "an", "agency": "sonv", "name": "An",
                                "must_change": True}},
            "issued": {"an": "not-the-digest"}}
    (live(state) / "accounts.json").write_text(json.dumps(meta))
    account = backend(state).read_state()["an"]
    assert account.agency == "sonv" and account.name == "An"
    assert account.must_change is False  # the user has changed the password since


def test_apply_rewrites_changed_files_once_and_keeps_modes(state):
    accounts = backend(state).read_state()
    desired = [box("an", delegates=("binh",), previous=("ancu",)),
               box("binh", status="locked", lock_reason="violation"),
               box("chi", status="revoked"), box("dung")]
    for address in ("an", "binh", "chi"):  # declare exactly what is live, plus one create
        assert accounts[address]
    result = apply(state, desired)
    assert result["changed"] and "users.passwd" in result["files"]
    calls = (state / "postmap.log").read_text().splitlines()
    maps = [name for name in result["files"] if name in MAPS]
    assert "vmailbox" in maps and len(calls) == len(maps)  # postmap once per changed map
    assert all(call.startswith(f"-c {state}/etc/postfix hash:") for call in calls)
    assert stat.S_IMODE((live(state) / "users.passwd").stat().st_mode) == 0o640
    assert "dung@hungyen.gov.vn OK" in (live(state) / "vmailbox.db").read_text()
    assert "other@example.org" not in (live(state) / "users.passwd").read_text()
    assert "x@example.org y@example.org" in (live(state) / "valias").read_text()


def test_second_apply_changes_nothing(state):
    desired = [box("an", delegates=("binh",), previous=("ancu",)), box("dung"),
               box("binh", status="locked", lock_reason="violation"),
               box("chi", status="revoked")]
    apply(state, desired)
    before = snapshot(state)
    target = backend(state)
    changes = plan_changes(desired, target.read_state())
    assert [c.action for c in changes if c.applies] == []
    assert apply_changes(target, changes, {})["changed"] is False
    assert snapshot(state) == before


def test_failed_postmap_leaves_everything_as_it_was(state, monkeypatch):
    before = snapshot(state)
    monkeypatch.setenv("FAIL_POSTMAP", "1")
    with pytest.raises(BackendError, match="HYR013 .*broken"):
        apply(state, [box("dung")])
    assert snapshot(state) == before


def test_missing_credential_refuses_the_batch(state):
    before = snapshot(state)
    target = backend(state)
    with pytest.raises(BackendError, match="HYR010 .*: dung"):
        apply_changes(target, plan_changes([box("dung")], target.read_state()), {})
    assert snapshot(state) == before


def test_rename_keeps_the_mail_in_place_and_the_old_address_as_alias(state):
    maildir = state / "mail" / DOMAIN / "an" / "Maildir" / "cur"
    maildir.mkdir(parents=True)
    (maildir / "1.mail").write_text("Subject: giu lai\n")
    apply(state, [box("anmoi", previous=("an", "ancu"))])
    home = str(state / "mail" / DOMAIN / "an")
    assert backend(state).home("anmoi") == home and (maildir / "1.mail").exists()
    assert f"anmoi@{DOMAIN}:{HASH}::::{home}::\n" in (live(state) / "users.passwd").read_text()
    valias = (live(state) / "valias").read_text()
    assert f"an@{DOMAIN} anmoi@{DOMAIN}" in valias and f"ancu@{DOMAIN} anmoi@{DOMAIN}" in valias


def test_a_new_account_never_gets_a_home_someone_left_mail_in(state):
    apply(state, [box("anmoi", previous=("an",))])  # anmoi's mail stays in mail/.../an
    (state / "mail" / DOMAIN / "dung").mkdir(parents=True)  # left behind on disk
    apply(state, [box("anmoi", previous=("an",)), box("an2"), box("dung")])
    target = backend(state)
    assert target.home("dung") == str(state / "mail" / DOMAIN / "dung+2")
    assert target.home("an2") == str(state / "mail" / DOMAIN / "an2")


@pytest.mark.parametrize("address", ["x\ny@evil.org:{PLAIN}x", "an\n", "a b", "a:b", "a\tb",
                                     "a/../../b", "", "a@evil.org"])
def test_an_address_that_would_break_a_server_file_is_refused(state, address):
    before = snapshot(state)
    with pytest.raises(BackendError, match="HYR015"):
        apply(state, [box(address)])
    assert snapshot(state) == before


def test_each_apply_is_a_new_generation_and_the_old_one_is_gone(state):
    first = apply(state, [box("dung")])["generation"]
    again = apply(state, [box("dung", directory={"title": "Chuyên viên"})])["generation"]
    assert (int(first), int(again)) == (2, 3)  # a new address is announced first (below)
    assert os.readlink(live(state)) == "gen/3"
    assert sorted(p.name for p in (state / "data" / "gen").iterdir()) == ["3"]
    # unchanged files are hard links, not copies
    assert os.stat(live(state) / "acl").st_nlink == 1


def test_an_interrupted_apply_is_finished_by_the_next_one(state):
    target = backend(state)
    changes = plan_changes([box("dung")], target.read_state())
    credentials = issue(["dung"], 16, HashSettings(1, 8192, 1))
    commit = target.generations.commit

    def killed_after_the_switch(staging):
        committed = commit(staging)
        if not staging.endswith("announce"):
            raise KeyboardInterrupt
        return committed

    target.generations.commit = killed_after_the_switch
    with pytest.raises(KeyboardInterrupt):
        apply_changes(target, changes, credentials)
    assert (live(state) / "pending.json").exists() and not (state / "outbox").exists()
    assert "dung" in backend(state).read_state()  # the new state is served
    recovered = recover(backend(state))
    assert recovered["notices"] == {"sotttt": 1}
    assert not (live(state) / "pending.json").exists()
    journal = (state / "data" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 1 and recover(backend(state))["notices"] == {}


def test_a_killed_staging_is_discarded_and_the_old_state_served(state):
    before = backend(state).read_state()
    staging = backend(state).generations.stage()
    pathlib.Path(staging, "users.passwd").write_text("half")
    assert backend(state).read_state() == before
    assert apply(state, [box("dung")], lock_timeout=1)["generation"] == "2"
    assert "dung" in backend(state).read_state()
    assert not os.path.exists(staging) and os.readlink(live(state)) == "gen/2"


def test_the_flat_layout_of_earlier_versions_is_migrated(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "users.passwd").write_text(f"an@{DOMAIN}:{HASH}::::::\n")
    postmap = tmp_path / "postmap"
    postmap.write_text(FAKE_POSTMAP)
    postmap.chmod(0o755)
    target = backend(tmp_path)
    assert list(target.read_state()) == ["an"]  # read where it is before the move
    assert target.ensure_layout() and not target.ensure_layout()
    assert not (data / "users.passwd").exists() and list(target.read_state()) == ["an"]
    assert (live(tmp_path) / "vmailbox.db").exists()


def test_revoke_keeps_the_maildir_and_rejects_with_a_text(state):
    maildir = state / "mail" / DOMAIN / "an" / "Maildir"
    maildir.mkdir(parents=True)
    apply(state, [box("an", status="revoked")])
    assert maildir.exists()
    access = (live(state) / "recipient_access").read_text()
    assert f"an@{DOMAIN} REJECT 5.1.6" in access
    assert f"an@{DOMAIN}" in (live(state) / "deny.passwd").read_text()
    assert f"an@{DOMAIN} OK" not in (live(state) / "vmailbox").read_text()


def test_credential_notices_are_private_and_appended(state):
    apply(state, [box("dung", agency="sonv")])
    apply(state, [box("dung", agency="sonv", password_reset=Request("9/ĐN", "2026-11-09"))])
    outbox = state / "outbox" / "sonv.jsonl"
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
    notices = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [[c["action"] for c in n["changes"]] for n in notices] == [
        ["create"], ["reset_password"]]
    creds = [c for n in notices for c in n["credentials"]]
    assert all(c["address"] == f"dung@{DOMAIN}" and c["password"] for c in creds)
    assert len(creds) == 2 and creds[0]["password"] != creds[1]["password"]
    stored = (live(state) / "users.passwd").read_text() + (
        live(state) / "accounts.json").read_text()
    stored += (state / "data" / "journal.jsonl").read_text()
    assert not any(c["password"] in stored for c in creds)


def test_drift_and_held_changes_are_not_applied(state):
    before = snapshot(state)
    target = backend(state)
    changes = plan_changes([box("dung")], target.read_state(), holds=("dung",))
    assert {c.action for c in changes} == {"create", "drift"}
    assert apply_changes(target, changes, {})["changed"] is False
    assert snapshot(state) == before


def test_history_records_commit_and_approver(state):
    target = backend(state)
    accounts = target.read_state()
    desired = [box(a) for a in accounts] + [box("dung")]
    changes = plan_changes(desired, accounts)
    todo = [c.address for c in changes if c.applies and c.needs_password]
    apply_changes(target, changes, issue(todo, 16, HashSettings(1, 8192, 1)),
                  {"commit": "abc123", "approved_by": "sotttt"})
    history = json.loads((live(state) / "accounts.json").read_text())["history"]
    assert history[-1]["commit"] == "abc123" and history[-1]["approved_by"] == "sotttt"
    assert {"action": "create", "address": "dung"}.items() <= history[-1]["changes"][-1].items()


def test_a_second_apply_waits_for_the_first_then_gives_up_with_a_message(state):
    with open(state / "data" / ".hymail.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(BackendError, match="HYR014 .* sau 1 giây chờ"):
            apply(state, [box("dung")], lock_timeout=0.6)
        assert time.monotonic() - started >= 0.6


def test_a_second_apply_goes_ahead_once_the_first_is_done(state):
    handle = open(state / "data" / ".hymail.lock", "a")  # noqa: SIM115 (closed by the thread)
    fcntl.flock(handle, fcntl.LOCK_EX)
    threading.Timer(0.5, handle.close).start()
    assert apply(state, [box("dung")], lock_timeout=30)["changed"]


def test_account_from_mailbox_round_trips_through_the_files(state):
    apply(state, [box("dung", directory={"title": "Chuyên viên"})])
    account = backend(state).read_state()["dung"]
    expected = account_from_mailbox(box("dung", directory={"title": "Chuyên viên"}))
    assert account.view() == expected.view()
    assert account.created and account.password_changed


def test_new_addresses_reach_dovecot_a_second_before_postfix_accepts_them(state):
    """Dovecot sees a changed passwd-file at most once a second, Postfix new maps at once:
    the new and renamed addresses are announced to Dovecot (delivery only) first."""
    target = backend(state)
    seen = []
    commit = target.generations.commit

    def watch(staging):
        committed = commit(staging)
        seen.append({name: (pathlib.Path(committed) / name).read_text()
                     for name in ("delivery.passwd", "vmailbox", "users.passwd")})
        return committed

    target.generations.commit = watch
    changes = plan_changes([box("anmoi", previous=("an", "ancu")), box("dung")],
                           target.read_state())
    apply_changes(target, changes, issue(["dung"], 16, HashSettings(1, 8192, 1)))
    announced, final = seen
    home = state / "mail" / DOMAIN
    every = [f"an@{DOMAIN}:::::{home / 'an'}::", f"ancu@{DOMAIN}:::::{home / 'an'}::",
             f"anmoi@{DOMAIN}:::::{home / 'an'}::", f"dung@{DOMAIN}:::::{home / 'dung'}::"]
    assert announced["delivery.passwd"].splitlines() == every
    assert "dung@" not in announced["vmailbox"] and "dung@" not in announced["users.passwd"]
    # old addresses stay deliverable; the new ones too, whichever users.passwd Dovecot holds
    assert final["delivery.passwd"].splitlines() == every
    assert "dung@" in final["vmailbox"] and "anmoi@" in final["users.passwd"]
    apply(state, [box("anmoi", previous=("an", "ancu")), box("dung", name="Dung")])
    assert (live(state) / "delivery.passwd").read_text().splitlines() == every[:2]
