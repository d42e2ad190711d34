"""Is the certificate the inventory names usable? A functional core over what ``openssl``
says about the files (:func:`read`), so the rules are tested without files or a host.

A missing file, an unreadable certificate or a key that does not match it is an error
(the apply stops before a running server is touched); a certificate without the host's
name, or one that expires within ``warn_days``, is a warning.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .messages import render

WARN_DAYS = 14
DNS_NAME = re.compile(r"DNS:([^,\s]+)")
COMMON_NAME = re.compile(r"(?:^|,)\s*CN\s*=\s*([^,]+)")


@dataclass(frozen=True)
class Facts:
    """What the mail host says about the two files."""

    cert_exists: bool = True
    key_exists: bool = True
    cert_error: str = ""  # openssl's complaint when the certificate cannot be read
    key_matches: bool = True
    names: tuple[str, ...] = ()
    not_after: datetime.datetime | None = None


@dataclass
class Verdict:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def assess(facts: Facts, cert: str, key: str, hostname: str, now: datetime.datetime,
           warn_days: int = WARN_DAYS) -> Verdict:
    """The errors (stop the apply) and warnings for these facts."""
    verdict = Verdict()
    if not facts.cert_exists:
        verdict.errors.append(render("HYS001", path=cert))
    if not facts.key_exists:
        verdict.errors.append(render("HYS002", path=key))
    if verdict.errors:
        return verdict
    if facts.cert_error:
        verdict.errors.append(render("HYS003", path=cert, detail=facts.cert_error))
        return verdict
    if not facts.key_matches:
        verdict.errors.append(render("HYS004", path=cert, key=key))
    if not name_matches(hostname, facts.names):
        verdict.warnings.append(render("HYS005", path=cert, hostname=hostname,
                                       names=", ".join(facts.names) or "không có"))
    if facts.not_after is not None and facts.not_after - now < datetime.timedelta(warn_days):
        days = max(0, (facts.not_after - now).days)
        verdict.warnings.append(render("HYS006", path=cert, days=days,
                                       expires=facts.not_after.strftime("%d/%m/%Y")))
    return verdict


def name_matches(hostname: str, names: tuple[str, ...]) -> bool:
    """RFC 6125: exact (case-insensitive), or ``*.`` standing for exactly one left label."""
    host = hostname.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def parse_x509(text: str) -> tuple[tuple[str, ...], datetime.datetime | None]:
    """Names and expiry from ``openssl x509 -noout -subject -enddate -ext subjectAltName``.
    The subject's CN counts only when there is no subjectAltName (RFC 6125)."""
    names = tuple(DNS_NAME.findall(text))
    if not names:
        subject = next((line.split("=", 1)[1] for line in text.splitlines()
                        if line.startswith("subject=")), "")
        names = tuple(name.strip() for name in COMMON_NAME.findall(subject))
    expiry = next((line.split("=", 1)[1].strip() for line in text.splitlines()
                   if line.startswith("notAfter=")), "")
    not_after = None
    if expiry:
        not_after = datetime.datetime.strptime(" ".join(expiry.split()), "%b %d %H:%M:%S %Y %Z")
        not_after = not_after.replace(tzinfo=datetime.UTC)
    return names, not_after


# run(argv) -> (rc, stdout, stderr), as AnsibleModule.run_command
Runner = Callable[[list[str]], tuple[int, str, str]]


def read(cert: str, key: str, run: Runner, exists: Callable[[str], bool]) -> Facts:
    """The facts, from ``openssl`` on the mail host."""
    if not (exists(cert) and exists(key)):
        return Facts(cert_exists=exists(cert), key_exists=exists(key))
    rc, shown, error = run(["openssl", "x509", "-in", cert, "-noout", "-subject", "-enddate",
                            "-ext", "subjectAltName"])
    if rc != 0:
        return Facts(cert_error=" ".join(error.split())[:200] or f"openssl: {rc}")
    names, not_after = parse_x509(shown)
    from_cert = run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"])
    from_key = run(["openssl", "pkey", "-in", key, "-pubout"])
    matches = from_cert[0] == 0 == from_key[0] and from_cert[1].strip() == from_key[1].strip()
    return Facts(key_matches=matches, names=names, not_after=not_after)
