"""Ending sessions (issue 13, item 6): whose sessions a batch ends (session_cases.yml), and
the batch of doveadm calls after the switch: the cache flushed then each login kicked,
with the role's configuration; a failure reported (HYR019) and retried by the next apply,
which carries the logins into its own generation; no Dovecot, no session to end.

doveadm is a stand-in here (a script that logs its arguments); tests/e2e/test_sessions_end.py
ends real sessions of the real server."""

from __future__ import annotations

import datetime
import os
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import after_commit
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    PostfixDovecotBackend,
    ServerState,
    sessions,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.layout import (
    Layout,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from helpers import case_table

DOMAIN = "hungyen.gov.vn"
CASES = case_table("session_cases.yml")
LETTER = Request("7/ĐN-STTTT", "2026-11-01")
NOW = datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC)
FAKE_DOVEADM = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/doveadm.log"
case "$*" in
  *"kick "*) [ -n "$DOVEADM_FAIL" ] && { echo "Fatal: kick: broken" >&2; exit 75; }
             [ -n "$DOVEADM_STOPPED" ] && {
               echo "Fatal: net_connect_unix(/x/anvil) failed: No such file or directory" >&2
               exit 75; }
             exit 68;;
  *"who "*) printf 'username proto pid ip\\nu5@hungyen.gov.vn imap 1 127.0.0.1\\n';;
  *) echo "0 cache entries flushed";;
esac
"""


def state_of(rows: list[dict]) -> ServerState:
    accounts = [Account(address=row["address"], status=row.get("status", "active"),
                        agency=row.get("agency", "sotttt"),
                        aliases=tuple(row.get("aliases", ())),
                        delegates=tuple(row.get("delegates", ()))) for row in rows]
    return ServerState(accounts={a.address: a for a in accounts},
                       hashes={row["address"]: f"{{HASH}}{row.get('hash', 1)}" for row in rows})


@pytest.mark.parametrize("case", CASES)
def test_whose_sessions_end(case, tmp_path):
    layout = Layout(str(tmp_path), DOMAIN)
    logins = sessions.ending(layout, state_of(case["before"]), state_of(case["after"]))
    assert logins == [f"{local}@{DOMAIN}" for local in case["end"]]


def test_the_configuration_doveadm_reads(tmp_path):
    embedded = Layout(str(tmp_path), DOMAIN)
    assert embedded.dovecot_config == str(tmp_path / "etc" / "dovecot" / "dovecot.conf")
    assert Layout(str(tmp_path), DOMAIN, postfix_config_dir="/etc/postfix").dovecot_config == ""
    given = Layout(str(tmp_path), DOMAIN, dovecot_config="/srv/dovecot.conf")
    assert given.dovecot_config == "/srv/dovecot.conf"


@pytest.fixture(name="server")
def fixture_server(tmp_path, monkeypatch, clock_at):
    """A state_dir with a Dovecot configuration and a doveadm that logs its calls."""
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
    for name in ("DOVEADM_FAIL", "DOVEADM_STOPPED"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def box(address: str, status: str = "active", **fields) -> Mailbox:
    return Mailbox(address, fields.pop("kind", "person"), "sotttt", address, status=status,
                   lock_reason="compromised" if status == "locked" else None, request=LETTER,
                   **fields)


def apply(state_dir, desired: list[Mailbox]) -> dict:
    backend = PostfixDovecotBackend(str(state_dir), DOMAIN)
    changes = plan_changes(desired, backend.read_state())
    credentials = {c.address: ("unused", "{HASH}x") for c in changes if c.needs_password}
    return after_commit.apply_changes(backend, changes, credentials)


def calls(state_dir) -> list[str]:
    log = state_dir / "bin" / "doveadm.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def leftover(state_dir) -> str | None:
    path = state_dir / "data" / "live" / sessions.PENDING
    return path.read_text() if path.exists() else None


def test_a_lock_flushes_the_cache_then_kicks_once(server):
    config = f"-c {server}/etc/dovecot/dovecot.conf"
    apply(server, [box("nvan"), box("tbinh")])
    assert calls(server) == []  # nobody loses a right: doveadm is not run
    result = apply(server, [box("nvan", "locked"), box("tbinh")])
    assert result["sessions"] == {"ended": 1, "error": None}
    assert calls(server) == [f"{config} auth cache flush nvan@{DOMAIN}",
                             f"{config} kick nvan@{DOMAIN}"]
    assert leftover(server) is None


def test_a_failure_is_reported_and_the_next_apply_ends_those_sessions(server, monkeypatch):
    apply(server, [box("nvan"), box("tbinh")])
    monkeypatch.setenv("DOVEADM_FAIL", "1")
    result = apply(server, [box("nvan", "locked"), box("tbinh")])
    assert result["changed"] and result["sessions"]["ended"] == 0
    assert result["sessions"]["error"].startswith("HYR019 ")
    assert after_commit.sessions_warnings(None, result) == [result["sessions"]["error"]]
    assert leftover(server) == f"nvan@{DOMAIN}\n"  # the lock is applied; the kick waits
    mode = stat.S_IMODE((server / "data" / "live" / sessions.PENDING).stat().st_mode)
    assert mode == 0o600
    # still failing: the next batch carries nvan into its own generation
    apply(server, [box("nvan", "locked"), box("tbinh", "locked")])
    assert leftover(server) == f"nvan@{DOMAIN}\ntbinh@{DOMAIN}\n"
    monkeypatch.delenv("DOVEADM_FAIL")
    calls(server)
    result = apply(server, [box("nvan", "locked"), box("tbinh", "locked"), box("dung")])
    assert result["recovered"]["sessions"] == {"ended": 2, "error": None}
    assert [c.split()[-1] for c in calls(server) if " kick " in c] == [f"nvan@{DOMAIN}",
                                                                         f"tbinh@{DOMAIN}"]
    assert leftover(server) is None


def test_a_stopped_dovecot_has_no_session_to_end(server, monkeypatch):
    apply(server, [box("nvan")])
    monkeypatch.setenv("DOVEADM_STOPPED", "1")
    assert apply(server, [box("nvan", "revoked")])["sessions"] == {"ended": 0, "error": None}
    assert leftover(server) is None


def test_a_state_without_a_dovecot_configuration_runs_no_doveadm(server):
    (server / "etc" / "dovecot" / "dovecot.conf").unlink()
    apply(server, [box("nvan")])
    assert apply(server, [box("nvan", "locked")])["sessions"] == {"ended": 0, "error": None}
    assert calls(server) == []


def test_a_bulk_batch_kicks_only_the_connected_logins(server):
    people = [f"u{n}" for n in range(sessions.DIRECT_KICKS + 1)]
    apply(server, [box(p) for p in people])
    result = apply(server, [box(p, "revoked") for p in people])
    done = calls(server)
    # one flush of the whole cache: auth-master takes at most 1024 bytes a request
    assert [c.split(" ", 2)[-1] for c in done if "auth cache flush" in c] == [
        "auth cache flush"]
    assert [c.split()[-1] for c in done if " kick " in c] == [f"u5@{DOMAIN}"]
    assert result["sessions"] == {"ended": 1, "error": None}


def test_a_flush_request_stays_below_auth_masters_line_limit():
    logins = [f"{'x' * 60}{n}@{DOMAIN}" for n in range(sessions.DIRECT_KICKS)]
    batches = sessions._flush_batches(logins)  # noqa: SLF001 (the limit is the point)
    assert [login for batch in batches for login in batch] == logins and len(batches) > 1
    assert all(len(" ".join(batch)) < 1024 - 100 for batch in batches)
    assert sessions._flush_batches(logins + ["one@x"]) == [[]]  # noqa: SLF001
