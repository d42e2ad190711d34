"""A tree read by forked workers (large provinces) gives the very answer of one process."""

from __future__ import annotations

import json

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.desired import build_mailboxes
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validate import validate_tree
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
    schema_validator,
)
from case_support import lay_out
from helpers import ROOT, SCHEMA, case_table


def both_ways(directory: str, tmp_path) -> list[tuple[dict, bytes | None]]:
    """The result and the desired file, read by one process and by two workers."""
    answers = []
    for workers in (1, 2):
        desired = tmp_path / f"desired-{workers}.json"
        result = run_validation({"mailboxes_dir": directory, "schema_file": str(SCHEMA),
                                 "label": "", "desired_file": str(desired)}, workers=workers)
        answers.append((result, desired.read_bytes() if desired.exists() else None))
    return answers


@pytest.mark.parametrize("case", case_table("validation_cases.yml"))
def test_workers_find_the_same_problems(tmp_path, case):
    one, two = both_ways(lay_out(tmp_path, case), tmp_path)
    assert one == two


def test_workers_write_the_same_desired_state(tmp_path):
    (one, one_file), (two, two_file) = both_ways(str(ROOT / "mailboxes"), tmp_path)
    assert one == two and not one["problems"]
    assert one_file == two_file and one_file.startswith(b'{"domain": "hungyen.gov.vn"')


def test_desired_state_is_the_json_of_the_mailboxes(tmp_path):
    """Mailboxes turned into JSON one by one, where they are read, give the document
    ``json.dumps`` gives for all of them at once."""
    tree = str(ROOT / "mailboxes")
    agencies = validate_tree(tree, schema_validator(str(SCHEMA)), "").agencies
    payload = {"domain": "hungyen.gov.vn",
               "mailboxes": [mailbox.to_dict() for mailbox in build_mailboxes(agencies)]}
    [(_, written), _] = both_ways(tree, tmp_path)
    assert written.decode() == json.dumps(payload, ensure_ascii=False, sort_keys=True)
