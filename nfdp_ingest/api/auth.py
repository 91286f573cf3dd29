"""Bearer tokens for the write endpoints (hashed in the database, constant-time compare)."""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from ..registry import tokens
from .common import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nfdp"'}


def bearer_secret() -> str:
    """The token of ``Authorization: Bearer …``, else 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "a bearer token is required (Authorization: Bearer <token>)", headers=CHALLENGE)
    return secret.strip()


def require_token(session: Session, secret: str, *, touch: bool = False):
    token = tokens.verify(session, secret, touch=touch)
    if token is None:
        raise ApiError(401, "the bearer token is not valid (unknown or revoked)", headers=CHALLENGE)
    return token
