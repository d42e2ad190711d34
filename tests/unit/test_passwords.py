"""Generated passwords (Điều 8) and their Argon2id hashes for Dovecot."""

from __future__ import annotations

import argon2
import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    generate,
    hash_many,
    hash_password,
    meets_policy,
)

CHEAP = HashSettings(time_cost=1, memory_kib=8192, parallelism=1)


@pytest.mark.parametrize(("password", "ok"), [
    ("MatKhau#7890", True),
    ("MatKhau#789", False),        # 11 characters: below the generated minimum
    ("matkhau#7890", False),       # no upper case
    ("MATKHAU#7890", False),       # no lower case
    ("MatKhau#abcd", False),       # no digit
    ("MatKhau$7890", True),        # `$` is a special character (the regulation's example)
    ("MatKhau 7890", False),       # a space is not
    ("MatKhau17890", False),       # no special character
    ("Ab1!Ab1!Ab1!", True),
    ("Ab1&cdefghij", True),
])
def test_meets_policy(password, ok):
    assert meets_policy(password) is ok


def test_meets_policy_minimum_of_the_regulation_is_eight():
    assert meets_policy("Ab1*efgh", min_length=8)


@pytest.mark.parametrize("length", [12, 16, 24, 40])
def test_generated_passwords_meet_policy(length):
    for _ in range(200):
        password = generate(length)
        assert len(password) == length and meets_policy(password)


def test_generated_passwords_avoid_ambiguous_characters():
    text = "".join(generate() for _ in range(300))
    assert not set(text) & set("Il1O0o")
    assert set(text) <= set("".join(passwords.CLASSES))


def test_generated_passwords_are_unique():
    assert len({generate() for _ in range(2000)}) == 2000


def test_too_short_length_is_refused():
    with pytest.raises(ValueError):
        generate(11)


def test_hash_has_dovecot_prefix_and_verifies_with_argon2():
    hashed = hash_password("MatKhau#7890", CHEAP)
    assert hashed.startswith("{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$")
    assert argon2.PasswordHasher().verify(hashed.removeprefix("{ARGON2ID}"), "MatKhau#7890")
    assert passwords.verify(hashed, "MatKhau#7890")
    assert not passwords.verify(hashed, "MatKhau#7891")


def test_every_hash_parameter_is_explicit_salt_and_hash_length_included():
    """Debian 12's argon2-cffi 21.1 defaults to a 16-byte hash: the length is ours, not its."""
    import base64

    salt, digest = hash_password("MatKhau#7890", CHEAP).split("$")[-2:]
    decoded = [base64.b64decode(part + "=" * (-len(part) % 4)) for part in (salt, digest)]
    assert [len(part) for part in decoded] == [16, 32]
    short = HashSettings(time_cost=1, memory_kib=8192, parallelism=1, hash_bytes=16)
    assert len(hash_password("MatKhau#7890", short).split("$")[-1]) == 22  # 16 bytes, base64


def test_same_password_hashes_differently_each_time():
    assert hash_password("MatKhau#7890", CHEAP) != hash_password("MatKhau#7890", CHEAP)


@pytest.mark.parametrize("workers", [1, 2])
def test_hash_many_keeps_order_and_verifies(workers):
    plain = [generate() for _ in range(9)]
    hashes = hash_many(plain, CHEAP, workers=workers)
    assert len(hashes) == len(plain)
    assert all(passwords.verify(h, p) for h, p in zip(hashes, plain, strict=True))


def test_issue_gives_each_address_its_own_verified_credential():
    issued = passwords.issue(["a", "b", "c", "d", "e"], 14, CHEAP)
    assert sorted(issued) == ["a", "b", "c", "d", "e"]
    assert len({password for password, _ in issued.values()}) == 5
    for password, hashed in issued.values():
        assert len(password) == 14 and meets_policy(password)
        assert passwords.verify(hashed, password)
