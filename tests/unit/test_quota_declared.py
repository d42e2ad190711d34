"""A mailbox's own quota (issue 17, part 6): the agency file's ``quota`` checked by the
validator (HY053, the file and line named), carried by the planner as an update (it knows
no server), and written by the Postfix/Dovecot backend as the mailbox's userdb quota rule
(its users.passwd line), kept across renames and removed when the file drops it."""

from __future__ import annotations

import datetime
import json
import shutil

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import (
    AfterCommit,
    BackendError,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    PostfixDovecotBackend,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.render import (
    with_quota,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.declared.quota import (
    megabytes,
    quota_problem,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import (
    Account,
    account_from_mailbox,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import changed_fields
from case_support import lay_out
from helpers import SCHEMA

DOMAIN = "hungyen.gov.vn"
LETTER = Request("7/ĐN-STTTT", "2026-11-01")
NOW = datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC)
needs_postmap = pytest.mark.skipif(shutil.which("postmap") is None, reason="no postmap")

AGENCY_FILE = """\
# yaml-language-server: $schema=../schemas/agency.schema.json
agency:
  name: Ủy ban nhân dân huyện Văn Giang
  kind: district
  owners: [a]
  request: {{number: '1', date: '2024-01-01'}}
people:
  - name: Bùi Văn Nam
    title: Chuyên viên
    request: {{number: '8/UBND', date: '2024-04-01'}}
    quota: {value}
"""


@pytest.mark.parametrize(("value", "problem"), [
    ("5G", None),
    ("500M", None),
    ("10M", None),
    ("100G", None),
    ("5 GB", "HY053"),
    ("5g", "HY053"),
    ("5GB", "HY053"),
    ("0G", "HY053"),
    ("9M", "HY053"),
    ("101G", "HY053"),
    ("1.5G", "HY053"),
    ("5", "HY010"),  # a number, not text: the schema says so
    ("'*:storage=5G'", "HY053"),
    ("'5G userdb_uid=0'", "HY053"),
    ("'5000'", "HY053"),
])
def test_the_validator_checks_a_quota_and_names_file_and_line(tmp_path, value, problem):
    directory = lay_out(tmp_path, {"files": {"vangiang.yml": AGENCY_FILE.format(value=value)}})
    result = run_validation({"mailboxes_dir": directory, "schema_file": str(SCHEMA), "label": ""})
    found = [" ".join(p.split()[:2]) for p in result["problems"]]
    assert found == ([f"vangiang.yml:11: {problem}"] if problem else []), result["problems"]
    if problem:
        message = result["problems"][0]
        assert "Bùi Văn Nam" in message and "Cách sửa:" in message
        assert problem != "HY053" or "10M đến 100G" in message


def test_the_validated_quota_reaches_the_desired_state(tmp_path):
    directory = lay_out(tmp_path, {"files": {"vangiang.yml": AGENCY_FILE.format(value="5G")}})
    out = tmp_path / "desired.json"
    result = run_validation({"mailboxes_dir": directory, "schema_file": str(SCHEMA), "label": "",
                             "desired_file": str(out), "domain": DOMAIN})
    assert result["problems"] == []
    mailboxes = {m["address"]: m for m in json.loads(out.read_text("utf-8"))["mailboxes"]}
    assert next(m for m in mailboxes.values() if m["name"] == "Bùi Văn Nam")["quota"] == "5G"
    assert "quota" not in mailboxes["vangiang"]  # no quota of its own: the inventory's


@pytest.mark.parametrize(("value", "size"), [("5G", 5120), ("500M", 500), ("5 G", None),
                                               (None, None), ("", None), ("07G", None)])
def test_megabytes(value, size):
    assert megabytes(value) == size
    if size is not None:
        assert quota_problem(value) is None


def box(quota: str | None = None, address: str = "nvan", **fields) -> Mailbox:
    return Mailbox(address, "person", "sotttt", "Nguyễn Văn An", request=LETTER, quota=quota,
                   **fields)


def live(mailbox: Mailbox, **fields) -> Account:
    return account_from_mailbox(mailbox).evolve(must_change=False, **fields)


# id, declared quota, quota on the server, the plan's (action, quota after) steps
PLAN_CASES = [
    ("unchanged_default", None, None, []),
    ("unchanged_own", "5G", "5G", []),
    ("set", "5G", None, [("update", "5G")]),
    ("changed", "10G", "5G", [("update", "10G")]),
    ("removed", None, "5G", [("update", None)]),
]


@pytest.mark.parametrize(("declared", "server", "steps"),
                         [pytest.param(*row[1:], id=row[0]) for row in PLAN_CASES])
def test_the_planner_carries_a_quota_as_an_update(declared, server, steps):
    mailbox = box(declared)
    changes = plan_changes([mailbox], {"nvan": live(box(server))})
    assert [(c.action, c.after.get("quota")) for c in changes] == steps
    for change in changes:
        assert changed_fields(change.before, change.after) == ["dung lượng hộp thư"]


def test_a_new_mailbox_and_a_renamed_one_keep_their_quota():
    created = plan_changes([box("5G")], {})
    assert [(c.action, c.after.get("quota")) for c in created] == [("create", "5G")]
    renamed = plan_changes([box("5G", address="nvan2", previous=("nvan",))],
                           {"nvan": live(box("5G"))})
    assert [(c.action, c.after.get("quota")) for c in renamed] == [("rename", "5G")]


def test_no_quota_leaves_every_record_as_before():
    """Records without a quota of their own are written as before the field existed."""
    assert "quota" not in box().to_dict()
    assert "quota" not in live(box()).to_dict() and "quota" not in live(box()).view()
    assert Account.from_dict(live(box("5G")).to_dict()).quota == "5G"
    assert Mailbox.from_dict(box("5G").to_dict()).quota == "5G"


# tail before, quota, tail after (the users.passwd fields after the hash)
TAIL_CASES = [
    ("::::::", None, "::::::"),
    ("::::::", "1M", "::::::userdb_quota_rule=*:storage=1M"),
    ("::::/home/x::", "5G", "::::/home/x::userdb_quota_rule=*:storage=5G"),
    ("::::/home/x::userdb_quota_rule=*:storage=5G", "10G",
     "::::/home/x::userdb_quota_rule=*:storage=10G"),
    ("::::/home/x::userdb_quota_rule=*:storage=5G", None, "::::/home/x::"),
    ("::::::userdb_other=1 userdb_quota_rule=*:storage=5G", "1G",
     "::::::userdb_other=1 userdb_quota_rule=*:storage=1G"),
]


@pytest.mark.parametrize(("tail", "quota", "expected"), TAIL_CASES)
def test_the_passwd_tail_gets_the_quota_rule(tail, quota, expected):
    assert with_quota(tail, quota) == expected


@pytest.mark.parametrize("bad", ["5G userdb_uid=0", "5G:x", "-1", "5 G"])
def test_the_backend_writes_no_other_value(bad):
    with pytest.raises(ValueError):
        with_quota("::::::", bad)


class NothingAfter(AfterCommit):
    def stage(self, directory, batch):
        pass

    def finish(self, directory):
        return {}


def apply(backend: PostfixDovecotBackend, desired: list[Mailbox]) -> None:
    changes = plan_changes(desired, backend.read_state())
    credentials = {c.address: ("unused", "{HASH}x") for c in changes if c.needs_password}
    backend.apply(changes, credentials, after=NothingAfter())


def passwd_line(backend: PostfixDovecotBackend, local: str) -> str:
    text = (backend.layout.data_dir + "/live/users.passwd")
    with open(text, encoding="utf-8") as handle:
        return next(line for line in handle.read().splitlines()
                    if line.startswith(f"{local}@{DOMAIN}:"))


@needs_postmap
def test_the_backend_writes_the_quota_into_the_userdb_line(tmp_path, clock_at):
    clock_at(NOW)
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    (tmp_path / "etc" / "postfix" / "main.cf").write_text("")
    backend = PostfixDovecotBackend(str(tmp_path), DOMAIN)
    apply(backend, [box("5G"), box(address="tbinh")])
    assert passwd_line(backend, "nvan").endswith("::userdb_quota_rule=*:storage=5G")
    assert passwd_line(backend, "tbinh").endswith("::::::")
    assert backend.read_state()["nvan"].quota == "5G"
    apply(backend, [box("1G"), box(address="tbinh")])
    assert passwd_line(backend, "nvan").endswith("::userdb_quota_rule=*:storage=1G")
    # A rename keeps the mailbox's home and its quota in one line.
    apply(backend, [box("1G", address="nvan2", previous=("nvan",)), box(address="tbinh")])
    line = passwd_line(backend, "nvan2")
    assert "/mail/hungyen.gov.vn/nvan::" in line and line.endswith("storage=1G")
    apply(backend, [box(address="nvan2", previous=("nvan",)), box(address="tbinh")])
    assert "quota" not in passwd_line(backend, "nvan2")
    assert backend.hand_edits() == []


@needs_postmap
def test_the_backend_refuses_a_quota_the_validator_would_not_pass(tmp_path, clock_at):
    clock_at(NOW)
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    (tmp_path / "etc" / "postfix" / "main.cf").write_text("")
    backend = PostfixDovecotBackend(str(tmp_path), DOMAIN)
    with pytest.raises(BackendError, match="HYR015"):
        apply(backend, [box("5G userdb_uid=0")])
