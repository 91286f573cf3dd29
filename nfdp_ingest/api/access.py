"""Who is calling: the request's token, and whether it may act.

PLACEHOLDER (branch ``remote``): the access helper's version (roles, projects, embargo)
replaces this module at merge; only these three signatures are relied on. Here any live
token may do anything, and reads see everything.
"""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from ..registry import tokens
from ..registry.models import ApiToken
from .common import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nfdp"'}
ACTIONS = ("stage", "submit", "create_experiment", "create_project", "validate")

Viewer = ApiToken | None  # who reads: a token, or anonymous (None)


def _secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return secret.strip()
    return request.cookies.get("nfdp_token") or None


def caller(session: Session) -> ApiToken | None:
    """The request's token; None when it presents none; 401 when it presents a bad one."""
    secret = _secret()
    if secret is None:
        return None
    token = tokens.verify(session, secret)
    if token is None:
        raise ApiError(401, "the bearer token is not valid (unknown or revoked)", headers=CHALLENGE)
    return token


def require(session: Session, action: str, project: str | None = None) -> ApiToken:
    """The request's token if it may do ``action`` (in ``project``); else 401 / 403."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    token = caller(session)
    if token is None:
        raise ApiError(401, "a bearer token is required (Authorization: Bearer <token>)", headers=CHALLENGE)
    return token


def viewer(session: Session) -> Viewer:
    return caller(session)
