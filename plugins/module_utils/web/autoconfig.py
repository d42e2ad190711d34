"""Mail clients that configure themselves: Thunderbird's autoconfig and Outlook's autodiscover.

Both are built from the web configuration's ports (``app.py``): IMAP over TLS
(``imaps_port``, 993) and with STARTTLS (``imap_port``, 143), submission with STARTTLS
(``submission_port``, 587) and over TLS (``submissions_port``, 465); a port of 0 or null is
not offered. The user name is the whole address. Thunderbird's ``enable visiturl`` and
``documentation`` point at the password page, which must be used before the first login.

An autodiscover request is read with the standard library's expat, never a DOCTYPE or an
entity (refused before parsing and by expat's handlers), at most ``MAX_REQUEST`` bytes, UTF-8.
An address is answered only when it is of the configured domain; whether the mailbox exists
is not looked up (that would tell strangers which addresses exist).
"""

from __future__ import annotations

import re
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

MAX_REQUEST = 8192
ADDRESS = re.compile(r"^[A-Za-z0-9._+-]{1,64}@([A-Za-z0-9.-]{1,190})$")
RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"


class Refused(ValueError):
    """An autodiscover request not read: why, in a few English words (never its content)."""


def own_address(address: str, domain: str) -> bool:
    """Whether ``address`` is a well-formed address of ``domain`` (any case)."""
    found = ADDRESS.match(address or "")
    return bool(found) and found.group(1).lower() == domain.lower()


def _port(config: dict, key: str) -> int:
    return int(config.get(key) or 0)


def _servers(config: dict) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(IMAP, SMTP) as (port, Thunderbird socketType), the TLS port first."""
    imap = [(_port(config, "imaps_port"), "SSL"), (_port(config, "imap_port"), "STARTTLS")]
    smtp = [(_port(config, "submissions_port"), "SSL"),
            (_port(config, "submission_port"), "STARTTLS")]
    return [s for s in imap if s[0]], [s for s in smtp if s[0]]


def _server(tag: str, kind: str, host: str, port: int, socket_type: str) -> list[str]:
    return [f'    <{tag} type="{kind}">', f"      <hostname>{escape(host)}</hostname>",
            f"      <port>{port}</port>", f"      <socketType>{socket_type}</socketType>",
            "      <authentication>password-cleartext</authentication>",
            "      <username>%EMAILADDRESS%</username>", f"    </{tag}>"]


def thunderbird(config: dict, page: dict) -> str:
    """Thunderbird's clientConfig 1.1 for the configured domain."""
    domain, host, change = config["domain"], config["hostname"], config["password_page"]
    name = config.get("display_name") or page["mail_client"]
    imap, smtp = _servers(config)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<clientConfig version="1.1">',
             f"  <emailProvider id={quoteattr(domain)}>", f"    <domain>{escape(domain)}</domain>",
             f"    <displayName>{escape(name)}</displayName>",
             f"    <displayShortName>{escape(domain)}</displayShortName>"]
    for port, socket_type in imap:
        lines += _server("incomingServer", "imap", host, port, socket_type)
    for port, socket_type in smtp:
        lines += _server("outgoingServer", "smtp", host, port, socket_type)
    lines += [f"    <enable visiturl={quoteattr(change)}>",
              f'      <instruction lang="vi">{escape(page["mail_client_change"])}</instruction>',
              "    </enable>", f"    <documentation url={quoteattr(change)}>",
              f'      <descr lang="vi">{escape(page["title"])}</descr>', "    </documentation>",
              "  </emailProvider>", "</clientConfig>", ""]
    return "\n".join(lines)


def requested_address(body: bytes) -> str:
    """The ``EMailAddress`` of an Outlook autodiscover request, or ``Refused``."""
    if len(body) > MAX_REQUEST:
        raise Refused("request too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("not UTF-8") from None
    if "<!" in text or "\x00" in text:
        raise Refused("DOCTYPE, entity, comment or CDATA")
    declared = re.match(r"^\ufeff?<\?xml[^>]*encoding=[\"']([^\"']+)", text)
    if declared and declared.group(1).lower() not in ("utf-8", "us-ascii"):
        raise Refused("not UTF-8")
    return _parse(text.lstrip("\ufeff"))


def _parse(text: str) -> str:
    found: dict[str, list[str]] = {"path": [], "address": []}
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args):
        raise Refused("DOCTYPE or entity")

    def start(name, _attrs):
        found["path"].append(name.rsplit(" ", 1)[-1])

    def end(_name):
        found["path"].pop()

    def text_of(data):
        if found["path"][-2:] == ["Request", "EMailAddress"]:
            found["address"].append(data)

    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = parser.UnparsedEntityDeclHandler = refuse
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text_of
    try:
        parser.Parse(text, True)
    except expat.ExpatError:
        raise Refused("not well-formed") from None
    address = "".join(found["address"]).strip()
    if not address:
        raise Refused("no EMailAddress")
    return address


def outlook(config: dict, address: str) -> str:
    """Outlook's autodiscover answer (POX, outlook responseschema 2006a) for ``address``."""
    host = escape(config["hostname"])
    imap, smtp = _servers(config)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<Autodiscover xmlns="{RESPONSE_NS}">',
             f'  <Response xmlns="{OUTLOOK_NS}">', "    <Account>",
             "      <AccountType>email</AccountType>", "      <Action>settings</Action>"]
    for kind, servers in (("IMAP", imap), ("SMTP", smtp)):
        if servers:
            port, socket_type = servers[0]
            lines += _protocol(kind, host, port, socket_type, escape(address))
    lines += ["    </Account>", "  </Response>", "</Autodiscover>", ""]
    return "\n".join(lines)


def _protocol(kind: str, host: str, port: int, socket_type: str, login: str) -> list[str]:
    # SSL on: TLS from the first byte (993, 465); Encryption TLS: STARTTLS (143, 587).
    security = ("        <SSL>on</SSL>" if socket_type == "SSL" else
                "        <SSL>off</SSL>\n        <Encryption>TLS</Encryption>")
    return ["      <Protocol>", f"        <Type>{kind}</Type>", f"        <Server>{host}</Server>",
            f"        <Port>{port}</Port>", f"        <LoginName>{login}</LoginName>",
            "        <DomainRequired>off</DomainRequired>", "        <SPA>off</SPA>",
            security, "        <AuthRequired>on</AuthRequired>", "      </Protocol>"]


def outlook_error(code: int, message: str) -> str:
    """Outlook's autodiscover error answer (``ErrorCode`` 600: invalid request)."""
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>', f'<Autodiscover xmlns="{RESPONSE_NS}">',
        "  <Response>", "    <Error>", f"      <ErrorCode>{code}</ErrorCode>",
        f"      <Message>{escape(message)}</Message>", "      <DebugData />", "    </Error>",
        "  </Response>", "</Autodiscover>", ""])
