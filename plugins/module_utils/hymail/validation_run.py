"""The validation entry point shared by the module, the command line and the tests."""

from __future__ import annotations

import json
import os

from .desired import build_mailboxes, desired_document
from .schema_errors import SchemaCheck
from .validate import validate_tree

_VALIDATORS: dict = {}


def schema_validator(schema_file: str) -> SchemaCheck:
    """The schema check for ``schema_file`` (compiled once per path)."""
    if schema_file not in _VALIDATORS:
        with open(schema_file, encoding="utf-8") as handle:
            _VALIDATORS[schema_file] = SchemaCheck(json.load(handle))
    return _VALIDATORS[schema_file]


def run_validation(params: dict) -> dict:
    """Validate ``mailboxes_dir``; write the desired state when valid and asked to."""
    directory = params["mailboxes_dir"]
    label = directory if params.get("label") is None else params["label"]
    result = validate_tree(directory, schema_validator(params["schema_file"]), label)
    problems = [str(problem) for problem in result.problems]
    mailboxes = build_mailboxes(result.agencies) if not problems else []
    if mailboxes and params.get("desired_file"):
        write_atomically(params["desired_file"],
                         desired_document(params.get("domain", "hungyen.gov.vn"), mailboxes))
    files = len({problem.path for problem in result.problems})
    summary = (f"{len(problems)} lỗi trong {files} tệp:\n" + "\n".join(problems)
               if problems else f"Hợp lệ: {len(result.agencies)} cơ quan, "
                                f"{len(mailboxes)} hộp thư.")
    return {"problems": problems, "summary": summary, "agencies": len(result.agencies),
            "mailboxes": len(mailboxes)}


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so readers never see half of it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
