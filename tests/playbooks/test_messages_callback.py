"""The stdout callback of make validate, policy and plan: the Vietnamese messages, once each."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from ansible_collections.hungyen.mail.plugins.callback.messages import (
    failure_lines,
    message_lines,
    original_lines,
)
from helpers import ROOT

FRAMING = ("PLAY [", "TASK [", "PLAY RECAP", "[ERROR]", "Task failed", "Module failed",
           "ok: [", "fatal: [", "changed=", "failed=")


def run_validate(tree, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_STDOUT_CALLBACK": "hungyen.mail.messages"}
    command = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "playbooks/validate.yml",
               "-e", f"mailboxes_dir={tree}", *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.playbook
def test_a_broken_tree_prints_each_problem_once_and_no_framing(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "tests" / "fixtures" / "good", tree)
    with open(tree / "vangiang.yml", "a", encoding="utf-8") as handle:
        handle.write("people:\n\t- name: X\n")
    result = run_validate(tree)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert not [marker for marker in FRAMING if marker in output], output
    problems = [line for line in output.splitlines() if line.startswith(f"{tree}/")]
    assert problems and len(problems) == len(set(problems)), output
    assert all("Cách sửa:" in line for line in problems), output
    assert output.count(problems[0]) == 1, output
    assert "summary" not in output  # the module's msg pointing at its summary is not shown
    assert "tab character" not in output  # libyaml's English only with -v
    verbose = run_validate(tree, "-v")
    assert verbose.stdout.count(problems[0]) == 1 and "Bước không thành công:" in verbose.stdout
    assert "Nguyên văn tiếng Anh của trình đọc YAML:\n    " in verbose.stdout, verbose.stdout


@pytest.mark.parametrize(("value", "lines"), [
    (None, []), ("", []), ("một dòng", ["một dòng"]), ("a\nb", ["a", "b"]),
    (["a", "b\nc"], ["a", "b", "c"]), ([["a"], "b"], ["a", "b"]),
])
def test_message_lines(value, lines):
    assert message_lines(value) == lines


@pytest.mark.parametrize(("result", "lines"), [
    ({"msg": "2 lỗi, liệt kê trong summary", "summary": "2 lỗi:\nx:1: HY001 …\nx:2: HY002 …"},
     ["2 lỗi:", "x:1: HY001 …", "x:2: HY002 …"]),  # the block, not the msg about it
    ({"msg": "Không được phép: …\nHP010 …"}, ["Không được phép: …", "HP010 …"]),
    ({}, ["Thất bại (không có thông điệp)."]),
])
def test_a_failure_is_its_summary_or_its_msg(result, lines):
    assert failure_lines(result) == lines


def test_the_english_original_is_marked_and_only_from_its_keys():
    result = {"msg": "x", "parser_messages": ["a.yml:8: found a tab character"], "original": "",
              "exception": "Traceback"}
    assert original_lines(result) == [
        "Nguyên văn tiếng Anh của trình đọc YAML:", "    a.yml:8: found a tab character"]
    assert original_lines({"msg": "x"}) == []
