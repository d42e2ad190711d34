"""The mail server's certificate check (plugins/module_utils/server/certificate.py): one case
per row, what the host says about the files → the codes that stop the apply or warn."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.server.certificate import (
    Facts,
    assess,
    name_matches,
    parse_x509,
    read,
)

NOW = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(days=90)
HOST = "mail1.hungyen.gov.vn"
GOOD = Facts(names=(HOST,), not_after=LATER)


def codes(messages: list[str]) -> list[str]:
    return [message.split()[0] for message in messages]


@pytest.mark.parametrize(("facts", "errors", "warnings"), [
    (GOOD, [], []),
    (Facts(cert_exists=False), ["HYS001"], []),
    (Facts(key_exists=False), ["HYS002"], []),
    (Facts(cert_exists=False, key_exists=False), ["HYS001", "HYS002"], []),
    (Facts(cert_error="unable to load certificate"), ["HYS003"], []),
    (Facts(key_matches=False, names=(HOST,), not_after=LATER), ["HYS004"], []),
    (Facts(names=("mail2.hungyen.gov.vn",), not_after=LATER), [], ["HYS005"]),
    (Facts(names=(), not_after=LATER), [], ["HYS005"]),
    (Facts(names=("*.hungyen.gov.vn",), not_after=LATER), [], []),
    (Facts(names=(HOST,), not_after=NOW + datetime.timedelta(days=13, hours=23)), [], ["HYS006"]),
    (Facts(names=(HOST,), not_after=NOW + datetime.timedelta(days=14, hours=1)), [], []),
    (Facts(names=(HOST,), not_after=NOW - datetime.timedelta(days=1)), [], ["HYS006"]),
    (Facts(key_matches=False, names=("other",), not_after=NOW), ["HYS004"], ["HYS005", "HYS006"]),
], ids=["good", "no-cert", "no-key", "neither", "unreadable", "key-mismatch", "other-name",
        "no-name", "wildcard", "expires-in-13-days", "expires-in-14-days", "expired",
        "mismatch-and-warnings"])
def test_assess(facts, errors, warnings):
    verdict = assess(facts, "/c.pem", "/k.pem", HOST, NOW)
    assert codes(verdict.errors) == errors
    assert codes(verdict.warnings) == warnings


def test_messages_name_the_files_and_the_fix():
    verdict = assess(Facts(key_matches=False, names=(HOST,), not_after=LATER), "/c.pem",
                     "/k.pem", HOST, NOW)
    assert "/k.pem" in verdict.errors[0] and "/c.pem" in verdict.errors[0]
    assert "Cách sửa:" in verdict.errors[0]


@pytest.mark.parametrize(("names", "ok"), [
    ((HOST,), True), (("MAIL1.HungYen.gov.vn",), True), (("*.hungyen.gov.vn",), True),
    (("*.gov.vn",), False), (("hungyen.gov.vn",), False), (("x.mail1.hungyen.gov.vn",), False),
    ((), False),
])
def test_name_matches(names, ok):
    assert name_matches(HOST, names) is ok


@pytest.mark.parametrize(("text", "names", "expires"), [
    ("subject=CN = mail1.hungyen.gov.vn\nnotAfter=Dec  6 10:00:00 2027 GMT\n"
     "X509v3 Subject Alternative Name: \n    DNS:mail1.hungyen.gov.vn, DNS:mail.hungyen.gov.vn\n",
     ("mail1.hungyen.gov.vn", "mail.hungyen.gov.vn"), "2027-12-06T10:00:00+00:00"),
    ("subject=C = VN, O = So TTTT, CN = mail1.hungyen.gov.vn\nnotAfter=Jan 15 00:00:00 2030 GMT\n"
     "No extensions in certificate\n", ("mail1.hungyen.gov.vn",), "2030-01-15T00:00:00+00:00"),
])
def test_parse_x509(text, names, expires):
    parsed_names, not_after = parse_x509(text)
    assert parsed_names == names
    assert not_after.isoformat() == expires


def test_read_compares_the_public_keys():
    answers = {"x509": (0, "subject=CN = h\nnotAfter=Dec  6 10:00:00 2027 GMT\n", ""),
               "-pubkey": (0, "KEY-A", ""), "pkey": (0, "KEY-B", "")}

    def run(argv):
        return answers["-pubkey"] if "-pubkey" in argv else answers[argv[1]]

    assert read("/c", "/k", run, lambda path: True).key_matches is False
    answers["pkey"] = (0, "KEY-A\n", "")
    assert read("/c", "/k", run, lambda path: True).key_matches is True
    assert read("/c", "/k", run, lambda path: path != "/k") == Facts(key_exists=False)
