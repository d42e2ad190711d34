"""Secrets (Điều 8, 12.1) against the real Postfix + Dovecot.

A generated password the test knows is planted in a real apply (the generator is patched in
this test process only: production code has no way in). It must then be in the notice (the
outbox, then the delivered mail) and, as a hash that verifies, in the account file - and
nowhere else: not in the repository, the plan, the module's Ansible output, the journal,
digests, holds, accounts.json, the servers' logs, the reports, the directory or build/.
The state files are private to the services that read them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import stat
import time

import pytest
from ansible.module_utils import basic
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift, emergency, passwords
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.modules import (
    directory_build,
    mail_notify,
    mailbox_reconcile,
    mailbox_report,
    report_write,
)
from e2e_support import CHEAP_HASH, DOMAIN, PORTS, ROOT, change_password, mailbox
from secrets_scan import (
    HASH,
    PASSWORD,
    REAL_HASH,
    Finding,
    Scanner,
    describe,
    repository_files,
)
from test_notifications import TEMPLATES, credentials_in, delivered_notices

pytestmark = pytest.mark.server
OPERATOR, AGENCY, PERSON = "tbmdieuhanh", "tbmcoquan", "tbmcanbo"
ACCOUNT_FILE = "users.passwd"
# The same lines, for the accounts still on the password they were issued (issue 14).
MUST_CHANGE_FILE = "must-change.passwd"


class Planted:
    """The password the test plants, and every password the patched generator gave out."""

    def __init__(self):
        self.password = passwords.generate()
        self.pid = os.getpid()
        self.handed = False
        self.given: list[str] = []

    def generate(self, real, length: int = passwords.DEFAULT_LENGTH) -> str:
        if os.getpid() != self.pid:  # a hashing pool's worker: its passwords are in the outbox
            return real(length)
        if not self.handed and length == len(self.password):
            self.handed = True
            self.given.append(self.password)
            return self.password
        self.given.append(real(length))
        return self.given[-1]


@pytest.fixture(name="planted")
def fixture_planted(monkeypatch) -> Planted:
    """The first password the reconcile issues in this process is the planted one."""
    planted, real = Planted(), passwords.generate
    monkeypatch.setattr(passwords, "generate", lambda length=passwords.DEFAULT_LENGTH:
                        planted.generate(real, length))
    return planted


@pytest.fixture(name="module_args")
def fixture_module_args(monkeypatch):
    """Runs a module's main() in-process as Ansible would; returns what it prints."""

    def run(module, args: dict, check: bool = False, diff: bool = False) -> str:
        payload = {"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check,
                                           "_ansible_diff": diff}}
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps(payload).encode())
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy")
        output = io.StringIO()
        with contextlib.redirect_stdout(output), pytest.raises(SystemExit) as exited:
            module.main()
        assert exited.value.code == 0, output.getvalue()[-3000:]
        return output.getvalue()

    return run


def served(server, name: str) -> pathlib.Path:
    """A file the servers read: in the live generation (data/live/), or data/ before it."""
    live = server.data / "live"
    return (live if live.exists() else server.data) / name


def hashes_of(server, locals_: list[str]) -> dict[str, str]:
    """The hash each account has in the account file."""
    lines = served(server, ACCOUNT_FILE).read_text("utf-8").splitlines()
    found = dict(line.split(":", 2)[:2] for line in lines if line.count(":") >= 2)
    return {local: found[f"{local}@{DOMAIN}"] for local in locals_}


def issued(server) -> dict[str, str]:
    """Every password the outbox notices and the bootstrap files hold, by local part."""
    found = {}
    for path in sorted(server.outbox.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            notice = json.loads(line)
            for item in notice.get("credentials", []) + notice.get("unit_credentials", []):
                found[item["address"].split("@")[0]] = item["password"]
    for path in sorted((server.state_dir / "bootstrap").glob("*.credentials")):
        fields = dict(line.split(": ", 1) for line in path.read_text("utf-8").splitlines()
                      if ": " in line and not line.startswith("#"))
        found[fields["address"].split("@")[0]] = fields["password"]
    return found


def home(server, local: str) -> pathlib.Path:
    return pathlib.Path(backend_from_settings(str(server.state_dir), DOMAIN).home(local))


def where(server, findings: list[Finding], kind: str) -> set[tuple[str, str]]:
    """(label, path under the state dir) of the findings of one kind."""
    return {(f.what, os.path.relpath(f.where, server.state_dir)) for f in findings
            if f.kind == kind}


def clean_spool(server, scanner: Scanner, timeout: float = 20) -> list[Finding]:
    """Findings in Postfix's queue, once a delivered notice has left it (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        found = scanner.paths(server.state_dir / "spool")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_a_planted_password_is_only_in_its_notice_and_hashed_in_the_account_file(
        province, planted, module_args, tmp_path):
    server = province.server
    outputs: dict[str, str] = {}
    args = apply_three_mailboxes(province, module_args, tmp_path, outputs)
    assert planted.handed, "the reconcile did not ask apply.passwords.generate"
    outputs["reconcile (again)"] = module_args(
        mailbox_reconcile, args | {"full_result": False}, diff=True)
    assert json.loads(outputs["reconcile (again)"])["changed"] is False

    # Every password of the apply came from the patched generator; the planted one is one.
    # (No assertion below shows a password or a hash: pytest prints what an assert holds.)
    given = issued(server)
    mine = {local: given[local] for local in (OPERATOR, AGENCY, PERSON)}
    unknown = [local for local, password in mine.items() if password not in planted.given]
    assert not unknown, f"passwords the test did not plant or see generated: {unknown}"
    [owner] = [local for local, password in mine.items() if password == planted.password]
    hashes = hashes_of(server, list(mine))
    verifies = passwords.verify(hashes[owner], planted.password)
    assert verifies, f"the hash of {owner} in {ACCOUNT_FILE} does not verify the planted password"
    assert hashes[owner].startswith(passwords.SCHEME), f"{owner}: not a {passwords.SCHEME} hash"
    # state_dir/lib is the collection's code the web side runs (it names the hash scheme);
    # the repository's code is scanned for real hashes below. The password history holds
    # the hashes of the passwords earlier tests' officials changed (root only, issue 14).
    scanner = Scanner(passwords=mine, hashes=hashes, allowed={
        server.state_dir / "lib": {HASH},
        server.state_dir / "private" / "password-history.json": {HASH}})

    assert_only_in_notices_before_sending(server, scanner)
    send_notices(server, module_args, mine, outputs)
    # Dovecot verifies the planted password: right, and refused until changed (HYM060)
    server.assert_initial_password(owner, planted.password)
    lock_and_release(server, outputs)
    assert_only_in_mailboxes_after_sending(server, scanner)
    read_as_reviewers_and_public(province, tmp_path, outputs)

    leaks = [finding for label, text in outputs.items() for finding in scanner.text(label, text)]
    leaks += scanner.paths(tmp_path)  # desired state, plan JSON and Markdown, reports, site
    # The repository and build/ (benchmark logs included): these secrets nowhere, and no
    # real hash at all.
    leaks += Scanner(passwords=mine, hashes=hashes, shapes=REAL_HASH).files(
        repository_files(ROOT))
    leaks += Scanner(passwords=mine, hashes=hashes, shapes=None).paths(ROOT / "build")
    leaks += Scanner(shapes=REAL_HASH).paths(ROOT / "build")
    assert not leaks, describe(leaks)


def apply_three_mailboxes(province, module_args, tmp_path, outputs: dict) -> dict:
    """The operator's, an agency's and a person's mailbox, planned then applied with the
    real module; returns the module's arguments."""
    server = province.server
    province.declare(mailbox(OPERATOR, OPERATOR, kind="agency"),
                     mailbox(AGENCY, AGENCY, kind="agency"), mailbox(PERSON, AGENCY))
    province.desired_file.write_text(json.dumps({"domain": DOMAIN, "mailboxes": [
        m.to_dict() for m in province.mailboxes.values()]}, ensure_ascii=False), "utf-8")
    args = {"desired_file": str(province.desired_file), "state_dir": str(server.state_dir),
            "domain": DOMAIN, "operator_mailbox": OPERATOR, "commit": "c0ffee",
            "approved_by": "pheduyet", "plan_file": str(tmp_path / "plan" / "plan.json"),
            **CHEAP_HASH}
    outputs["reconcile --check --diff"] = module_args(mailbox_reconcile, args, True, True)
    outputs["reconcile --diff"] = module_args(mailbox_reconcile, args, diff=True)
    applied = json.loads(outputs["reconcile --diff"])
    assert applied["changed"] and applied["summary"]["create"] == 3, applied["summary"]
    return args


def assert_only_in_notices_before_sending(server, scanner) -> None:
    """Each password in exactly one notice (or the bootstrap file), each hash in the
    account files only, and nothing else anywhere in the state."""
    account_files = served_paths(server, ACCOUNT_FILE, MUST_CHANGE_FILE)
    found = scanner.paths(server.state_dir)
    assert where(server, found, PASSWORD) == {
        (PERSON, f"outbox/{AGENCY}.jsonl"), (AGENCY, f"outbox/{OPERATOR}.jsonl"),
        (OPERATOR, f"bootstrap/{OPERATOR}@{DOMAIN}.credentials")}, describe(found)
    assert {path for _, path in where(server, found, HASH)} == account_files, describe(found)


def served_paths(server, *names: str) -> set[str]:
    """Where the live generation's files are, relative to the state directory."""
    return {os.path.relpath(served(server, name).resolve(), server.state_dir) for name in names}


def send_notices(server, module_args, mine: dict, outputs: dict) -> None:
    """The real notify code path, as the playbook runs it: each notice with its password."""
    outputs["mail_notify"] = module_args(mail_notify, {
        "state_dir": str(server.state_dir), "domain": DOMAIN, "templates": TEMPLATES,
        "smtp_port": PORTS["smtp_port"], "only": [OPERATOR, AGENCY], "sender": OPERATOR})
    assert json.loads(outputs["mail_notify"])["sent"] == 2
    delivered = {}
    for recipient in (OPERATOR, AGENCY):
        [notice] = delivered_notices(server, recipient)
        delivered.update(credentials_in(notice))
    wrong = sorted(set(delivered) ^ {f"{local}@{DOMAIN}" for local in (AGENCY, PERSON)}) or [
        address for address, password in delivered.items()
        if password != mine[address.split("@")[0]]]
    assert not wrong, f"delivered notices with a missing or different password: {wrong}"


def lock_and_release(server, outputs: dict) -> None:
    """An emergency lock and its release write holds.json (and a generation): scanned too."""
    backend = backend_from_settings(str(server.state_dir), DOMAIN)
    hold = {"address": f"{PERSON}@{DOMAIN}", "by": "pheduyet-sotttt", "reason": "thử bí mật"}
    for action in ("lock", "release"):
        outputs[f"emergency {action}"] = json.dumps(emergency.run(
            backend, str(server.state_dir), hold | {"action": action}), ensure_ascii=False)
    for name in ("journal.jsonl", "holds.json", "live/accounts.json", "live/digests.json"):
        assert (server.data / name).is_file(), f"no {name}: the scan below would prove nothing"


def assert_only_in_mailboxes_after_sending(server, scanner) -> None:
    """The notices left the outbox for the agencies' mailboxes."""
    account_files = served_paths(server, ACCOUNT_FILE, MUST_CHANGE_FILE)
    assert not clean_spool(server, scanner), "a delivered notice is still in Postfix's queue"
    found = scanner.paths(server.state_dir)
    expected_homes = {PERSON: home(server, AGENCY), AGENCY: home(server, OPERATOR)}
    for finding in (f for f in found if f.kind == PASSWORD and f.what in expected_homes):
        assert pathlib.Path(finding.where).is_relative_to(expected_homes[finding.what]), finding
    assert {label for label, _ in where(server, found, PASSWORD)} == {OPERATOR, AGENCY, PERSON}
    assert {(label, path) for label, path in where(server, found, PASSWORD)
            if not path.startswith("mail/")} == {
        (OPERATOR, f"bootstrap/{OPERATOR}@{DOMAIN}.credentials")}, describe(found)
    assert {path for _, path in where(server, found, HASH)} == account_files, describe(found)


def read_as_reviewers_and_public(province, tmp_path, outputs: dict) -> None:
    """What reviewers and the public read: the reports, the drift report, the directory."""
    state_dir = str(province.server.state_dir)
    reported = mailbox_report.run({"state_dir": state_dir, "domain": DOMAIN,
                                   "desired_file": str(province.desired_file)})
    outputs["mailbox_report"] = json.dumps(reported, ensure_ascii=False)
    outputs["report_write"] = json.dumps(report_write.run(
        {"report": reported["report"], "output_dir": str(tmp_path / "report")}))
    drifted = drift.run({"desired_file": str(province.desired_file),
                         "state_dir": state_dir, "domain": DOMAIN})
    outputs["drift"] = json.dumps(drifted, ensure_ascii=False) + drifted["markdown"]
    outputs["directory_build"] = json.dumps(directory_build.build({
        "desired_file": str(province.desired_file), "output_dir": str(tmp_path / "directory"),
        "templates_dir": str(ROOT / "playbooks" / "templates" / "directory")}, False))
    assert (tmp_path / "plan" / "plan.md").exists() and (tmp_path / "report").is_dir()


# Files that may hold a secret or a hash, or name the accounts: never readable by "other",
# never writable by the group. Exactly root-only: what no mail service reads.
PRIVATE_DIRS = ("data", "outbox", "bootstrap")
ROOT_ONLY = ("data/journal.jsonl", "data/holds.json", "outbox", "bootstrap")


def loose_files(state_dir: pathlib.Path) -> list[str]:
    """Every regular file under data/ (generations included), outbox/ and bootstrap/, and
    the servers' logs, that "other" may read or the group may write."""
    files = []
    for name in PRIVATE_DIRS:
        for directory, _, names in os.walk(state_dir / name):
            files += [pathlib.Path(directory, n) for n in names]
    files += sorted((state_dir / "log").glob("*.log"))
    loose = []
    for path in sorted(files):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o027:
            loose.append(_mode_line(state_dir, path, info))
    return loose


def _mode_line(state_dir: pathlib.Path, path: pathlib.Path, info: os.stat_result) -> str:
    return (f"{stat.filemode(info.st_mode)} {path.owner()}:{path.group()} "
            f"{path.relative_to(state_dir)}")


def not_root_only(state_dir: pathlib.Path) -> list[str]:
    """The journal, holds, digests, outbox and bootstrap files (0600) and directories
    (0700) that are not root's alone."""
    paths = [state_dir / name for name in ROOT_ONLY]
    paths += [p for name in ("outbox", "bootstrap") for p in (state_dir / name).rglob("*")]
    paths += list((state_dir / "data").rglob("digests.json"))
    wrong = []
    for path in paths:
        info = path.lstat()
        wanted = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        if stat.S_IMODE(info.st_mode) != wanted or info.st_uid != 0:
            wrong.append(_mode_line(state_dir, path, info))
    return wrong


def test_state_files_are_private_to_the_services_that_read_them(province):
    server = province.server
    province.declare(mailbox("tbmriengtu", "tbmriengtu", kind="agency"),
                     mailbox("tbmkhoa", "tbmriengtu"))
    province.run(operator_mailbox="tbmriengtu", commit="c1", approved_by="pheduyet")
    backend = backend_from_settings(str(server.state_dir), DOMAIN)
    hold = {"address": f"tbmkhoa@{DOMAIN}", "by": "pheduyet-sotttt", "reason": "thử quyền tệp"}
    emergency.run(backend, str(server.state_dir), hold | {"action": "lock"})
    emergency.run(backend, str(server.state_dir), hold | {"action": "release"})
    for name in ("journal.jsonl", "holds.json"):
        assert (server.data / name).is_file(), name
    assert list(server.data.rglob("digests.json")), "no digests.json"
    assert (server.outbox / "tbmriengtu.jsonl").is_file()
    assert list((server.state_dir / "bootstrap").glob("*.credentials"))
    for name in ("postfix.log", "dovecot.log"):
        assert (server.state_dir / "log" / name).is_file(), name

    loose = loose_files(server.state_dir)
    assert not loose, "readable by other or writable by the group:\n" + "\n".join(loose)
    wrong = not_root_only(server.state_dir)
    assert not wrong, "not root-only (0600 files, 0700 directories):\n" + "\n".join(wrong)

    # Private, and still read by the services that need them: Dovecot logs in, Postfix
    # accepts and delivers (a locked mailbox still receives).
    initial = issued(server)["tbmriengtu"]
    server.assert_initial_password("tbmriengtu", initial)  # must-change.passwd is read
    logged_in = server.can_login("tbmriengtu", change_password(server, "tbmriengtu", initial))
    assert logged_in, "Dovecot cannot log tbmriengtu in: can it still read the account file?"
    server.send("tbmkhoa", "quyen tep van giao thu")
    assert server.delivered("tbmkhoa", "quyen tep van giao thu")
