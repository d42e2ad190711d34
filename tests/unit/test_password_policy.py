"""The Điều 8 rules a password its user chooses must meet (issue 14), one row a case: the
codes a password breaks, in the table's order, each with its own message."""

from __future__ import annotations

import pathlib
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    hash_password,
    meets_policy,
    verify,
)
from ansible_collections.hungyen.mail.plugins.module_utils.password import policy
from ansible_collections.hungyen.mail.plugins.module_utils.password.messages import CATALOG

CHEAP = HashSettings(time_cost=1, memory_kib=8192, parallelism=1)
CURRENT = "Hien#Tai2026"
OLD = "Cu$MatKhau2025"
CONTEXT = policy.Context(min_length=8, current=CURRENT, local_part="ketoan.vp",
                         name="Trần Đức Bình", recent_hashes=(hash_password(OLD, CHEAP),),
                         verify=verify)

CASES = [
    # the issue's own cases
    ("Abcdefg1", ["HYM005"]),                 # no special character
    ("Abcdef1!", []),
    ("Abcdef1$", []),                          # `$` is a special character (Điều 8's example)
    (CURRENT, ["HYM006"]),                     # the current password
    ("Ketoan@2026x", ["HYM008"]),              # the local part of the address
    # the other rules
    ("Ab1!", ["HYM001"]),                      # shorter than 8
    ("abcdef1!", ["HYM002"]),                  # no upper case
    ("ABCDEF1!", ["HYM003"]),                  # no lower case
    ("Abcdefg!", ["HYM004"]),                  # no digit
    (OLD, ["HYM007"]),                         # a recent password
    ("Xbinh@2026y", ["HYM009"]),               # the given name, without diacritics
    ("Tran#Kx2026", ["HYM009"]),               # the family name
    ("Duc#Kx20267", ["HYM009"]),               # the middle name (Đức → duc)
    ("Password@123", ["HYM010"]),              # a common word under digits and signs
    ("P@ssw0rd#2026", ["HYM010"]),             # look-alike signs read as letters
    ("Matkhau@123", ["HYM010"]),               # the province's own common words
    ("Hungyen@2026", ["HYM010"]),
    ("Mật#Khẩu2026", ["HYM011"]),              # letters with diacritics
    (" Abcdef1!", ["HYM011"]),                 # a leading space
    ("Ab1!" * 40, ["HYM012"]),                 # longer than 128
    ("abc", ["HYM001", "HYM002", "HYM004", "HYM005", "HYM010"]),  # every problem at once
    ("Q7&vLx9#pWz", []),
]


@pytest.mark.parametrize(("password", "codes"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_each_rule_has_its_code(password, codes):
    problems = policy.check(password, CONTEXT)
    assert [problem.code for problem in problems] == codes
    for problem in problems:
        assert problem.message.startswith(problem.code + " ")
        assert password not in problem.message  # a message never repeats the password


def test_the_inventory_may_ask_more_than_eight():
    longer = policy.Context(min_length=12)
    assert [p.code for p in policy.check("Abcdef1!", longer)] == ["HYM001"]
    assert "12 ký tự" in policy.check("Abcdef1!", longer)[0].message
    assert policy.check("Abcdef1!xyz2", longer) == []


def test_any_printable_sign_is_a_special_character():
    for sign in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
        assert policy.check(f"Qzx7wv{sign}k", policy.Context()) == [], sign
        assert meets_policy(f"Qzx7wv{sign}kmnpq", min_length=12), sign


def test_every_rule_has_its_own_code_and_message():
    assert len(set(policy.CODES)) == len(policy.CODES)
    assert set(policy.CODES) <= set(CATALOG)
    assert all(re.fullmatch(r"HYM0[0-3][0-9]", code) for code in CATALOG)
    assert len({CATALOG[code][0] for code in policy.CODES}) == len(policy.CODES)


def test_the_name_is_folded_without_a_third_party_module():
    assert policy.ascii_fold("Đỗ Thị Hường") == "do thi huong"
    source = pathlib.Path(policy.__file__).read_text(encoding="utf-8")
    assert "import unidecode" not in source and "from unidecode" not in source


def test_the_common_list_is_named():
    assert policy.list_source() in {"python3-zxcvbn", "vendored"}
    assert policy.is_common("dragon") and policy.is_common("Iloveyou!2026")
    assert not policy.is_common("Abcdef1!")
