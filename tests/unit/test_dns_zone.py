"""The mail records of ``make dns`` (plugins/module_utils/dns/zone.py): one case per row for
the master-file syntax (strings of at most 255 octets, escaping, owners), the SRV records from
the inventory's ports, and a DKIM signature that verifies against the rendered zone."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import dkim
import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.dns import zone
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers import ROOT

DOMAIN = "hungyen.gov.vn"
HOST = "mail1.hungyen.gov.vn"
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module", name="key")
def fixture_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key like the role's (rspamd signs with its private half)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def values(key: rsa.RSAPrivateKey, **fields) -> zone.ZoneValues:
    fields = {"domain": DOMAIN, "mail_host": HOST, "dkim_selector": "mail",
              "dkim_key": zone.public_key_base64(public_pem(key)),
              "dmarc_report_to": f"sotttt@{DOMAIN}", "host_address": "203.0.113.25"} | fields
    return zone.ZoneValues(**fields)


def octets(piece: str) -> int:
    """The length of a quoted string's content once its escapes are undone."""
    return len(zone.unescape(piece))


# ------------------------------------------------------------------------------ strings

@pytest.mark.parametrize(("value", "lengths"), [
    ("", [0]),
    ("a", [1]),
    ("a" * 255, [255]),
    ("a" * 256, [255, 1]),
    ("a" * 510, [255, 255]),
    ("a" * 511, [255, 255, 1]),
    # Two octets a character: never cut inside one (127 characters = 254 octets).
    ("é" * 128, [254, 2]),
    ("a" + "é" * 127, [255]),
    ("a" + "é" * 128, [255, 2]),
])
def test_a_value_is_cut_into_strings_of_at_most_255_octets(value, lengths):
    pieces = zone.split_strings(value)
    assert [len(piece.encode()) for piece in pieces] == lengths
    assert "".join(pieces) == value


@pytest.mark.parametrize(("piece", "expected"), [
    ("v=spf1 mx -all", '"v=spf1 mx -all"'),
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    ("semi;colon (paren)", '"semi;colon (paren)"'),
    ("tab\there", r'"tab\009here"'),
    ("é", r'"\195\169"'),
])
def test_a_string_is_quoted_and_escaped(piece, expected):
    assert zone.quoted(piece) == expected


@pytest.mark.parametrize("value", [
    "v=spf1 mx -all",
    'a "quoted" word',
    "back\\slash; and ; semicolons",
    "x" * 600,
    "é" * 300,
    "(parentheses) inside",
])
def test_a_txt_record_reads_back_as_written(value):
    text = f"$ORIGIN {DOMAIN}.\nname IN TXT {zone.txt_rdata(value)}\n"
    assert zone.txt_records(text) == {f"name.{DOMAIN}.": [value.encode()]}
    assert all(octets(piece) <= 255 for piece in QUOTED.findall(text))


# ------------------------------------------------------------------------------ values

def test_the_dkim_key_is_the_pem_body(key):
    pem = public_pem(key)
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    assert zone.public_key_base64(pem) == body
    assert zone.public_key_base64("junk before\n" + pem + "junk after") == body


@pytest.mark.parametrize("text", [
    "",
    "not a key",
    "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----\n",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
])
def test_a_file_without_a_public_key_gives_none(text):
    assert zone.public_key_base64(text) is None


def test_a_private_key_is_not_taken_for_the_public_one(key):
    assert zone.public_key_base64(private_pem(key).decode()) is None


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, "v=spf1 mx -all"),
    ({"spf_all": "~all"}, "v=spf1 mx ~all"),
    ({"spf_extra": ("ip4:203.0.113.7",)}, "v=spf1 mx ip4:203.0.113.7 -all"),
])
def test_spf_names_the_mx_host_and_ends_with_all(key, fields, expected):
    assert zone.spf_value(values(key, **fields)) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, f"v=DMARC1; p=none; rua=mailto:sotttt@{DOMAIN}"),
    ({"dmarc_policy": "reject"}, f"v=DMARC1; p=reject; rua=mailto:sotttt@{DOMAIN}"),
    ({"dmarc_report_to": f"a,b!c@{DOMAIN}"}, f"v=DMARC1; p=none; rua=mailto:a%2Cb%21c@{DOMAIN}"),
])
def test_dmarc_starts_at_none_and_reports_to_the_operator(key, fields, expected):
    assert zone.dmarc_value(values(key, **fields)) == expected


@pytest.mark.parametrize("fields", [
    {"spf_all": "+all"}, {"spf_all": "?all"}, {"dmarc_policy": "block"},
    {"mail_host": "mail host"}, {"submission_port": 70000}, {"imap_port": -1},
])
def test_a_wrong_value_is_refused(key, fields):
    with pytest.raises(ValueError):
        zone.render(values(key, **fields))


@pytest.mark.parametrize(("name", "expected"), [
    (DOMAIN, "@"),
    (f"{DOMAIN}.", "@"),
    (HOST, "mail1"),
    ("MAIL1.HungYen.gov.vn", "mail1"),
    ("mx.other.vn", "mx.other.vn."),
    ("hungyen.gov.vn.other.vn", "hungyen.gov.vn.other.vn."),
])
def test_an_owner_is_relative_to_the_domain_when_inside_it(name, expected):
    assert zone.relative(name, DOMAIN) == expected


@pytest.mark.parametrize(("address", "expected"), [
    ("203.0.113.25", ["mail1 IN A 203.0.113.25"]),
    ("2001:db8::25", ["mail1 IN AAAA 2001:db8::25"]),
    ("", []),
    ("mail1.hungyen.gov.vn", []),
])
def test_the_host_address_is_an_a_or_aaaa_record(key, address, expected):
    lines = zone.address_records(values(key, host_address=address))
    assert [" ".join(line.split()) for line in lines] == expected


# ------------------------------------------------------------------------------ SRV

def srv(text: str) -> dict[str, str]:
    """SRV owner → its data, from a rendered zone."""
    found = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[2] == "SRV":
            found[fields[0]] = " ".join(fields[3:])
    return found


@pytest.mark.parametrize(("ports", "expected"), [
    ({"submission_port": 587, "submissions_port": 465, "imaps_port": 993, "imap_port": 143},
     {"_submissions._tcp": f"0 1 465 {HOST}.", "_submission._tcp": f"10 1 587 {HOST}.",
      "_imaps._tcp": f"0 1 993 {HOST}.", "_imap._tcp": f"10 1 143 {HOST}."}),
    ({"submission_port": 5870, "submissions_port": 4650, "imaps_port": 9930, "imap_port": 1143},
     {"_submissions._tcp": f"0 1 4650 {HOST}.", "_submission._tcp": f"10 1 5870 {HOST}.",
      "_imaps._tcp": f"0 1 9930 {HOST}.", "_imap._tcp": f"10 1 1143 {HOST}."}),
    # A listener turned off (0) is the "." target: clients must not try it (RFC 6186 §4).
    ({"submission_port": 587, "submissions_port": 0, "imaps_port": 0, "imap_port": 143},
     {"_submissions._tcp": "0 0 0 .", "_submission._tcp": f"10 1 587 {HOST}.",
      "_imaps._tcp": "0 0 0 .", "_imap._tcp": f"10 1 143 {HOST}."}),
])
def test_srv_records_carry_the_inventory_ports(key, ports, expected):
    found = srv(zone.render(values(key, **ports)))
    assert found == expected | {"_pop3s._tcp": "0 0 0 .", "_pop3._tcp": "0 0 0 ."}


def test_srv_records_of_the_production_example_are_the_standard_ports(key):
    inventory = yaml.safe_load((ROOT / "inventory" / "production.example" / "group_vars"
                                / "all.yml").read_text("utf-8"))
    ports = {"submission_port": inventory["mailserver_submission_port"],
             "submissions_port": inventory["mailserver_submissions_port"],
             "imaps_port": inventory["mailserver_imaps_port"],
             "imap_port": inventory["imap_port"]}
    text = zone.render(values(key, mail_host=inventory["mailserver_hostname"], **ports))
    found = srv(text)
    target = inventory["mailserver_hostname"] + "."
    assert found["_submission._tcp"].endswith(f" 587 {target}")
    assert found["_submissions._tcp"].endswith(f" 465 {target}")
    assert found["_imaps._tcp"].endswith(f" 993 {target}")
    assert found["_imap._tcp"].endswith(f" 143 {target}")


# ------------------------------------------------------------------------------ the zone

def test_the_zone_holds_every_record_the_issue_asks_for(key):
    text = zone.render(values(key))
    records = {" ".join(line.split()[:3]) for line in text.splitlines()
               if line and not line.startswith((";", "$", "\t"))}
    assert records >= {"@ IN MX", "mail1 IN A", "@ IN TXT", "mail._domainkey IN TXT",
                       "_dmarc IN TXT", "autoconfig IN CNAME", "autodiscover IN CNAME"}
    assert f"@                        IN MX    10 {HOST}." in text
    assert "$ORIGIN hungyen.gov.vn." in text.splitlines()
    assert all(octets(piece) <= 255 for piece in QUOTED.findall(text))
    assert text.isascii()


def test_the_header_tells_the_dns_administrators_what_to_do(key):
    header = [line for line in zone.render(values(key)).splitlines() if line.startswith(";")]
    said = " ".join(header)
    for words in ("DNS administrators", "PTR", "p=none", "p=reject", "docs/dns.md"):
        assert words in said, words
    assert "WARNING" not in said


def test_a_relay_host_without_its_spf_entry_is_pointed_out(key):
    said = zone.render(values(key, relayhost="[smtp.isp.vn]:25"))
    assert "WARNING: mail leaves through the relay host [smtp.isp.vn]:25" in said
    quiet = zone.render(values(key, relayhost="[smtp.isp.vn]:25", spf_extra=("a:smtp.isp.vn",)))
    assert "WARNING" not in quiet


def test_the_zone_depends_only_on_its_values(key):
    assert zone.render(values(key)) == zone.render(values(key))
    assert zone.render(values(key)) != zone.render(values(key, dkim_selector="s2027"))


def test_a_signature_verifies_against_the_rendered_zone_and_an_altered_body_fails(key):
    """dkimpy reads the key from the zone text, exactly as a receiver reads it from DNS."""
    records = zone.txt_records(zone.render(values(key)))
    message = (b"From: Nguyen Van An <nvan@hungyen.gov.vn>\r\nTo: ban@example.org\r\n"
               b"Subject: Thu thu\r\n\r\nNoi dung thu.\r\n")
    signature = dkim.sign(message, b"mail", DOMAIN.encode(), private_pem(key),
                          include_headers=[b"From", b"To", b"Subject"])

    def dnsfunc(name, timeout=5):
        return b"".join(records.get(name.decode() if isinstance(name, bytes) else name, []))

    assert dkim.verify(signature + message, dnsfunc=dnsfunc)
    assert not dkim.verify(signature + message.replace(b"Noi dung", b"Noi dunG"), dnsfunc=dnsfunc)


# ------------------------------------------------------------------------------ make dns

@pytest.mark.playbook
def test_the_playbook_writes_the_zone_or_says_hys007_without_the_key(key, tmp_path):
    state_dir, out = tmp_path / "state", tmp_path / "dns"

    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="hungyen.mail.messages")
    playbook = pathlib.Path(sys.executable).parent / "ansible-playbook"

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(playbook), "-i", "inventory/local", "playbooks/dns.yml",
             "-e", f'{{"state_dir": "{state_dir}", "dns_dir": "{out}"}}'],
            cwd=ROOT, env=env, text=True, capture_output=True, timeout=300, check=False)

    missing = run()
    assert missing.returncode != 0
    assert f"HYS007 không có khóa công khai DKIM {state_dir}/dkim/mail.pub" in missing.stdout
    assert not out.exists()
    (state_dir / "dkim").mkdir(parents=True)
    (state_dir / "dkim" / "mail.pub").write_text("not a key")
    assert "HYS008" in run().stdout
    (state_dir / "dkim" / "mail.pub").write_text(public_pem(key))
    written = run()
    assert written.returncode == 0, written.stdout + written.stderr
    text = (out / f"{DOMAIN}.zone").read_text()
    expected = zone.dkim_value(zone.public_key_base64(public_pem(key))).encode()
    assert zone.txt_records(text)[f"mail._domainkey.{DOMAIN}."] == [expected]
