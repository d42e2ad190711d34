"""The form's protection against cross-site requests: a double-submit token.

``GET /doimatkhau`` sets a random token in a cookie (HttpOnly, SameSite=Strict, Path=/; named
with the ``__Host-`` prefix and Secure when the browser came over HTTPS: nginx's
X-Forwarded-Proto, which waitress turns into ``wsgi.url_scheme``) and writes the
same token in a hidden field; ``POST /doimatkhau`` goes on only when both are present and
equal (compared in constant time). Another site can neither read the cookie nor make the
browser send it (SameSite=Strict), so it cannot fill in the field. No server-side state.
"""

from __future__ import annotations

import hmac
import re
import secrets
from http.cookies import CookieError, SimpleCookie

FIELD = "csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def cookie_name(secure: bool) -> str:
    return "__Host-hymail-csrf" if secure else "hymail-csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def from_cookies(header: str, secure: bool) -> str:
    """The token of the request's ``Cookie`` header, or "" when it has none (or a bad one)."""
    cookies = SimpleCookie()
    try:
        cookies.load(header or "")
    except CookieError:
        return ""
    morsel = cookies.get(cookie_name(secure))
    value = morsel.value if morsel is not None else ""
    return value if _TOKEN.match(value) else ""


def set_cookie(token: str, secure: bool) -> tuple[str, str]:
    """The ``Set-Cookie`` header that gives the browser ``token``."""
    flags = "; Secure" if secure else ""
    return ("Set-Cookie",
            f"{cookie_name(secure)}={token}; Path=/; HttpOnly; SameSite=Strict{flags}")


def valid(cookie_token: str, field_token: str) -> bool:
    """Whether the cookie's and the field's tokens are present, well formed and equal."""
    if not (_TOKEN.match(cookie_token or "") and _TOKEN.match(field_token or "")):
        return False
    return hmac.compare_digest(cookie_token.encode(), field_token.encode())
