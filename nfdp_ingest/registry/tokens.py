"""API bearer tokens: the secret is shown once, only its SHA-256 is stored.

A presented token is hashed and looked up by its hash (indexed, unique); the
stored and computed digests are then compared with ``hmac.compare_digest``.
Revoked tokens stay in the table (with ``revoked_at``) so a name is never
silently reused for a different secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, UsageError
from .models import ApiToken, utcnow

PREFIX = "nfdp_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(session: Session, name: str) -> str:
    """Create a token called ``name``; returns the secret (the only time it exists in clear)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise UsageError("a token name must be 1 to 200 characters")
    if session.execute(select(ApiToken.id).where(ApiToken.name == name)).first():
        raise InvalidInput(f"a token named {name!r} exists already (revoke it or choose another name)")
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(secret)))
    session.flush()
    return secret


def revoke(session: Session, name: str) -> None:
    token = session.execute(select(ApiToken).where(ApiToken.name == name)).scalar_one_or_none()
    if token is None:
        raise InvalidInput(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def verify(session: Session, secret: str | None, *, touch: bool = False) -> ApiToken | None:
    """The live token whose secret this is, else None. ``touch`` records the use."""
    if not secret or len(secret) > 512:
        return None
    digest = hash_token(secret)
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
        return None
    if touch:
        token.last_used_at = utcnow()
    return token

