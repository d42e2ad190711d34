"""The mailserver role ends early when the digest of its inputs is the one its last run
recorded (tasks/main.yml, managed_files_info): every variable it reads must be in that
digest, or a changed value would go unapplied. This reads every task, handler, variable and
template of the role and names each variable read outside the digest's names. (The record's
side, ``managed_files.current``, is tested in test_managed_files.py.)"""

from __future__ import annotations

import re

import jinja2
import jinja2.meta
import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.backends.digests import tree_digest
from helpers import ROOT

ROLE = ROOT / "roles" / "mailserver"
# Keys whose value is a bare Jinja expression, not a template.
EXPRESSIONS = {"when", "failed_when", "changed_when", "until", "that"}
# What Ansible itself provides to every task, and the Jinja globals the role calls.
ANSIBLE = {"item", "omit", "role_path", "ansible_check_mode", "ansible_managed",
           "inventory_hostname", "playbook_dir", "hostvars", "lookup", "query", "q", "range",
           "dict", "loop", "ansible_loop", "ansible_facts", "ansible_diff_mode"}
# The role's own machinery around the digest (not inputs: they decide whether it runs).
MACHINERY = {"mailserver_input_names", "mailserver_inputs_digest", "mailserver_last_run",
             "mailserver_running", "mailserver_running_argv", "mailserver_force"}


def expressions(node, key=None):
    """Every Jinja text under a task file's node, bare expressions wrapped."""
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield from expressions(value, child_key)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value, key)
    elif isinstance(node, str) and key in EXPRESSIONS:
        yield "{{ " + node + " }}"
    elif isinstance(node, str) and ("{{" in node or "{%" in node):
        yield node
    elif isinstance(node, bool) or node is None or isinstance(node, int | float):
        return


def locals_of(node) -> set[str]:
    """Names a task file declares: registered results, set facts, task vars, loop vars."""
    names = set()
    if isinstance(node, dict):
        if isinstance(node.get("register"), str):
            names.add(node["register"])
        for key in ("vars", "ansible.builtin.set_fact"):
            if isinstance(node.get(key), dict):
                names |= set(node[key])
        loop_var = (node.get("loop_control") or {}).get("loop_var")
        if loop_var:
            names.add(loop_var)
        for value in node.values():
            names |= locals_of(value)
    elif isinstance(node, list):
        for value in node:
            names |= locals_of(value)
    return names


class AnyName(dict):
    """Every filter and test name exists (Ansible's and the collection's are not loaded)."""

    def __contains__(self, name) -> bool:
        return True

    def __missing__(self, name):
        return lambda *args, **kwargs: None

    def get(self, name, default=None):
        return self[name]


def role_variables() -> set[str]:
    """The role's own variables: its defaults and vars."""
    return {name for part in ("defaults", "vars") for name in yaml.safe_load(
        (ROLE / part / "main.yml").read_text(encoding="utf-8"))}


def read_variables() -> tuple[set[str], set[str]]:
    """(every variable the role's texts read, the names its tasks declare)."""
    env = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
    env.filters, env.tests = AnyName(env.filters), AnyName(env.tests)
    texts, declared = [], set()
    for path in sorted((ROLE / "tasks").glob("*.yml")) + [ROLE / "handlers" / "main.yml"]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [(path, text) for text in expressions(data)]
        declared |= locals_of(data)
    for name in ("vars", "defaults"):
        data = yaml.safe_load((ROLE / name / "main.yml").read_text(encoding="utf-8"))
        texts += [(ROLE / name, text) for text in expressions(data)]
    for path in sorted((ROLE / "templates").rglob("*.j2")):
        texts.append((path, path.read_text(encoding="utf-8")))
    read = set()
    for path, text in texts:
        try:
            read |= jinja2.meta.find_undeclared_variables(env.parse(text))
        except jinja2.TemplateSyntaxError as error:
            pytest.fail(f"{path}: {error}")
    return read, declared


def input_names() -> tuple[re.Pattern, set[str]]:
    """The digest's names as vars/main.yml gives them: a varnames pattern and a list."""
    text = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))[
        "mailserver_input_names"]
    pattern = re.search(r"varnames', '([^']+)'", text).group(1)
    listed = re.search(r"\+ \[([^\]]+)\]", text).group(1)
    return re.compile(pattern), {name.strip(" '\n") for name in listed.split(",")}


def test_every_variable_the_role_reads_is_in_its_inputs_digest():
    read, task_locals = read_variables()
    pattern, listed = input_names()
    ours = role_variables()
    # A task's own vars, loop vars and results are read where they are declared; the
    # role's variables (defaults, vars) and the inventory's must be inputs.
    outside = {name for name in read - ANSIBLE - MACHINERY - listed - (task_locals - ours)
               if not pattern.match(name)}
    assert sorted(outside) == [], "read by the role, not in mailserver_input_names (vars/main.yml)"
    for name in ours - MACHINERY:
        assert pattern.match(name) or name in listed, f"{name}: not in the digest"


def test_the_registered_results_are_not_inputs():
    """The role's own results (each run new timestamps) would never let the digest match:
    those registered before it is taken are left out by name, and none is a role variable."""
    _read, task_locals = read_variables()
    main = (ROLE / "tasks" / "main.yml").read_text(encoding="utf-8")
    order = [main.index(text) for text in (
        "import_tasks: host.yml", "register: mailserver_running",
        "hungyen.mail.managed_files_info", "ansible.builtin.meta: end_role")]
    assert order == sorted(order), "the release check first, the end after the digest"
    host = yaml.safe_load((ROLE / "tasks" / "host.yml").read_text(encoding="utf-8"))
    before = {task["register"] for task in host if "register" in task} | {"mailserver_running"}
    pattern, _listed = input_names()
    assert before and not any(pattern.match(name) for name in before | {"mailserver_last_run"})
    assert not task_locals & role_variables()


def test_the_sources_digest_changes_with_any_file_but_not_with_compiled_python(tmp_path):
    role, plugins = tmp_path / "role", tmp_path / "plugins"
    (role / "templates").mkdir(parents=True)
    (plugins / "__pycache__").mkdir(parents=True)
    (role / "templates" / "main.cf.j2").write_text("x\n")
    (plugins / "a.py").write_text("a = 1\n")
    first = tree_digest([str(role), str(plugins)])
    (plugins / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert tree_digest([str(role), str(plugins)]) == first
    steps = [lambda: (role / "templates" / "main.cf.j2").write_text("y\n"),
             lambda: (role / "templates" / "new.j2").write_text(""),
             lambda: (role / "templates" / "new.j2").rename(role / "templates" / "old.j2")]
    seen = {first}
    for step in steps:
        step()
        digest = tree_digest([str(role), str(plugins)])
        assert digest not in seen
        seen.add(digest)
    with pytest.raises(FileNotFoundError):
        tree_digest([str(tmp_path / "none")])
