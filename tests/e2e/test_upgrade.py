"""Upgrade from the predecessor release: a server whose state the previous code wrote is
reconciled by this code with no change and no lost mail; every password it issued still
opens its mailbox once changed (the upgrade enforces Điều 12.1).

The predecessor's code is taken from git (``git archive``), so no server state, and no
password or hash, is kept in the repository. Each release moves PREDECESSOR to the commit
of the release before it (docs/architecture.md, "Upgrades").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile

import pytest
from e2e_support import ROOT, change_password, issued_credentials, mailbox

pytestmark = pytest.mark.server

# The last commit before the repository became the collection hungyen.mail (1.0.0).
PREDECESSOR = "b068d0695044d557c62d7613696e8cf9bf5c659d"
# The predecessor's reconcile, in a process of its own, with its own import paths.
OLD_RECONCILE = """
import json, sys
import mailbox_reconcile
result = mailbox_reconcile.run(json.load(open(sys.argv[1])), check_mode=False)
print(json.dumps({"changed": result["changed"], "summary": result["summary"]}))
"""


@pytest.fixture(scope="module")
def predecessor():
    """The predecessor's plugins/, extracted from git."""
    found = subprocess.run(["git", "cat-file", "-e", f"{PREDECESSOR}^{{commit}}"], cwd=ROOT,
                           capture_output=True, check=False)
    if found.returncode != 0:
        pytest.fail(f"commit {PREDECESSOR} is not in this clone: the upgrade test needs the "
                    "history (git fetch --unshallow)")
    with tempfile.TemporaryDirectory(prefix="hymail-predecessor-") as top:
        archive = os.path.join(top, "plugins.tar")
        subprocess.run(["git", "archive", "-o", archive, PREDECESSOR, "plugins"], cwd=ROOT,
                       check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(top, filter="data")
        yield os.path.join(top, "plugins")


def old_apply(province, plugins: str) -> dict:
    """One apply of the declared mailboxes by the predecessor's code."""
    payload = {"domain": "hungyen.gov.vn",
               "mailboxes": [m.to_dict() for m in province.mailboxes.values()]}
    province.desired_file.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    params = province.desired_file.with_name("old-params.json")
    params.write_text(json.dumps(province._params()), "utf-8")
    path = os.pathsep.join([os.path.join(plugins, "module_utils"),
                            os.path.join(plugins, "modules")])
    done = subprocess.run([sys.executable, "-c", OLD_RECONCILE, str(params)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=path), capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_state_written_by_the_predecessor_is_reconciled_with_no_change(province, predecessor):
    server = province.server
    province.declare(
        mailbox("tupgrade", "tupgrade", kind="agency"), mailbox("tupnguoi", "tupgrade"),
        mailbox("tupkhoa", "tupgrade"), mailbox("tupthuhoi", "tupgrade"),
        mailbox("tupcu", "tupgrade"))
    assert old_apply(province, predecessor)["summary"]["create"] == 5
    for local in ("tupnguoi", "tupkhoa", "tupcu"):
        server.send(local, f"truoc nang cap {local}")
        assert server.delivered(local, f"truoc nang cap {local}")
    province.forget("tupcu")
    province.declare(
        mailbox("tupgrade", "tupgrade", kind="agency", delegates=("tupnguoi",)),
        mailbox("tupkhoa", "tupgrade", status="locked", lock_reason="compromised"),
        mailbox("tupthuhoi", "tupgrade", status="revoked"),
        mailbox("tupmoi", "tupgrade", name="Cán bộ tupcu", previous=("tupcu",)))
    summary = old_apply(province, predecessor)["summary"]
    assert (summary["lock"], summary["revoke"], summary["rename"]) == (1, 1, 1), summary

    # This code reads what the predecessor wrote and finds nothing to do.
    check, apply = province.run(check=True), province.run()
    assert not check["changed"] and not apply["changed"], (check["summary"], apply["summary"])
    passwords = {item["address"].split("@")[0]: item["password"]
                 for item in issued_credentials(server)}
    # From the upgrade on, a password still the one issued opens the mailbox only once
    # changed (Điều 12.1): the upgrade adds must-change.passwd, rendered from the accounts.
    for local, issued in (("tupnguoi", "tupnguoi"), ("tupmoi", "tupcu")):
        server.assert_initial_password(local, passwords[issued])
        server.assert_login(local, change_password(server, local, passwords[issued]))
    for local, subject in (("tupnguoi", "tupnguoi"), ("tupkhoa", "tupkhoa"),
                           ("tupmoi", "tupcu")):
        assert server.delivered(local, f"truoc nang cap {subject}"), local
    server.send("tupcu", "sau nang cap")  # the old address still delivers to the renamed one
    assert server.delivered("tupmoi", "sau nang cap")
