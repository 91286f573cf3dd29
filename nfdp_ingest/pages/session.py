"""The token of a browser: POST /session keeps it in the ``nfdp_token`` cookie, POST
/session/end forgets it; ``reader`` says who reads a page.

The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page or
link sends it) and Secure when the page is served over HTTPS (the request, or
NFDP_PUBLIC_URL https:// behind a TLS proxy). Both forms are refused unless the browser
says they were sent from this site (``Origin``, else ``Referer``): another site cannot
log a browser in with its own token, nor out. The token is checked before it is kept
and is never written into a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import redirect, request
from sqlalchemy.orm import Session

from ..api import access
from ..api.auth import COOKIE
from ..api.common import state
from ..registry import tokens
from ..registry.visibility import Viewer
from . import bp

MAX_AGE = 30 * 24 * 3600  # the browser forgets the token after 30 days (the token may expire sooner)


@dataclass(frozen=True)
class TokenInfo:
    """What a page says about the token in use (never the secret)."""

    name: str
    role: str
    projects: tuple[str, ...]


def reader() -> tuple[Viewer, TokenInfo | None]:
    """Who reads this request (Authorization: Bearer, else the cookie): the embargo viewer and
    the token's name and role; ApiError 401 for a token that is unknown, expired or revoked."""
    with Session(state().read_engine) as session:
        token = access.caller(session)
        if token is None:
            return access.viewer_of(None), None
        return access.viewer_of(token), TokenInfo(token.name, token.role, tuple(token.project_accessions))


def _from_this_site() -> bool:
    """The form was sent by a page of this host (Origin, else Referer; neither: refused)."""
    sent_by = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent_by or sent_by == "null":
        return False
    return urlsplit(sent_by).netloc == request.host


def _back_to(target: str | None) -> str:
    """A path on this site to return to (never another host: ``//x`` and ``\\x`` are refused)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\r" not in target \
            and "\n" not in target:
        return target
    return "/"


def secure() -> bool:
    return request.is_secure or (state().settings.public_url or "").lower().startswith("https://")


@bp.post("/session")
def start_session():
    from .errors import error_page

    if not _from_this_site():
        return error_page(403, "The token form must be sent from this site's own pages.")
    secret = (request.form.get("token") or "").strip()
    if not secret:
        return error_page(400, "Enter a token in the token field.")
    with Session(state().read_engine) as session:
        try:
            tokens.authenticate(session, secret)
        except tokens.TokenRejected as exc:
            why = {"unknown": "is not a valid token", "expired": "has expired; ask for a new one",
                   "revoked": "has been revoked"}[exc.reason]
            return error_page(401, f"The token you entered {why}. Nothing was kept.")
    response = redirect(_back_to(request.form.get("next")), 303)
    response.set_cookie(COOKIE, secret, max_age=MAX_AGE, path="/", secure=secure(), httponly=True,
                        samesite="Strict")
    return response


@bp.post("/session/end")
def end_session():
    from .errors import error_page

    if not _from_this_site():
        return error_page(403, "The form must be sent from this site's own pages.")
    response = redirect(_back_to(request.form.get("next")), 303)
    response.delete_cookie(COOKIE, path="/", secure=secure(), httponly=True, samesite="Strict")
    return response
