"""Hostile agency files and changes (tests/hostile/): every one is refused.

Each change of tests/hostile/changes.yml (an attack of the security review as a merge
request against tests/hostile/base/) is judged by the change-request policy and refused
with exactly its codes, each one line of Vietnamese with the article and a fix.

Each case of tests/hostile/cases.yml is laid out as a whole mailboxes/ tree (the small
valid tree tests/hostile/base/, minus the files the case deletes, plus the files of
tests/hostile/cases/<id>/, plus what its generator makes at test time) and run through
``run_validation``, the entry point of the mailbox_validate module the playbooks call, in
a forked child with a deadline and a memory limit. It must be refused: every expected
problem at its file and line, each message one line of Vietnamese with the article and a
fix, and no desired state left behind for a plan or an apply to reconcile.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import re
import resource
import select
import shutil
import signal
import time
from pathlib import Path

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitfiles import (
    TreeChange,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy import (
    Facts,
    decide,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy_messages import (
    CATALOG as POLICY_CATALOG,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.messages import (
    CATALOG as VALIDATION_CATALOG,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import (
    DesiredStateError,
    load_desired,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)
from helpers import ROOT, SCHEMA

HOSTILE = ROOT / "tests" / "hostile"
CASES = yaml.safe_load((HOSTILE / "cases.yml").read_text("utf-8"))
CHANGES = yaml.safe_load((HOSTILE / "changes.yml").read_text("utf-8"))
DOMAIN = "hungyen.gov.vn"
MODELINE = "# yaml-language-server: $schema=../schemas/agency.schema.json\n"
AGENCY = ("agency:\n  name: Ủy ban nhân dân huyện Văn Giang\n  kind: district\n"
          "  owners: [vanthu]\n  request: {number: '1', date: '2024-01-01'}\n")
# Every case gets this much time and this much memory beyond what the test process holds.
CASE_SECONDS = 60
CASE_MEMORY = 1 << 30
# "path:line: CODE message": the path may hold ':' (an escaped file name), the line not.
PROBLEM = re.compile(r"^(?P<place>.+?:\d+): (?P<code>HY\d{3}) (?P<text>.+)$")
VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")
# What must never reach a clerk: libyaml's English, Python values and reprs, resolved tags.
LEAKS = re.compile(
    r"\b(found|expected|while (scanning|parsing)|mapping values|could not|cannot|character|"
    r"token|indentation|document|alias|stream|True|False|None|depth)\b|tag:yaml\.org|"
    r"\\x[0-9a-f]{2}|\bb'|<class |[A-Z]{2,} [A-Z]{2,} [A-Z]{2,}")
CATALOGS = {**VALIDATION_CATALOG, **POLICY_CATALOG}


# ---------------------------------------------------------------- generated cases


def _write(tree: Path, name: str, text: str) -> None:
    (tree / name).write_text(text, "utf-8")


def _alias_bomb(tree: Path) -> None:
    lines = [MODELINE.rstrip(), "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    _write(tree, "vangiang.yml", "\n".join(lines) + "\n")


def _oversize(tree: Path) -> None:
    with open(tree / "vangiang.yml", "wb") as handle:
        handle.write((MODELINE + AGENCY).encode())
        handle.truncate(9 * 1024 * 1024)  # sparse: nothing is written, nothing may be read


def _huge_value(tree: Path) -> None:
    _write(tree, "vangiang.yml", MODELINE + AGENCY + "people:\n  - name: Bùi Văn "
           + "a" * (7 * 1024 * 1024) + "\n    title: Chuyên viên\n"
           "    request: {number: '1', date: '2024-01-01'}\n")


def _flow_nesting(tree: Path) -> None:
    depth = 100_000
    _write(tree, "vangiang.yml", MODELINE + "agency: " + "[" * depth + "x" + "]" * depth + "\n")


def _block_nesting(tree: Path) -> None:
    _write(tree, "vangiang.yml", MODELINE + "agency:\n  " + "- " * 50_000 + "x\n")


def _million_items(tree: Path) -> None:
    _write(tree, "vangiang.yml", MODELINE + AGENCY + "people:\n" + "- x\n" * 1_000_000)


def _duplicate_keys(tree: Path) -> None:
    _write(tree, "vangiang.yml", MODELINE + AGENCY + "".join(
        "  kind: district\n" for _ in range(100_000)))


def _invisible_flood(tree: Path) -> None:
    _write(tree, "vangiang.yml", MODELINE + AGENCY + "# a\u200bb\n" * 1_000_000)


def _districts_in_a_loop(tree: Path) -> None:
    count = 1000
    for n in range(1, count + 1):
        _write(tree, f"vong{n}.yml", MODELINE + (
            f"agency:\n  name: Huyện Vòng {n}\n  kind: district\n  parent: vong{n % count + 1}\n"
            "  owners: [vanthu]\n  request: {number: '1', date: '2024-01-01'}\n"))


def _replace_with_symlink(target: str):
    def make(tree: Path) -> None:
        (tree / "vangiang.yml").unlink()
        (tree / "vangiang.yml").symlink_to(target)
    return make


def _directory(tree: Path) -> None:
    (tree / "vangiang.yml").unlink()
    (tree / "vangiang.yml").mkdir()
    _write(tree / "vangiang.yml", "x.yml", MODELINE + AGENCY)


def _fifo(tree: Path) -> None:
    (tree / "vangiang.yml").unlink()
    os.mkfifo(tree / "vangiang.yml")


def _terminal_escape_name(tree: Path) -> None:
    _write(tree, "vangiang\x1b[2J.yml", MODELINE + AGENCY)


GENERATORS = {
    "alias_bomb_billion_laughs": _alias_bomb,
    "oversize_file": _oversize,
    "huge_single_value": _huge_value,
    "flow_nesting_100000": _flow_nesting,
    "block_nesting_50000": _block_nesting,
    "million_wrong_items": _million_items,
    "hundred_thousand_duplicate_keys": _duplicate_keys,
    "invisible_flood": _invisible_flood,
    "thousand_districts_in_a_loop": _districts_in_a_loop,
    "symlink_to_etc_passwd": _replace_with_symlink("/etc/passwd"),
    "symlink_to_dev_zero": _replace_with_symlink("/dev/zero"),
    "dangling_symlink": _replace_with_symlink("/nonexistent/vangiang.yml"),
    "directory_named_like_an_agency": _directory,
    "fifo_named_like_an_agency": _fifo,
    "file_name_with_terminal_escape": _terminal_escape_name,
}


# ---------------------------------------------------------------- laying out and running


def lay_out(tmp_path: Path, case: dict) -> Path:
    """The case's whole mailboxes/ tree: base, minus deletions, plus the case's files."""
    tree = tmp_path / "mailboxes"
    shutil.copytree(HOSTILE / "base", tree)
    for name in case.get("delete") or ():
        (tree / name).unlink()
    source = HOSTILE / "cases" / case["id"]
    if source.is_dir():
        for path in source.iterdir():
            shutil.copyfile(path, tree / path.name)
    if case.get("generate"):
        GENERATORS[case["id"]](tree)
    return tree


def validate(tree: Path, desired: Path) -> dict:
    """What the mailbox_validate module does with the tree (desired_file as the playbooks)."""
    return run_validation({"mailboxes_dir": str(tree), "schema_file": str(SCHEMA),
                           "label": "", "desired_file": str(desired), "domain": DOMAIN})


def bounded(call, seconds: float = CASE_SECONDS, memory: int = CASE_MEMORY):
    """``call()`` in a forked child with a deadline and an address-space limit: a hang, a
    crash (even a segfault) or a memory blow-up fails the test, never the test run."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            limit = _address_space() + memory
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            outcome = ("ok", call())
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            outcome = ("error", f"{type(error).__name__}: {str(error)[:500]}")
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(pickle.dumps(outcome))
        os._exit(0)
    os.close(write_end)
    data = _read_until(read_end, pid, time.monotonic() + seconds)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and data, f"the validation died: wait status {status}"
    kind, value = pickle.loads(data)
    assert kind == "ok", value
    return value


def _read_until(descriptor: int, pid: int, deadline: float) -> bytes:
    chunks = []
    with os.fdopen(descriptor, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            ready = select.select([pipe], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the validation took longer than {CASE_SECONDS} s")
            chunk = pipe.read(1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        size_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    return size_kib * 1024


def places(problems: list[str]) -> list[str]:
    """'file:line: CODE' of each problem, as cases.yml writes them."""
    found = []
    for problem in problems:
        match = PROBLEM.match(problem)
        assert match, f"not 'path:line: CODE message': {problem[:200]!r}"
        found.append(f"{match['place']}: {match['code']}")
    return found


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_hostile_case_is_refused_at_its_file_and_line(tmp_path, case):
    tree, desired = lay_out(tmp_path, case), tmp_path / "build" / "desired.json"
    desired.parent.mkdir()
    desired.write_text('{"domain": "hungyen.gov.vn", "mailboxes": []}', "utf-8")  # stale
    result = bounded(lambda: validate(tree, desired))
    problems = result["problems"]
    assert problems, "accepted"
    found = places(problems)
    missing = [place for place in case["expect"] if place not in found]
    assert not missing, f"not reported: {missing}; reported: {found}"
    if not case.get("at_least"):
        assert set(found) == set(case["expect"]), f"reported: {found}"
    for problem in problems:
        assert_clear_message(problem)
    assert_nothing_applied(desired)


def assert_clear_message(problem: str) -> None:
    """One printable line: what is wrong (article). Cách sửa: how to fix - in Vietnamese."""
    assert_clear_text(problem, PROBLEM.match(problem)["text"])


def assert_clear_text(problem: str, text: str) -> None:
    """What is wrong (article, when one governs the rule). Cách sửa: one fix. In Vietnamese,
    without libyaml's English, Python values or Unicode's English character names."""
    assert problem.isprintable(), repr(problem[:200])
    assert len(problem) < 1500, f"a message of {len(problem)} characters"
    code = re.search(r"\b(H[YP]\d{3}) ", problem)[1]
    what, _, fix = text.partition(" Cách sửa: ")
    assert fix and fix.endswith("."), problem
    basis = CATALOGS[code][1]
    if basis:
        assert what.endswith(f" ({basis})."), f"no article: {problem}"
    else:
        assert what.endswith(".") and not what.endswith("()."), problem
    assert VIETNAMESE.search(what) or VIETNAMESE.search(fix), problem
    assert not LEAKS.search(text), f"{LEAKS.search(text)[0]!r} in {problem}"


def assert_nothing_applied(desired: Path) -> None:
    """No desired state: the stale one is gone too, and the reconcile's first step, reading
    it, refuses (HYR001), so nothing reaches the mail server."""
    assert not desired.exists()
    with pytest.raises(DesiredStateError, match="^HYR001 "):
        load_desired(str(desired), DOMAIN)


def test_the_base_tree_is_valid_and_gives_a_desired_state(tmp_path):
    desired = tmp_path / "desired.json"
    result = validate(HOSTILE / "base", desired)
    assert result["problems"] == []
    assert len(load_desired(str(desired), DOMAIN)) == result["mailboxes"] > 10


def test_the_corpus_is_large_and_every_case_is_written_down():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)) >= 60
    on_disk = {path.name for path in (HOSTILE / "cases").iterdir()}
    assert on_disk <= set(ids), f"directories without a row: {on_disk - set(ids)}"
    for case in CASES:
        assert case["why"].strip() and "\n" not in case["why"].strip(), case["id"]
        assert case["expect"], case["id"]
        assert (case["id"] in on_disk) != bool(case.get("generate")), case["id"]
        assert not case.get("generate") or case["id"] in GENERATORS, case["id"]


def test_a_crash_or_a_hang_in_the_child_fails_the_case():
    """The harness itself: what it is there to catch is caught."""
    def segfault():
        faulthandler.disable()  # no traceback dump from the child on the test's output
        os.kill(os.getpid(), signal.SIGSEGV)

    with pytest.raises(AssertionError, match="died"):
        bounded(segfault)
    with pytest.raises(AssertionError, match="MemoryError"):
        bounded(lambda: bytearray(2 * CASE_MEMORY))
    with pytest.raises(pytest.fail.Exception, match="longer than"), \
            contextlib.suppress(KeyboardInterrupt):
        bounded(lambda: time.sleep(30), seconds=0.5)


# ---------------------------------------------------------------- hostile changes


def edited(files: dict[str, bytes], edits: list | None) -> dict[str, bytes]:
    """The files with a case's edits made; an edit that matches nothing is a bug in the case."""
    files = dict(files)
    for step in edits or ():
        name = step["file"] if "/" in step["file"] else f"mailboxes/{step['file']}"
        text = files.get(name, b"").decode("utf-8")
        if "append" in step:
            text += step["append"]
        else:
            assert text.count(step["replace"]) >= step.get("count", 1), step
            text = text.replace(step["replace"], step["with"], step.get("count", 1))
        files[name] = text.encode("utf-8")
    return files


def change_facts(case: dict) -> Facts:
    tree = None
    if "tree" in case:
        tree = tuple(TreeChange(status, path, "100644", mode)
                     for status, mode, path in (line.split(" ", 2) for line in case["tree"]))
    return Facts(approvers=frozenset(case.get("approvers", ())),
                 pushers=frozenset(case.get("pushers", ())), tree=tree)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CHANGES])
def test_hostile_change_is_refused_with_its_codes(case):
    base = {f"mailboxes/{path.name}": path.read_bytes()
            for path in sorted((HOSTILE / "base").glob("*.yml"))}
    base = edited(base, case.get("base_edits"))
    decision = decide(base, edited(base, case.get("edits")), case["author"],
                      facts=change_facts(case))
    assert not decision.allowed, decision.summary()
    assert sorted(v.code for v in decision.violations) == sorted(case["expect"]), \
        decision.summary()
    for violation in decision.violations:
        code, _space, text = violation.message.partition(" ")
        assert code == violation.code, violation.message
        assert_clear_text(violation.message, text)


def test_every_hostile_change_names_its_finding():
    ids = [case["id"] for case in CHANGES]
    assert len(ids) == len(set(ids))
    for case in CHANGES:
        assert re.fullmatch(r"[HML][0-9]", case["finding"]), case["id"]
        assert case["why"].strip() and "\n" not in case["why"].strip(), case["id"]
