"""validate.yml as a clerk runs it: the exit status and the pointed messages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from helpers import ROOT

pytestmark = pytest.mark.playbook


def run_validate(*extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    command = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "playbooks/validate.yml", *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


def test_broken_tree_fails_with_one_line_per_problem(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "tests" / "fixtures" / "good", tree)
    (tree / "vangiang.yml").write_text(
        "# yaml-language-server: $schema=../schemas/agency.schema.json\n"
        "agency:\n  name: Ủy ban nhân dân huyện Văn Giang\n  kind: district\n"
        "  owners: [a]\n  request: {number: '1', date: '2024-01-01'}\n"
        "people:\n  - name: Nguyễn Hải Phúc\n    title: Chuyên viên\n"
        "  - name: Bùi Văn Nam\n    title: Chuyên viên\n    status: locked\n"
        "    request: {number: '1', date: '2024-02-30'}\n", "utf-8")
    result = run_validate("-e", f"mailboxes_dir={tree}")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    expected = [f"{tree}/vangiang.yml:8: HY024", f"{tree}/sotttt.yml:10: HY024",
                f"{tree}/vangiang.yml:8: HY033", f"{tree}/vangiang.yml:12: HY030",
                f"{tree}/vangiang.yml:13: HY034"]
    assert "5 lỗi trong 2 tệp" in output, output
    # Each problem is printed once, whole on its line: a clerk reads the list once.
    printed = [line.strip() for line in output.splitlines()
               if re.match(rf"\s*{re.escape(str(tree))}/\S+:\d+: HY\d{{3}} ", line)]
    assert sorted(" ".join(line.split()[:2]) for line in printed) == sorted(expected), output
    assert all(line.endswith(".") and "Cách sửa:" in line for line in printed), output
    # The summary ends with the clerk's guide's heading of each code printed.
    for code in ("hy024", "hy033", "hy030", "hy034"):
        assert f"docs/huong-dan-van-thu.md#{code}" in output, output


def test_repository_province_passes_and_filters_resolve_by_short_name():
    result = run_validate()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hợp lệ: 189 cơ quan" in result.stdout
