"""The validation entry point shared by the module, the command line and the tests."""

from __future__ import annotations

import contextlib
import json
import os

from ..common.files import replace_atomically
from ..common.glossary import number
from ..common.parallel import cpus, paused_gc
from .desired import agency_fragments, desired_text
from .schema_errors import SchemaCheck
from .validate import validate_tree

# The clerk's guide: one heading per code, its anchor the code in lower case (#hy010).
GUIDE = "docs/huong-dan-van-thu.md"

# Below this many bytes of agency files, forking workers costs more than it saves.
PARALLEL_BYTES = 2 * 1024 * 1024

_VALIDATORS: dict = {}


def schema_validator(schema_file: str) -> SchemaCheck:
    """The schema check for ``schema_file`` (compiled once per path)."""
    if schema_file not in _VALIDATORS:
        with open(schema_file, encoding="utf-8") as handle:
            _VALIDATORS[schema_file] = SchemaCheck(json.load(handle))
    return _VALIDATORS[schema_file]


def run_validation(params: dict, workers: int | None = None) -> dict:
    """Validate ``mailboxes_dir``; write the desired state when valid and asked to.

    A large tree is read by every CPU (``workers``: default one per CPU when the files
    hold more than PARALLEL_BYTES); the answer is the same either way.
    """
    with paused_gc():
        return _run_validation(params, workers)


def _run_validation(params: dict, workers: int | None) -> dict:
    directory = params["mailboxes_dir"]
    label = directory if params.get("label") is None else params["label"]
    workers = default_workers(directory) if workers is None else workers
    result = validate_tree(directory, schema_validator(params["schema_file"]), label,
                           each=agency_fragments, workers=workers)
    problems = [str(problem) for problem in result.problems]
    mailboxes = sorted(pair for pairs in result.extras for pair in pairs) if not problems else []
    if mailboxes and params.get("desired_file"):
        texts = [text for _address, text in mailboxes]
        write_desired(params["desired_file"],
                      desired_text(params.get("domain", "hungyen.gov.vn"), texts))
    elif problems and params.get("desired_file"):
        remove_stale(params["desired_file"])
    files = len({problem.path for problem in result.problems})
    summary = (f"{number(len(problems))} lỗi trong {number(files)} tệp:\n"
               + "\n".join(problems) + guide_links(result.problems)
               if problems else f"Hợp lệ: {number(len(result.agencies))} cơ quan, "
                                f"{number(len(mailboxes))} hộp thư.")
    originals = [f"{problem.path}:{problem.line}: {problem.original}"
                 for problem in result.problems if problem.original]
    return {"problems": problems, "summary": summary, "agencies": len(result.agencies),
            "mailboxes": len(mailboxes), "parser_messages": originals}


def guide_links(problems) -> str:
    """The clerk's guide's heading of every code printed, in code order: one per line."""
    codes = sorted({problem.code for problem in problems})
    return "\nCách sửa từng mã lỗi, trong hướng dẫn cho văn thư:\n" + "\n".join(
        f"- {code}: {GUIDE}#{code.lower()}" for code in codes)


def default_workers(directory: str) -> int:
    """One worker per CPU for a large tree, none for a small one."""
    size = sum(entry.stat().st_size for entry in os.scandir(directory)
               if entry.name.endswith(".yml") and entry.is_file())
    return cpus() if size >= PARALLEL_BYTES else 1


def remove_stale(path: str) -> None:
    """A refused tree leaves no desired state behind: the one of an earlier run would
    otherwise still be there for a plan or an apply to pick up."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def write_desired(path: str, text: str) -> None:
    """The desired state, replaced whole (readers never see half of it), readable by its
    owner only: it holds the title and phone of people who asked not to be listed."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    replace_atomically(path, text, 0o600)
