"""Who is calling and what they may do: the one place the API checks tokens.

``caller`` finds the request's token, ``require`` checks a write (role and project),
``viewer`` says who reads (the embargo filter of registry/visibility.py). A token's
use is written to ``last_used_at`` after the response is made (``record_use``), at
most once a minute per token, in its own short transaction — never inside the
view's, so a read never holds the write lock and a write never waits on itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import g
from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..registry import tokens
from ..registry.db import transaction
from ..registry.models import ApiToken, utcnow
from ..registry.visibility import ANONYMOUS, EVERYONE, Viewer
from .auth import CHALLENGE, presented_secret
from .common import ApiError, state

log = logging.getLogger("nfdp_ingest.api.access")

TOUCH_EVERY = timedelta(seconds=60)
_REJECTED = {
    "unknown": "the bearer token is not valid (unknown token)",
    "expired": "the bearer token has expired; ask for a new one",
    "revoked": "the bearer token has been revoked",
}
_DOING = {
    "stage": "stage files", "submit": "submit", "validate": "validate sheets",
    "create_experiment": "create experiments", "create_project": "create projects",
}


def caller(session: Session) -> ApiToken | None:
    """The token of this request (Authorization: Bearer, or the `nfdp_token` cookie), None if none
    was given; 401 ApiError if one was given but is unknown, expired or revoked. Records last_used_at."""
    secret = presented_secret()
    if secret is None:
        return None
    try:
        token = tokens.authenticate(session, secret)
    except tokens.TokenRejected as exc:
        log.info("bearer token refused (%s)", exc.reason)  # never the secret
        raise ApiError(401, _REJECTED[exc.reason], headers=CHALLENGE) from None
    log.debug("request by token %r (%s)", token.name, token.role)
    if token.last_used_at is None or utcnow() - token.last_used_at >= TOUCH_EVERY:
        g.nfdp_token_used = token.id
    return token


def require(session: Session, action: str, project: str | None = None) -> ApiToken:
    """The caller's token if it may do `action` ('stage', 'submit', 'create_experiment',
    'create_project', 'validate') in `project` (an accession; None for actions without one);
    401 without a valid token, 403 with `{"detail"}` naming the role/project otherwise."""
    if action not in tokens.ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    token = caller(session)
    if token is None:
        raise ApiError(401, f"a bearer token is required to {_DOING[action]} (Authorization: Bearer <token>)",
                       headers=CHALLENGE)
    if not tokens.may(token.role, action):
        raise ApiError(403, f"token {token.name!r} is a {token.role} token and may not {_DOING[action]} "
                            f"(needs {' or '.join(tokens.allowed_roles(action))})")
    if project is not None and token.role != "admin" and project not in token.project_accessions:
        raise ApiError(403, f"token {token.name!r} ({token.role}) may not {_DOING[action]} in project "
                            f"{project[:40]!r}; it acts on {', '.join(token.project_accessions)}")
    return token


def viewer_of(token: ApiToken | None) -> Viewer:
    if token is None:
        return ANONYMOUS
    if token.role == "admin":
        return EVERYONE
    return Viewer(project_ids=token.project_ids)


def viewer(session: Session | Connection) -> Viewer:
    """Who is reading (for the embargo filter): anonymous, or a token's admin flag and project ids.
    Accepts a Session or a Core Connection (the read views use Connections); no query when
    the request carries no token."""
    if presented_secret() is None:
        return ANONYMOUS
    if isinstance(session, Connection):
        with Session(bind=session) as orm:
            return viewer_of(caller(orm))
    return viewer_of(caller(session))


def record_use(response):
    """after_request: write the token's last use (outside the view's transactions)."""
    token_id = g.pop("nfdp_token_used", None)
    if token_id is not None:
        try:
            with transaction(state().write_engine) as session:
                session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
        except SQLAlchemyError as exc:  # bookkeeping only: the answer stands
            log.warning("could not record the use of token id %s: %s", token_id, type(exc).__name__)
    return response
