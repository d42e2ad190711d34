"""Runners of the case tables' rows, shared by the tests and the tools that show the cases.

A validation row (tests/unit/validation_cases.yml, tests/fixtures/codes/HY*.yml) lays files
over tests/fixtures/good (``lay_out``); a policy row (tests/unit/policy_cases.yml,
tests/fixtures/codes/HP*.yml) makes the two sides of a merge request and its GitLab facts
(``sides``, ``facts``, ``decision``). tests/unit/test_validate.py and test_policy.py run the
rows; tools/guide.py and tools/messages_page.py show what they yield. No pytest here: the
tools import this module too (they put tests/ on ``sys.path``).
"""

from __future__ import annotations

import pathlib
import shutil

from ansible_collections.hungyen.mail.plugins.module_utils.change_request import policy
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitfiles import (
    TreeChange,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "fixtures" / "good"


# ------------------------------------------------------------------------------ validation

def raw_bytes(text: str) -> bytes:
    """A row's ``bytes`` value: \\xNN escapes for the raw bytes of a file."""
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def lay_out(parent: pathlib.Path, case: dict) -> str:
    """``parent``/mailboxes: the good tree with the row's ``files`` laid over it (null
    deletes), its ``bytes`` files, a ``nested`` file 40 brackets deep and a ``huge`` one of
    12 MiB."""
    tree = pathlib.Path(parent) / "mailboxes"
    shutil.copytree(GOOD, tree)
    for name, text in (case.get("files") or {}).items():
        if text is None:
            (tree / name).unlink()
        else:
            (tree / name).write_text(text, "utf-8")
    for name, text in (case.get("bytes") or {}).items():
        (tree / name).write_bytes(raw_bytes(text))
    if case.get("nested"):
        depth = 40
        (tree / case["nested"]).write_text("# x\nagency: " + "[" * depth + "x" + "]" * depth)
    if case.get("huge"):
        (tree / case["huge"]).write_bytes(b"# x\n" * (3 * 1024 * 1024))
    return str(tree)


# ------------------------------------------------------------------------------ the policy

# ``staff: N``: Sở Nội vụ with N people (letter 2/SNV).
GIVEN_NAMES = ("Bảo", "Cường", "Dũng", "Giang", "Hải", "Khánh", "Long", "Minh", "Nam", "Quang",
               "Sơn", "Tùng", "Vinh", "Yến")


def good_files() -> dict[str, bytes]:
    return {f"mailboxes/{path.name}": path.read_bytes() for path in sorted(GOOD.glob("*.yml"))}


def staff_file(count: int) -> str:
    """Sở Nội vụ with ``count`` people, each with the letter 2/SNV."""
    text = ("# yaml-language-server: $schema=../schemas/agency.schema.json\nagency:\n"
            "  name: Sở Nội vụ\n  kind: department\n  address: sonv\n  owners: [vanthu-sonv]\n"
            '  request: {number: "1/SNV", date: "2024-01-02"}\npeople:\n')
    for given in GIVEN_NAMES[:count]:
        text += (f"  - name: Nguyễn Văn {given}\n    title: Chuyên viên\n"
                 '    request: {number: "2/SNV", date: "2024-01-02"}\n')
    return text


def file_key(name: str) -> str:
    """A row's file name as a path of the repository (a bare name is under mailboxes/)."""
    return name if "/" in name else f"mailboxes/{name}"


def overlay(files: dict[str, bytes], changes: dict | None) -> dict[str, bytes]:
    """``files`` with ``changes`` (name → text; null deletes)."""
    files = dict(files)
    for name, text in (changes or {}).items():
        if text is None:
            del files[file_key(name)]
        else:
            files[file_key(name)] = text.encode("utf-8")
    return files


def edit(files: dict[str, bytes], edits: list | None) -> dict[str, bytes]:
    """Apply the row's text edits; an edit that matches fewer times than its ``count`` is a
    bug in the table (ValueError)."""
    files = dict(files)
    for step in edits or ():
        key = file_key(step["file"])
        text = files[key].decode("utf-8")
        if "append" in step:
            text += step["append"]
        else:
            count = step.get("count", 1)
            if text.count(step["replace"]) < count:
                raise ValueError(f"the edit matches fewer than {count} times in {key}: {step}")
            text = text.replace(step["replace"], step["with"], count)
        files[key] = text.encode("utf-8")
    return files


def approvals(case: dict, key: str) -> dict:
    return {f"approvals/{name}": text for name, text in (case.get(key) or {}).items()}


def sides(case: dict) -> tuple[dict, dict]:
    """The row's base (tests/fixtures/good + ``base``, ``staff``, ``base_approvals``,
    ``base_edits``) and head (the base + ``head``, ``edits``, ``approvals``)."""
    base = overlay(good_files(), case.get("base"))
    if case.get("staff"):
        base["mailboxes/sonv.yml"] = staff_file(case["staff"]).encode("utf-8")
    base = edit(overlay(base, approvals(case, "base_approvals")), case.get("base_edits"))
    head = edit(overlay(base, case.get("head")), case.get("edits"))
    return base, overlay(head, approvals(case, "approvals"))


def facts(case: dict) -> policy.Facts:
    """The row's git and GitLab facts: approvers, pushers, tree ("A 100644 path" lines:
    status, new mode, path), contains_base."""
    tree = None
    if "tree" in case:
        tree = tuple(TreeChange(status, path, "000000" if status == "A" else "100644", mode)
                     for status, mode, path in (line.split(" ", 2) for line in case["tree"]))
    return policy.Facts(approvers=frozenset(case.get("approvers", ())),
                        pushers=frozenset(case.get("pushers", ())), tree=tree,
                        contains_base=case.get("contains_base", True))


def decision(case: dict, operator: str | None = None) -> policy.Decision:
    """The policy's decision on the row; ``operator``: the short name its messages give
    (default: the policy's generic name)."""
    base, head = sides(case)
    return policy.decide(base, head, case["author"],
                         thresholds=policy.Thresholds(**case.get("thresholds", {})),
                         facts=facts(case), operator=operator)
