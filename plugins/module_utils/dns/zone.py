"""The province's mail records as a zone file fragment (``make dns``), rendered from values.

Pure functions, no I/O: :func:`render` takes the inventory's values and the DKIM public key
(PEM, read on the mail host by the ``dns_zone`` module) and returns the text handed to the
province's DNS administrators. :func:`txt_records` reads the TXT records back from such a
text, so a test verifies a delivered DKIM signature against exactly what was handed over.

Master-file syntax is RFC 1035 section 5: a TXT record is one or more quoted
<character-string>s of at most 255 octets each (DKIM keys of 2048 bits are longer: RFC 6376
section 3.6.2.2 has the strings concatenated), ``"`` and ``\\`` escaped with a backslash,
every other octet outside printable ASCII written ``\\DDD``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass

MAX_STRING = 255  # octets in one <character-string> (RFC 1035 section 3.3)
PEM_PUBLIC_KEY = re.compile(
    r"-----BEGIN PUBLIC KEY-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----")
HOST_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$")
SPF_ALL = ("-all", "~all")
DMARC_POLICIES = ("none", "quarantine", "reject")
# RFC 6186 services: (owner, preference among the two of a kind, field of ZoneValues). The
# implicit-TLS variant comes first (RFC 8314 section 3.3 and 5.1: lower priority number).
SRV_SERVICES = (
    ("_submissions._tcp", 0, "submissions_port"),
    ("_submission._tcp", 10, "submission_port"),
    ("_imaps._tcp", 0, "imaps_port"),
    ("_imap._tcp", 10, "imap_port"),
)
# Offered nowhere: the "." target tells clients not to try (RFC 6186 section 4).
SRV_NOT_OFFERED = ("_pop3s._tcp", "_pop3._tcp")
# Thunderbird (autoconfig) and Outlook (autodiscover) look these names up first.
CLIENT_SETUP_NAMES = ("autoconfig", "autodiscover")


@dataclass(frozen=True)
class ZoneValues:
    """What the records say, from the inventory and the mail host."""

    domain: str  # mail_domain
    mail_host: str  # mailserver_hostname: MX and SRV target
    dkim_selector: str
    dkim_key: str  # the public key: base64 of its DER (SubjectPublicKeyInfo), no armour
    dmarc_report_to: str  # where aggregate reports go (rua)
    host_address: str = ""  # listen_address: the A or AAAA record of mail_host when an IP
    submission_port: int = 587
    submissions_port: int = 465
    imaps_port: int = 993
    imap_port: int = 143
    spf_all: str = "-all"
    spf_extra: tuple[str, ...] = ()  # more senders, e.g. "ip4:203.0.113.7" for a relay host
    dmarc_policy: str = "none"
    ttl: int = 3600
    relayhost: str = ""  # mailserver_relayhost: mail leaves through it, SPF must name it


# ------------------------------------------------------------------------------ values

def public_key_base64(pem: str) -> str | None:
    """The DKIM ``p=`` value of a PEM public key, or None when ``pem`` holds none."""
    match = PEM_PUBLIC_KEY.search(pem or "")
    if not match:
        return None
    body = "".join(match.group("body").split())
    try:
        if not base64.b64decode(body, validate=True):
            return None
    except (binascii.Error, ValueError):
        return None
    return body


def dkim_value(key: str) -> str:
    return f"v=DKIM1; k=rsa; p={key}"


def spf_value(values: ZoneValues) -> str:
    if values.spf_all not in SPF_ALL:
        raise ValueError(f"spf_all must be one of {', '.join(SPF_ALL)}: {values.spf_all!r}")
    return " ".join(("v=spf1", "mx", *values.spf_extra, values.spf_all))


def dmarc_value(values: ZoneValues) -> str:
    if values.dmarc_policy not in DMARC_POLICIES:
        raise ValueError(f"dmarc_policy must be one of {', '.join(DMARC_POLICIES)}: "
                         f"{values.dmarc_policy!r}")
    # "," and "!" separate URIs and size limits in rua (RFC 7489 section 6.2): escape them.
    address = values.dmarc_report_to.replace("!", "%21").replace(",", "%2C")
    return f"v=DMARC1; p={values.dmarc_policy}; rua=mailto:{address}"


# ------------------------------------------------------------------------------ syntax

def split_strings(value: str, limit: int = MAX_STRING) -> list[str]:
    """``value`` cut into pieces of at most ``limit`` octets (UTF-8), never inside a character."""
    pieces, current, size = [], [], 0
    for char in value:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current or not pieces:
        pieces.append("".join(current))
    return pieces


def quoted(piece: str) -> str:
    """One <character-string> in master-file syntax: quoted, ``"`` and ``\\`` escaped, other
    octets outside printable ASCII as ``\\DDD``."""
    out = []
    for octet in piece.encode("utf-8"):
        char = chr(octet)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= octet < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{octet:03d}")
    return '"' + "".join(out) + '"'


def txt_rdata(value: str) -> str:
    """The TXT data of ``value``: one quoted string, or several in parentheses, one a line."""
    strings = [quoted(piece) for piece in split_strings(value)]
    if len(strings) == 1:
        return strings[0]
    return "( " + "\n\t".join(strings) + " )"


def absolute(name: str) -> str:
    """``name`` as a fully qualified name (with the final dot)."""
    if not HOST_NAME.match(name):
        raise ValueError(f"not a host name: {name!r}")
    return name.rstrip(".") + "."


def relative(name: str, domain: str) -> str:
    """``name`` as an owner under ``$ORIGIN domain``: ``@``, a relative name, or absolute."""
    fqdn, origin = absolute(name).lower(), absolute(domain).lower()
    if fqdn == origin:
        return "@"
    if fqdn.endswith("." + origin):
        return fqdn[: -len(origin) - 1]
    return fqdn


def record(owner: str, rtype: str, data: str) -> str:
    return f"{owner:<24} IN {rtype:<5} {data}"


# ------------------------------------------------------------------------------ records

def srv_records(values: ZoneValues) -> list[str]:
    """RFC 6186 SRV records; a port of 0 (service off) is the "." target."""
    target = absolute(values.mail_host)
    lines = []
    for owner, priority, port_field in SRV_SERVICES:
        port = int(getattr(values, port_field))
        if not 0 <= port <= 65535:
            raise ValueError(f"{port_field} is not a port: {port}")
        data = f"{priority} 1 {port} {target}" if port else "0 0 0 ."
        lines.append(record(owner, "SRV", data))
    lines += [record(owner, "SRV", "0 0 0 .") for owner in SRV_NOT_OFFERED]
    return lines


def address_records(values: ZoneValues) -> list[str]:
    """The mail host's A or AAAA record when the inventory gives its address."""
    try:
        address = ipaddress.ip_address(values.host_address)
    except ValueError:
        return []
    rtype = "A" if address.version == 4 else "AAAA"
    return [record(relative(values.mail_host, values.domain), rtype, str(address))]


def mail_records(values: ZoneValues) -> list[str]:
    """MX, the host's address, SPF, DKIM and DMARC."""
    selector_owner = relative(f"{values.dkim_selector}._domainkey.{values.domain}",
                              values.domain)
    return [
        record("@", "MX", f"10 {absolute(values.mail_host)}"),
        *address_records(values),
        record("@", "TXT", txt_rdata(spf_value(values))),
        record(selector_owner, "TXT", txt_rdata(dkim_value(values.dkim_key))),
        record("_dmarc", "TXT", txt_rdata(dmarc_value(values))),
    ]


def client_records(values: ZoneValues) -> list[str]:
    target = absolute(values.mail_host)
    return [record(name, "CNAME", target) for name in CLIENT_SETUP_NAMES
            if relative(values.mail_host, values.domain) != name]


def header(values: ZoneValues) -> list[str]:
    """The comment that tells the DNS administrators what to do with the file."""
    domain, host = values.domain.rstrip("."), values.mail_host.rstrip(".")
    lines = [
        f"Mail records of {domain}, written by `make dns` (docs/dns.md). Hand this file to",
        f"the DNS administrators of {domain}: add these records to the zone as they are",
        "(no SOA or NS here: the zone has its own). Then check them from outside with",
        f"`dig +short TXT {values.dkim_selector}._domainkey.{domain}` and"
        f" `dig +short MX {domain}`.",
        f"Also ask the owner of the address of {host} (the ISP) for its reverse record (PTR)",
        f"naming {host}: many receivers refuse mail from an address without one.",
        f"SPF: only the MX host ({host}) sends for {domain}; anything else is forged"
        f" ({values.spf_all}).",
        "A relay host or another service sending as the domain must be added first.",
        f"DMARC: p={values.dmarc_policy}, reports to {values.dmarc_report_to}. It starts at p=none",
        "(receivers only report) and moves to p=quarantine, then p=reject, only as docs/dns.md",
        "says (when the reports show every legitimate sender passing).",
        f"The DKIM key is {values.dkim_selector}._domainkey: when it changes, run `make dns` again",
        "and publish the new record before the old one is removed.",
        "SRV (RFC 6186) and autoconfig/autodiscover help mail clients find the servers.",
        *relay_note(values),
    ]
    return [f"; {line}".rstrip() for line in lines]


def relay_note(values: ZoneValues) -> list[str]:
    """Mail that leaves through a relay host comes from the relay's address, not the MX's."""
    if not values.relayhost or values.spf_extra:
        return []
    return [f"WARNING: mail leaves through the relay host {values.relayhost}: add its",
            "addresses to SPF (dns_spf_extra, e.g. ip4:203.0.113.7) before publishing."]


def render(values: ZoneValues) -> str:
    """The zone file fragment: header comment, $ORIGIN and $TTL, then the records."""
    lines = [
        *header(values),
        "",
        f"$ORIGIN {absolute(values.domain)}",
        f"$TTL {int(values.ttl)}",
        "",
        "; Receiving, sender policy and proof of origin",
        *mail_records(values),
        "",
        "; Where mail clients find submission and IMAP (RFC 6186, RFC 8314)",
        *srv_records(values),
        "",
        "; Automatic set-up of mail clients",
        *client_records(values),
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ reading back

TOKEN = re.compile(r'"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<open>\()|(?P<close>\))|(?P<comment>;[^\n]*)'
                   r"|(?P<newline>\n)|(?P<word>[^\s\"();]+)")


def unescape(text: str) -> bytes:
    """A quoted string's content as octets: ``\\DDD`` and ``\\X`` undone."""
    out, index = bytearray(), 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1:index + 4].isdigit() and len(text) > index + 3:
            out.append(int(text[index + 1:index + 4]))
            index += 4
        elif char == "\\" and index + 1 < len(text):
            out += text[index + 1].encode("utf-8")
            index += 2
        else:
            out += char.encode("utf-8")
            index += 1
    return bytes(out)


def entries(text: str) -> list[list[tuple[str, str]]]:
    """Each record of a master file as its tokens, ``(kind, value)``, parentheses joined."""
    records, current, depth = [], [], 0
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "newline" and depth == 0:
            if current:
                records.append(current)
            current = []
        elif kind == "word" and not current and match.start() > 0 and \
                text[match.start() - 1] in " \t":
            current.append(("blank_owner", ""))
            current.append((kind, match.group(kind)))
        elif kind in ("quoted", "word"):
            current.append((kind, match.group(kind)))
    if current:
        records.append(current)
    return records


def txt_records(text: str) -> dict[str, list[bytes]]:
    """Every TXT record of a zone text: fully qualified owner → its values (strings joined)."""
    found: dict[str, list[bytes]] = {}
    origin, owner = ".", "."
    for tokens in entries(text):
        if tokens[0] == ("word", "$ORIGIN"):
            origin = tokens[1][1]
            continue
        if tokens[0][1].startswith("$"):
            continue
        if tokens[0][0] != "blank_owner":
            owner = qualify(tokens[0][1], origin)
        if record_type(tokens[1:]) == "TXT":
            strings = [unescape(value) for kind, value in tokens if kind == "quoted"]
            found.setdefault(owner.lower(), []).append(b"".join(strings))
    return found


def record_type(tokens: list[tuple[str, str]]) -> str:
    """The type of a record's tokens after its owner: the first word not a TTL or class."""
    for kind, value in tokens:
        if kind == "word" and not value.isdigit() and value.upper() not in ("IN", "CH", "HS"):
            return value.upper()
    return ""


def qualify(owner: str, origin: str) -> str:
    if owner == "@":
        return origin
    if owner.endswith("."):
        return owner
    return f"{owner}.{origin}" if origin != "." else f"{owner}."
