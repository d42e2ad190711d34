"""Files that name people who asked not to be listed are readable by their owner only
(issue 21 item 12; the security review's L6): the desired state, the plan files, the key."""

from __future__ import annotations

import os

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)
from helpers import ROOT, SCHEMA

GOOD = ROOT / "tests" / "fixtures" / "good"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000])
def test_the_desired_state_is_owner_only_whatever_the_umask(tmp_path, umask):
    desired = tmp_path / "build" / "desired.json"
    old = os.umask(umask)
    try:
        run_validation({"mailboxes_dir": str(GOOD), "schema_file": str(SCHEMA),
                        "desired_file": str(desired)})
    finally:
        os.umask(old)
    assert desired.stat().st_mode & 0o777 == 0o600
