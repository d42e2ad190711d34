"""Plan files on the real server (issue 21 item 12; the security review's L6): owner-only,
unlisted people's title and phone as keyed digests, and an apply of that reviewed plan
still passes the stale-plan gate (HYR003)."""

from __future__ import annotations

import json
import stat

import pytest
from e2e_support import mailbox

pytestmark = pytest.mark.server
UNLISTED = {"agency_name": "Cơ quan Riêng", "title": "Cán bộ Bảo mật", "phone": "0221 3555 777",
            "publish": False}


def plan_files(province, tmp_path, name: str):
    path = tmp_path / "plans" / f"{name}.json"
    province.run(check=True, plan_file=str(path))
    return path, path.with_suffix(".md")


def test_plans_are_private_and_the_reviewed_plan_still_applies(province, tmp_path):
    province.declare(mailbox("trieng", "trieng", kind="agency"),
                     mailbox("tkin", "trieng", directory=UNLISTED))
    province.run()  # the first apply makes the installation's key
    key_file = province.server.data / "privacy.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    changed = mailbox("tkin", "trieng", directory=UNLISTED | {"phone": "0221 3555 888"},
                      name="Cán bộ tkin mới")
    province.declare(changed)
    plan, markdown = plan_files(province, tmp_path, "reviewed")
    for written in (plan, markdown):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        text = written.read_text("utf-8")
        # The phone as written and as digits only (a bare "3555" also turns up by chance in
        # the hex digests of the session server's other accounts, listed as drift)
        for secret in ("Cán bộ Bảo mật", "3555 777", "3555 888", "3555777", "3555888"):
            assert secret not in text, secret
    document = json.loads(plan.read_text("utf-8"))
    [update] = [c for c in document["changes"] if c["address"] == "tkin"]
    assert update["after"]["directory"]["phone"].startswith("hmac:")
    assert update["before"]["directory"]["phone"] != update["after"]["directory"]["phone"]

    # The live state moves (another merge applied first): the gate compares the changes,
    # digests included, instead of the state's fingerprint.
    province.declare(mailbox("tkin", "trieng", directory=UNLISTED), mailbox("tkhac", "trieng"))
    province.run()
    province.declare(changed)
    applied = province.run(reviewed_plan=str(plan))
    assert applied["changed"] and applied["summary"]["update"] == 1
