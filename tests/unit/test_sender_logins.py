"""Who may send as whom: the rule of senders.py against sender_cases.yml, the
``sender_logins`` map it renders in every generation (indexed by postmap), a removed
delegate gone with the apply that removes them, and an upgraded server's map."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import AfterCommit
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    MAPS,
    PostfixDovecotBackend,
    ServerState,
    migrate,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.layout import (
    Layout,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.render import (
    render,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.senders import (
    SENDER_LOGINS,
    sender_logins,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from helpers import case_table

DOMAIN = "hungyen.gov.vn"
CASES = case_table("sender_cases.yml")
LETTER = Request("7/ĐN-STTTT", "2026-11-01")
NOW = datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC)
needs_postmap = pytest.mark.skipif(shutil.which("postmap") is None, reason="no postmap")


def accounts_of(case: dict) -> list[Account]:
    return [Account(address=row["address"], kind=row["kind"],
                    status=row.get("status", "active"),
                    aliases=tuple(row.get("aliases", ())),
                    delegates=tuple(row.get("delegates", ()))) for row in case["accounts"]]


@pytest.mark.parametrize("case", CASES)
def test_the_rule(case):
    rule = sender_logins(accounts_of(case))
    assert [f"{address} {','.join(logins)}" for address, logins in rule.items()] == case["lines"]


@pytest.mark.parametrize("case", CASES)
def test_the_file_of_each_generation(case, tmp_path):
    layout = Layout(str(tmp_path), DOMAIN)
    accounts = accounts_of(case)
    state = ServerState(accounts={a.address: a for a in accounts},
                        hashes={a.address: "{HASH}x" for a in accounts})
    expected = "".join(
        " ".join(",".join(f"{name}@{DOMAIN}" for name in part.split(","))
                 for part in line.split(" ")) + "\n" for line in case["lines"])
    assert render(layout, state)[SENDER_LOGINS] == expected


class NothingAfter(AfterCommit):
    def stage(self, directory, batch):
        pass

    def finish(self, directory):
        return {}


def backend_at(tmp_path) -> PostfixDovecotBackend:
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    (tmp_path / "etc" / "postfix" / "main.cf").write_text("")
    return PostfixDovecotBackend(str(tmp_path), DOMAIN)


def apply(backend: PostfixDovecotBackend, desired: list[Mailbox]) -> None:
    changes = plan_changes(desired, backend.read_state())
    credentials = {c.address: ("unused", "{HASH}x") for c in changes if c.needs_password}
    backend.apply(changes, credentials, after=NothingAfter())


def lookup(backend: PostfixDovecotBackend, address: str) -> str | None:
    """What Postfix finds for ``address`` in the live map's index."""
    result = subprocess.run(
        ["postmap", "-c", backend.layout.postfix_config_dir, "-q", address,
         f"hash:{backend.live_dir()}/{SENDER_LOGINS}"],
        capture_output=True, text=True, check=False)
    return result.stdout.strip() or None


def person(address: str, status: str = "active") -> Mailbox:
    return Mailbox(address, "person", "sotttt", address, status=status,
                   lock_reason="violation" if status == "locked" else None, request=LETTER)


def agency(delegates: tuple[str, ...]) -> Mailbox:
    return Mailbox("sotttt", "agency", "sotttt", "Sở TTTT", delegates=delegates,
                   request=LETTER)


@needs_postmap
def test_a_map_of_every_apply_and_a_removed_delegate_gone_with_it(tmp_path, clock_at):
    clock_at(NOW)
    assert SENDER_LOGINS in MAPS  # staged, indexed and switched with the other maps
    backend = backend_at(tmp_path)
    apply(backend, [agency(("nvan", "tbinh")), person("nvan"), person("tbinh")])
    assert lookup(backend, f"sotttt@{DOMAIN}") == f"sotttt@{DOMAIN},nvan@{DOMAIN},tbinh@{DOMAIN}"
    assert lookup(backend, f"nvan@{DOMAIN}") == f"nvan@{DOMAIN}"
    apply(backend, [agency(("tbinh",)), person("nvan", "locked"), person("tbinh")])
    assert lookup(backend, f"sotttt@{DOMAIN}") == f"sotttt@{DOMAIN},tbinh@{DOMAIN}"
    assert lookup(backend, f"nvan@{DOMAIN}") is None
    assert backend.hand_edits() == []  # recorded like every served file


@needs_postmap
def test_an_upgraded_server_gets_the_map_of_its_accounts(tmp_path, clock_at):
    """A generation written before sender_logins existed: the next ensure_layout adds it
    rendered from the accounts (not empty: Postfix would refuse every sender)."""
    clock_at(NOW)
    backend = backend_at(tmp_path)
    apply(backend, [person("nvan")])
    live = tmp_path / "data" / "live"
    old = tmp_path / "data" / "gen" / "99"
    shutil.copytree(live.resolve(), old)
    for name in (SENDER_LOGINS, f"{SENDER_LOGINS}.db"):
        (old / name).unlink()
    record = json.loads((old / "digests.json").read_text())
    del record["files"][SENDER_LOGINS]
    (old / "digests.json").write_text(json.dumps(record))
    live.unlink()
    live.symlink_to("gen/99")
    assert migrate.ensure_layout(backend.layout)
    assert lookup(backend, f"nvan@{DOMAIN}") == f"nvan@{DOMAIN}"
    assert backend.hand_edits() == []


@needs_postmap
def test_the_flat_files_of_an_earlier_version_get_the_map_in_generation_0(tmp_path, clock_at):
    clock_at(NOW)
    backend = backend_at(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "users.passwd").write_text(f"nvan@{DOMAIN}:{{HASH}}x::::::\n"
                                       f"tbinh@{DOMAIN}:{{HASH}}x::::::\n")
    (data / "deny.passwd").write_text(f"tbinh@{DOMAIN}\n")  # locked
    (data / "vmailbox").write_text(f"nvan@{DOMAIN} OK\ntbinh@{DOMAIN} OK\n")
    assert migrate.ensure_layout(backend.layout)
    assert backend.live_dir().endswith("/gen/0")
    assert lookup(backend, f"nvan@{DOMAIN}") == f"nvan@{DOMAIN}"
    assert lookup(backend, f"tbinh@{DOMAIN}") is None
    # the earlier version's files have no record (no digests.json); the new map has one
    assert SENDER_LOGINS not in [edit["file"] for edit in backend.hand_edits()]
