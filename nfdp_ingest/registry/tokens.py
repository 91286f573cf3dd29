"""API bearer tokens: a role, the projects it may act on, an optional expiry.

The secret is shown once; only its SHA-256 is stored. A presented secret is hashed
and looked up by that digest (unique index). The lookup's timing can only tell an
attacker about digests of secrets they already chose, never about a stored secret,
so the index compare is safe; ``hmac.compare_digest`` then re-checks the row in
constant time. Revoked tokens stay in the table (with ``revoked_at``) so a name is
never silently reused for a different secret.

Roles: a ``submitter`` stages files and submits sheets to its projects; a
``curator`` also creates experiments in its projects; an ``admin`` acts everywhere
and creates projects. Tokens of one of its projects (and admins) also see an
embargoed project.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, UsageError
from .models import ApiToken, ApiTokenProject, Project, utcnow

SECRET_PREFIX = "nfdp_"
ROLES = ("submitter", "curator", "admin")

# action → the roles allowed to do it (in the projects of the token, unless admin)
ACTIONS: dict[str, frozenset[str]] = {
    "validate": frozenset(ROLES),
    "stage": frozenset(ROLES),
    "submit": frozenset(ROLES),
    "create_experiment": frozenset({"curator", "admin"}),
    "create_project": frozenset({"admin"}),
}

_DURATION = re.compile(r"^\s*([0-9]{1,5})\s*([hdw])\s*$", re.IGNORECASE)
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
MAX_LIFETIME = timedelta(days=3660)


class TokenRejected(LookupError):
    """A presented secret that is not a live token: ``reason`` says why (unknown, expired, revoked)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_lifetime(text: str | None) -> timedelta | None:
    """``90d``, ``12h``, ``2w`` → a timedelta; None/empty → never expires; else UsageError."""
    if text is None or not text.strip():
        return None
    m = _DURATION.match(text)
    if not m or int(m.group(1)) == 0:
        raise UsageError(f"--expires {text!r} is not a lifetime like 90d, 12h or 2w")
    lifetime = int(m.group(1)) * _UNIT[m.group(2).lower()]
    if lifetime > MAX_LIFETIME:
        raise UsageError(f"--expires {text!r} is longer than {MAX_LIFETIME.days} days")
    return lifetime


def may(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` at all (projects aside)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
    return role in ACTIONS[action]


def allowed_roles(action: str) -> list[str]:
    return [r for r in ROLES if r in ACTIONS[action]]


def create(session: Session, name: str, role: str = "admin", projects: tuple[str, ...] | list[str] = (),
           lifetime: timedelta | None = None) -> str:
    """Create a token; returns the secret (the only time it exists in clear).

    A submitter or curator needs at least one project (accessions, which must exist);
    an admin acts on every project and takes none.
    """
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise UsageError("a token name must be 1 to 200 characters")
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    wanted = list(dict.fromkeys(p.strip() for p in projects if p and p.strip()))
    if role == "admin" and wanted:
        raise UsageError("an admin token acts on every project; give no --project")
    if role != "admin" and not wanted:
        raise UsageError(f"a {role} token needs at least one --project")
    if session.execute(select(ApiToken.id).where(ApiToken.name == name)).first():
        raise InvalidInput(f"a token named {name!r} exists already (revoke it or choose another name)")
    found = dict(session.execute(select(Project.accession, Project.id).where(Project.accession.in_(wanted))).all())
    missing = [p for p in wanted if p not in found]
    if missing:
        raise InvalidInput(f"no project with accession {', '.join(missing)}")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(name=name, token_hash=hash_token(secret), role=role, created_at=now,
                     expires_at=now + lifetime if lifetime else None)
    session.add(token)
    session.flush()
    if wanted:
        session.execute(ApiTokenProject.__table__.insert(),
                        [{"token_id": token.id, "project_id": found[p]} for p in wanted])
    return secret


def revoke(session: Session, name: str) -> None:
    token = session.execute(select(ApiToken).where(ApiToken.name == name)).scalar_one_or_none()
    if token is None:
        raise InvalidInput(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def authenticate(session: Session, secret: str | None, now: datetime | None = None) -> ApiToken:
    """The live token whose secret this is; else TokenRejected saying why."""
    if not secret or len(secret) > 512:
        raise TokenRejected("unknown")
    digest = hash_token(secret)
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise TokenRejected("unknown")
    if token.revoked_at is not None:
        raise TokenRejected("revoked")
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        raise TokenRejected("expired")
    return token


def verify(session: Session, secret: str | None, *, touch: bool = False) -> ApiToken | None:
    """The live token whose secret this is, else None. ``touch`` records the use."""
    try:
        token = authenticate(session, secret)
    except TokenRejected:
        return None
    if touch:
        token.last_used_at = utcnow()
    return token


def project_accessions(token: ApiToken) -> list[str]:
    """The accessions of the projects this token may act on (empty for an admin: it acts on all)."""
    return token.project_accessions


@dataclass(frozen=True)
class TokenInfo:
    """What ``token list`` shows: everything but the secret (which is not stored)."""

    name: str
    role: str
    projects: list[str]
    status: str  # active | expired | revoked
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "projects": self.projects, "status": self.status,
                "created_at": _iso(self.created_at), "expires_at": _iso(self.expires_at),
                "last_used_at": _iso(self.last_used_at), "revoked_at": _iso(self.revoked_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def status(token: ApiToken, now: datetime | None = None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def list_tokens(session: Session) -> list[TokenInfo]:
    now = utcnow()
    return [
        TokenInfo(t.name, t.role, t.project_accessions, status(t, now), t.created_at, t.expires_at,
                  t.last_used_at, t.revoked_at)
        for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
    ]
