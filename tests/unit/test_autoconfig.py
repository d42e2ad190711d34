"""Mail clients that configure themselves (plugins/module_utils/web/autoconfig.py), in-process.

Thunderbird's clientConfig is parsed back and carries the configuration's ports; Outlook's
autodiscover answers an address of the domain, refuses another domain with an error answer,
and refuses a DOCTYPE or an entity (XXE, billion laughs) before anything is expanded.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from wsgiref.util import setup_testing_defaults

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.web import app as web
from ansible_collections.hungyen.mail.plugins.module_utils.web import autoconfig
from ansible_collections.hungyen.mail.plugins.module_utils.web.messages import PAGE
from glossary_check import findings

DOMAIN = "hungyen.gov.vn"
PAGE_URL = "https://mail.hungyen.gov.vn/doimatkhau"
CONFIG = {"domain": DOMAIN, "helper_socket": "/nonexistent/helper.sock",
          "password_page": PAGE_URL, "web_url": "https://mail.hungyen.gov.vn",
          "hostname": "mail.hungyen.gov.vn", "imap_port": 10143, "imaps_port": 10993,
          "submission_port": 10587, "submissions_port": 10465}
REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
R = "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}"
A = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


def never_called(*_args, **_kwargs):
    raise AssertionError("the mail clients' set-up never asks the password helper")


def call(config: dict, method: str, path: str, body: bytes = b"", query: str = ""):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
           "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
           "CONTENT_TYPE": "text/xml"}
    setup_testing_defaults(env)
    started = []
    app = web.make_app(config, change=never_called)
    body = b"".join(app(env, lambda status, headers: started.append((status, dict(headers)))))
    status, headers = started[0]
    return int(status.split()[0]), headers, body


def outlook_request(address: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="{REQUEST_NS}">'
            f"<Request><EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>"
            "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
            "</AcceptableResponseSchema></Request></Autodiscover>").encode()


# ---------------------------------------------------------------------------------- Thunderbird

def servers(document: ET.Element, tag: str) -> list[tuple]:
    return [(s.get("type"), s.findtext("hostname"), int(s.findtext("port")),
             s.findtext("socketType"), s.findtext("username"), s.findtext("authentication"))
            for s in document.iter(tag)]


@pytest.mark.parametrize("path", ["/.well-known/autoconfig/mail/config-v1.1.xml",
                                  "/mail/config-v1.1.xml"])
def test_thunderbird_gets_valid_xml_with_the_configured_ports(path):
    status, headers, body = call(CONFIG, "GET", path, query=f"emailaddress=nvan%40{DOMAIN}")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    document = ET.fromstring(body)
    assert document.tag == "clientConfig" and document.get("version") == "1.1"
    provider = document.find("emailProvider")
    assert provider.get("id") == DOMAIN and provider.findtext("domain") == DOMAIN
    host = "mail.hungyen.gov.vn"
    assert servers(document, "incomingServer") == [
        ("imap", host, 10993, "SSL", "%EMAILADDRESS%", "password-cleartext"),
        ("imap", host, 10143, "STARTTLS", "%EMAILADDRESS%", "password-cleartext")]
    assert servers(document, "outgoingServer") == [
        ("smtp", host, 10465, "SSL", "%EMAILADDRESS%", "password-cleartext"),
        ("smtp", host, 10587, "STARTTLS", "%EMAILADDRESS%", "password-cleartext")]
    assert provider.find("enable").get("visiturl") == PAGE_URL
    assert provider.find("documentation").get("url") == PAGE_URL


@pytest.mark.parametrize(("ports", "incoming", "outgoing"), [
    pytest.param({"imap_port": 0, "submission_port": None}, [993], [465], id="TLS only"),
    pytest.param({"imaps_port": 0, "submissions_port": 0}, [143], [587], id="STARTTLS only"),
    pytest.param({}, [993, 143], [465, 587], id="the defaults"),
])
def test_a_port_of_zero_is_not_offered(ports, incoming, outgoing):
    config = {key: value for key, value in CONFIG.items() if not key.endswith("_port")}
    document = ET.fromstring(call({**config, **ports}, "GET", "/mail/config-v1.1.xml")[2])
    assert [port for _t, _h, port, *_ in servers(document, "incomingServer")] == incoming
    assert [port for _t, _h, port, *_ in servers(document, "outgoingServer")] == outgoing


def test_thunderbird_s_texts_are_escaped_and_follow_the_glossary():
    config = {**CONFIG, "display_name": "Thư công vụ <Hưng Yên> & \"ngành\"",
              "password_page": "https://mail.hungyen.gov.vn/doimatkhau?a=1&b=<2>"}
    document = ET.fromstring(call(config, "GET", "/mail/config-v1.1.xml")[2])
    provider = document.find("emailProvider")
    assert provider.findtext("displayName") == config["display_name"]
    assert provider.find("enable").get("visiturl") == config["password_page"]
    words = [provider.findtext("enable/instruction"), provider.findtext("documentation/descr")]
    assert words == [PAGE["mail_client_change"], PAGE["title"]]
    assert findings("\n".join(words), "config-v1.1.xml") == []


def test_thunderbird_asking_for_another_domain_gets_a_refusal():
    status, _headers, body = call(CONFIG, "GET", "/mail/config-v1.1.xml",
                                  query="emailaddress=nvan%40example.com")
    assert status == 404 and body.decode().startswith("HYM046")


# ---------------------------------------------------------------------------------- Outlook

def protocols(document: ET.Element) -> list[dict]:
    return [{child.tag.removeprefix(A): child.text for child in protocol}
            for protocol in document.iter(f"{A}Protocol")]


@pytest.mark.parametrize("path", ["/autodiscover/autodiscover.xml",
                                  "/Autodiscover/Autodiscover.xml"])
@pytest.mark.parametrize("address", ["nvan@hungyen.gov.vn", "Pnv.TienLu@HungYen.gov.vn"])
def test_outlook_gets_the_settings_for_an_address_of_the_domain(path, address):
    status, headers, body = call(CONFIG, "POST", path, outlook_request(address))
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    document = ET.fromstring(body)
    assert document.tag == f"{R}Autodiscover"
    assert document.findtext(f"{A}Response/{A}Account/{A}Action") == "settings"
    imap, smtp = protocols(document)
    assert (imap["Type"], imap["Port"], imap["SSL"], imap["LoginName"]) == (
        "IMAP", "10993", "on", address)
    assert (smtp["Type"], smtp["Port"], smtp["SSL"], smtp["LoginName"]) == (
        "SMTP", "10465", "on", address)
    assert imap["Server"] == smtp["Server"] == "mail.hungyen.gov.vn"


def test_outlook_without_tls_ports_gets_starttls():
    config = {**CONFIG, "imaps_port": 0, "submissions_port": 0}
    imap, smtp = protocols(ET.fromstring(call(config, "POST", "/autodiscover/autodiscover.xml",
                                              outlook_request("nvan@hungyen.gov.vn"))[2]))
    assert (imap["Port"], imap["SSL"], imap["Encryption"]) == ("10143", "off", "TLS")
    assert (smtp["Port"], smtp["SSL"], smtp["Encryption"]) == ("10587", "off", "TLS")


def error_of(body: bytes) -> tuple[str, str]:
    document = ET.fromstring(body)
    return (document.findtext(f"{R}Response/{R}Error/{R}ErrorCode"),
            document.findtext(f"{R}Response/{R}Error/{R}Message"))


@pytest.mark.parametrize("address", [
    "nvan@example.com", "nvan@hungyen.gov.vn.example.com", "nvan@evil-hungyen.gov.vn",
    "&lt;b&gt;x&lt;/b&gt;@example.com", "a&amp;b@hungyen.gov.vn", "nvan",
])
def test_outlook_asking_for_another_address_gets_an_error_answer(address):
    status, _headers, body = call(CONFIG, "POST", "/autodiscover/autodiscover.xml",
                                  outlook_request(address))
    code, message = error_of(body)  # well-formed: whatever was asked is escaped
    assert (status, code) == (403, "600") and message.startswith("HYM046")


HOSTILE = [
    pytest.param(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                 b"<Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request>"
                 b"</Autodiscover>", id="external entity"),
    pytest.param(b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
                 b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><Autodiscover><Request><EMailAddress>'
                 b"&c;@hungyen.gov.vn</EMailAddress></Request></Autodiscover>",
                 id="billion laughs"),
    pytest.param(b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://192.0.2.1/x.dtd"> %p;]><r/>',
                 id="parameter entity"),
    pytest.param(b'<!DOCTYPE r SYSTEM "http://192.0.2.1/x.dtd"><r/>', id="external DTD"),
    pytest.param('<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY x SYSTEM '
                 '"file:///etc/passwd">]><r>&x;</r>'.encode("utf-16"), id="UTF-16"),
    pytest.param(b'<?xml version="1.0" encoding="latin-1"?><r/>', id="another encoding"),
    pytest.param(b"<Autodiscover><Request><EMailAddress>nvan@hungyen.gov.vn</EMailAddress>"
                 b"<!-- x --></Request></Autodiscover>", id="a comment"),
    pytest.param(b"<Autodiscover><Request><EMailAddress>&amp;nvan@hungyen.gov.vn"
                 b"</EMailAddress></Request>", id="not well-formed"),
    pytest.param(b"<Autodiscover><Request><EMailAddress>x&undefined;</EMailAddress>"
                 b"</Request></Autodiscover>", id="an undefined entity"),
    pytest.param(b"<Autodiscover><Request/></Autodiscover>", id="no address"),
    pytest.param(b"nvan@hungyen.gov.vn", id="not XML"),
    pytest.param(b"", id="empty"),
    pytest.param(outlook_request("nvan@hungyen.gov.vn") + b" " * autoconfig.MAX_REQUEST,
                 id="too large"),
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_a_doctype_an_entity_or_a_malformed_request_is_refused(payload):
    status, _headers, body = call(CONFIG, "POST", "/autodiscover/autodiscover.xml", payload)
    code, message = error_of(body)
    assert (status, code) == (400, "600") and message.startswith("HYM048")
    assert b"root:" not in body and b"aaaaaaaaaa" not in body


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_reader_itself_refuses_what_the_route_refuses(payload):
    with pytest.raises(autoconfig.Refused):
        autoconfig.requested_address(payload)


def test_the_reader_reads_a_plain_request():
    request = outlook_request("nvan@hungyen.gov.vn")
    assert autoconfig.requested_address(request) == "nvan@hungyen.gov.vn"
    assert autoconfig.requested_address(b"\xef\xbb\xbf" + request) == "nvan@hungyen.gov.vn"


def test_outlook_s_get_is_refused_with_an_error_answer():
    status, headers, body = call(CONFIG, "GET", "/autodiscover/autodiscover.xml")
    assert status == 405 and headers["Allow"] == "POST"
    assert error_of(body) == ("600", error_of(body)[1]) and error_of(body)[1].startswith("HYM049")


@pytest.mark.parametrize("payload", HOSTILE[:4])
def test_expat_refuses_a_doctype_even_past_the_first_check(payload):
    """The textual check comes first; the parser's own handlers refuse a DOCTYPE too."""
    with pytest.raises(autoconfig.Refused, match="DOCTYPE or entity|not well-formed"):
        autoconfig._parse(payload.decode())
