"""`make policy` judges with the base's code and authority, whatever the branch's code says.

A branch that empties the policy's rules, loosens the schema, rewrites the policy playbook,
ansible.cfg and the Makefile, and edits another agency's file gets the same data verdict
(HP010) as the same edit on a clean branch, plus HP040 for the non-data paths; a branch
left from an older commit gets HP038. Runs ansible-playbook, no mail server.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.playbook]
CODE = re.compile(r"\bHP0[0-9]{2}\b")
HOSTILE = {
    "plugins/module_utils/change_request/policy.py": ("\nRULES = ()\n", "a"),
    "schemas/agency.schema.json": ('{"type": "object"}\n', "w"),
    "playbooks/policy.yml": ("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                             "    - ansible.builtin.debug: {msg: 'Được phép'}\n", "w"),
    "ansible.cfg": ("\n[defaults]\ncollections_path = /nowhere\n", "a"),
    "Makefile": ("\nbranch-target:\n\ttouch /tmp/hymail-branch-marker\n", "a"),
}


def edit_tienlu(repo) -> None:
    """A clerk of An Viên edits Tiên Lữ's file (HP010)."""
    path = repo.path / "mailboxes" / "tienlu.yml"
    path.write_text(path.read_text("utf-8").replace("Chánh Văn phòng", "Phó Chánh Văn phòng"),
                    "utf-8")


def branch(repo, name: str, hostile: bool, start: str = "main") -> None:
    repo.git("checkout", "-q", "-b", name, start)
    edit_tienlu(repo)
    for path, (text, mode) in (HOSTILE.items() if hostile else ()):
        with open(repo.path / path, mode, encoding="utf-8") as handle:
            handle.write(text)
    repo.git("commit", "-q", "-am", f"{name}: sửa tệp của huyện Tiên Lữ")


def verdict(repo, *extra: str) -> tuple[int, set[str], str]:
    done = repo.make("policy", "ARGS=-e base=main -e author=vanthu-anvien " + " ".join(extra))
    out = done.stdout + done.stderr
    return done.returncode, set(CODE.findall(out)), out


def test_branch_code_does_not_change_the_data_verdict(data_repo):
    branch(data_repo, "sach", hostile=False)
    clean_rc, clean, clean_out = verdict(data_repo)
    data_repo.git("checkout", "-q", "main")
    branch(data_repo, "doc-hai", hostile=True)
    hostile_rc, hostile, hostile_out = verdict(data_repo)
    assert clean_rc != 0 and clean == {"HP010"}, clean_out[-3000:]
    assert hostile_rc != 0 and hostile == {"HP010", "HP040"}, hostile_out[-3000:]
    assert "Được phép" not in hostile_out
    for path in HOSTILE:
        assert path in hostile_out, f"HP040 does not name {path}"


def test_without_an_author_nothing_is_allowed(data_repo):
    branch(data_repo, "khong-tac-gia", hostile=False)
    done = data_repo.make("policy", "ARGS=-e base=main", "GITLAB_USER_LOGIN=pheduyet-sotttt")
    assert done.returncode != 0 and "HP001" in done.stdout, done.stdout[-3000:]


def test_a_branch_on_an_older_commit_must_be_rebased(data_repo):
    old = data_repo.git("rev-parse", "main")
    readme = data_repo.path / "approvals" / "README.md"
    readme.write_text(readme.read_text("utf-8") + "\n", "utf-8")
    data_repo.git("commit", "-q", "-am", "main moves on")
    data_repo.git("checkout", "-q", "-b", "cu", old)
    path = data_repo.path / "mailboxes" / "anvien.yml"
    path.write_text(path.read_text("utf-8").replace("Chủ tịch UBND xã", "Chủ tịch UBND xã An Viên"),
                    "utf-8")
    data_repo.git("commit", "-q", "-am", "An Viên: sửa chức danh")
    rc, codes, out = verdict(data_repo)
    assert rc != 0 and "HP038" in codes, out[-3000:]
