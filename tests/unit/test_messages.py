"""Every coded message has one catalog entry, and the README lists every code.

A code (HY, HP, and the operational HYB, HYR, HYH, HYN, HYG, HYD, HYP, HYC, HYS, HYM) is
what an operator or a clerk searches for: it must mean one thing, be explained in one catalog
(what went wrong, the article or basis, the fix) and be listed in README.md.
"""

from __future__ import annotations

import collections
import importlib
import re
import string

import pytest
from helpers import ROOT

PACKAGE = "ansible_collections.hungyen.mail.plugins.module_utils"
MODULE_UTILS = ROOT / "plugins" / "module_utils"
CODE = re.compile(r"\b(?:HY[BRHNGDPCSM]?|HP)[0-9]{3}\b")
SCANNED = ("plugins", "roles", "playbooks")
SUFFIXES = {".py", ".yml", ".yaml", ".j2", ".md", ".json", ".cfg", ".sh"}


def modules() -> dict[str, object]:
    """Every ``messages.py`` or ``*_messages.py`` module that holds a ``CATALOG``."""
    found = {}
    for path in sorted(MODULE_UTILS.rglob("*messages.py")):
        dotted = ".".join(path.relative_to(MODULE_UTILS).with_suffix("").parts)
        module = importlib.import_module(f"{PACKAGE}.{dotted}")
        if hasattr(module, "CATALOG"):
            found[dotted] = module
    return found


def catalogs() -> dict[str, dict]:
    """Every ``CATALOG``, by module."""
    return {name: module.CATALOG for name, module in modules().items()}


def catalogued() -> set[str]:
    return {code for catalog in catalogs().values() for code in catalog}


def used_codes() -> dict[str, str]:
    """Every code written in the product's files → one file that writes it."""
    used = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES:
                for code in CODE.findall(path.read_text(encoding="utf-8")):
                    used.setdefault(code, str(path.relative_to(ROOT)))
    return used


def test_the_catalogs_are_found():
    assert {"declared.messages", "change_request.policy_messages",
            "common.operation_messages", "apply.messages", "backup.messages",
            "notices.messages", "change_request.gitlab_messages",
            "publish.messages"} <= set(catalogs())


def test_every_code_used_in_the_product_is_in_a_catalog():
    missing = {code: where for code, where in used_codes().items() if code not in catalogued()}
    assert not missing, f"codes without a catalog entry: {missing}"


def test_every_catalog_code_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `?([A-Z]{2,3}[0-9]{3})`? \|", readme, re.MULTILINE))
    assert not catalogued() - listed, f"not in a README table: {sorted(catalogued() - listed)}"
    assert not listed - catalogued(), f"README lists unknown codes: {sorted(listed - catalogued())}"


def test_no_code_is_in_two_catalogs():
    count = collections.Counter(code for c in catalogs().values() for code in c)
    assert [code for code, n in count.items() if n > 1] == []


@pytest.mark.parametrize("name", sorted(catalogs()))
def test_every_entry_says_what_why_and_how_to_fix(name):
    for code, entry in catalogs()[name].items():
        assert CODE.fullmatch(code), code
        what, basis, fix = entry
        assert isinstance(basis, str) and basis == basis.strip(), code  # "": no article
        assert all(isinstance(part, str) and part.strip() for part in (what, fix)), code


def family(code: str) -> str:
    """A code's family: its letters; HYM (issue 14's password and web texts) is shared out by
    tens (password/ HYM001-039, web/ HYM040-059, server/ HYM060-069, webmail HYM070-079)."""
    return code[:-1] if code.startswith("HYM") else code[:-3]


def test_a_family_lives_in_one_catalog():
    homes = collections.defaultdict(set)
    for name, catalog in catalogs().items():
        for code in catalog:
            homes[family(code)].add(name)
    assert {family: names for family, names in homes.items() if len(names) > 1} == {}


@pytest.mark.parametrize("name", sorted(catalogs()))
def test_every_entry_renders_with_its_fields(name):
    """Any field name works, ``code`` included, and the message has the one shape."""
    module = modules()[name]
    for code, entry in module.CATALOG.items():
        fields = {field for part in entry for _, field, _, _ in string.Formatter().parse(part)
                  if field}
        message = module.render(code, **dict.fromkeys(fields, "X"))
        basis = entry[1].strip()
        shape = rf"{code} .+ \({re.escape(basis)}\)" if basis else rf"{code} .+"
        assert re.fullmatch(rf"{shape}\. Cách sửa: .+\.", message), message
        assert "()" not in message, message
        assert not re.search(r"\['\w+'\]", message), message  # a field not filled


@pytest.mark.parametrize(("basis", "expected"), [
    ("", "HY999 sai. Cách sửa: sửa."),
    ("khoản 1 Điều 7", "HY999 sai (khoản 1 Điều 7). Cách sửa: sửa."),
    ("   ", "HY999 sai (   ). Cách sửa: sửa."),
])
def test_an_empty_basis_leaves_the_parentheses_out(basis, expected):
    from ansible_collections.hungyen.mail.plugins.module_utils.common.messages import render

    assert render("HY999", {"HY999": ("sai", basis, "sửa")}) == expected


@pytest.mark.parametrize(("where", "expected"), [
    ("", "HY030 hộp thư đang tạm khóa"),
    ("mục status của cơ quan", "HY030 mục status của cơ quan: hộp thư đang tạm khóa"),
    ("Lê Văn An (người thứ 2 trong people), mục status",
     "HY030 Lê Văn An (người thứ 2 trong people), mục status: hộp thư đang tạm khóa"),
])
def test_a_validation_message_names_the_record_in_words_after_its_code(where, expected):
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.messages import render

    message = render("HY030", where=where)
    assert message.startswith(expected + " "), message
    assert message.endswith("."), message


def test_validation_citations_are_in_the_full_form():
    """Every article of the validation catalog reads "khoản 1 Điều 7", never "Điều 7.1"."""
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.messages import CATALOG

    for code, (_what, basis, _fix) in CATALOG.items():
        assert not re.search(r"Điều \d+\.\d", basis), (code, basis)
        assert "định dạng tệp" not in basis and "lược đồ" not in basis, (code, basis)
