"""Where a request carries its token: ``Authorization: Bearer …``, else the ``nfdp_token`` cookie.

Checking the token (hashed in the database, constant-time compare, role, projects,
expiry) is ``api/access.py``'s job; this module only reads the secret off the request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from .common import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nfdp"'}
COOKIE = "nfdp_token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def presented_secret() -> str | None:
    """The secret this request presents, None if it presents none.

    ``Authorization: Bearer`` with nothing after it is a 401 (a token was meant but not
    sent); another scheme (Basic, …) is not ours and counts as no token. A cookie is not
    accepted on a write from another site (the Origin header names another host), so a
    page elsewhere cannot act with a browser's cookie.
    """
    header = request.headers.get("Authorization", "").strip()
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() == "bearer":
            if not secret.strip():
                raise ApiError(401, "the bearer token is empty (Authorization: Bearer <token>)", headers=CHALLENGE)
            return secret.strip()
    cookie = request.cookies.get(COOKIE, "").strip()
    if not cookie:
        return None
    if request.method not in _SAFE_METHODS:
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            raise ApiError(403, f"a write from another site ({origin[:100]}) may not use the {COOKIE} cookie; "
                                "send Authorization: Bearer <token>")
    return cookie
