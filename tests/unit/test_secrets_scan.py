"""The secrets scanner of tests/secrets_scan.py: it finds what it must, where it must, and
never prints a secret."""

from __future__ import annotations

import base64
import email.message
import json
import pathlib

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import passwords
from secrets_scan import (
    HASH,
    PASSWORD,
    REAL_HASH,
    Scanner,
    describe,
    password_forms,
    places,
    repository_files,
)

SETTINGS = passwords.HashSettings(time_cost=1, memory_kib=8192)


@pytest.fixture(name="secret", scope="module")
def fixture_secret() -> str:
    return passwords.generate()


def test_raw_json_html_percent_and_base64_at_every_alignment_are_found(secret):
    scanner = Scanner(passwords={"nvan": secret})
    texts = {"raw": f"x {secret} y", "json": json.dumps({"p": secret}),
             "html": f"<td>{secret.replace('&', '&amp;')}</td>",
             "percent": "u=" + "".join(f"%{ord(c):02X}" if c in "!#%&*" else c for c in secret)}
    for prefix in ("", "a", "ab", "abc"):
        texts[f"base64-{len(prefix)}"] = base64.b64encode(f"{prefix}{secret}zz".encode()).decode()
    for label, text in texts.items():
        found = scanner.text(label, text)
        assert [(f.what, f.kind) for f in found][:1] == [("nvan", PASSWORD)], label


def test_a_mail_body_in_base64_is_found(secret):
    message = email.message.EmailMessage()
    message.set_content(f"Kính gửi: Văn thư\n  Mật khẩu: {secret}\n", cte="base64")
    assert Scanner(passwords={"nvan": secret}).text("mail", message.as_bytes())


def test_nothing_is_found_in_a_clean_text_and_findings_hold_no_secret(secret):
    other = passwords.generate()
    scanner = Scanner(passwords={"nvan": secret})
    assert scanner.text("clean", f"{other} {passwords.SCHEME} is named here".replace(
        passwords.SCHEME, "the scheme")) == []
    found = scanner.text("leak", f"line one\nsecret {secret}\n")
    assert [(f.where, f.line) for f in found] == [("leak", 2)]
    assert secret not in describe(found) and "leak:2: password nvan (raw)" in describe(found)


def test_hashes_are_found_with_or_without_their_scheme_and_by_their_shape(secret):
    hashed = passwords.hash_password(secret, SETTINGS)
    bare = hashed.removeprefix(passwords.SCHEME)
    scanner = Scanner(hashes={"nvan": hashed})
    assert {f.form for f in scanner.text("t", f"u:{hashed}::")} == {"raw", "shape"}
    assert {f.what for f in Scanner(hashes={"nvan": hashed}, shapes=None).text("t", bare)} == {
        "nvan"}
    assert Scanner().text("t", "the {ARGON2ID} scheme") != []  # the loose shape
    assert not Scanner(shapes=REAL_HASH).text("doc", "{ARGON2ID}$argon2id$v=19$m=65536,t=3,"
                                                     "p=1$<salt b64>$<hash b64>")
    assert Scanner(shapes=REAL_HASH).text("leak", bare)


def test_allowed_places_let_only_their_kind_through(tmp_path, secret):
    hashed = passwords.hash_password(secret, SETTINGS)
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "a.jsonl").write_text(json.dumps({"password": secret}))
    (tmp_path / "users.passwd").write_text(f"nvan@x:{hashed}::\n")
    (tmp_path / "log").write_text(f"{secret}\n{hashed}\n")
    (tmp_path / "link").symlink_to(tmp_path / "log")
    scanner = Scanner(passwords={"nvan": secret}, hashes={"nvan": hashed},
                      allowed={tmp_path / "outbox": {PASSWORD}, tmp_path / "*.passwd": {HASH}})
    found = scanner.paths(tmp_path)
    assert places(found) == {str(tmp_path / "log")}  # the symlink is not followed
    assert {(f.line, f.kind) for f in found} == {(1, PASSWORD), (2, HASH)}
    everything = Scanner(passwords={"nvan": secret}, hashes={"nvan": hashed}).paths(tmp_path)
    assert len(places(everything)) == 3


def test_every_form_is_long_enough_to_mean_something(secret):
    assert all(len(needle) >= 16 for _, needle in password_forms(secret))
    with pytest.raises(ValueError, match="too short"):
        Scanner(passwords={"x": "short"})


def test_repository_files_lists_tracked_files():
    files = repository_files(pathlib.Path(__file__).resolve().parents[2])
    assert any(name.endswith("tests/secrets_scan.py") for name in files)
    assert not any("/.venv/" in name for name in files)


def test_a_password_whose_base64_straddles_a_line_break_is_found(secret):
    scanner = Scanner(passwords={"nvan": secret})
    for prefix in range(0, 80):  # every place against the 76-character lines
        body = base64.encodebytes(b"x" * prefix + secret.encode() + b"y" * 100)
        found = scanner.text("mime", b"Content-Transfer-Encoding: base64\n\n" + body)
        assert [f.what for f in found] == ["nvan"], prefix
