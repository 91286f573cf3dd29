"""registry/tokens.py: roles, projects, lifetimes, reasons for refusal, the list (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from nfdp_ingest.errors import InvalidInput, UsageError
from nfdp_ingest.registry import tokens
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import ApiToken, ApiTokenProject, utcnow
from tests.factories import make_project


@pytest.fixture
def projects(engine) -> list[str]:
    with transaction(engine) as s:
        return [make_project(s).accession for _ in range(3)]


def test_create_stores_role_projects_expiry_and_only_the_hash(engine, projects):
    with transaction(engine) as s:
        secret = tokens.create(s, "lab", "curator", [projects[1], projects[0], projects[1]], timedelta(days=90))
    with transaction(engine) as s:
        token = s.scalar(select(ApiToken).where(ApiToken.name == "lab"))
        assert token.role == "curator"
        assert sorted(tokens.project_accessions(token)) == sorted(projects[:2])
        assert token.project_ids == frozenset(s.scalars(select(ApiTokenProject.project_id)))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert timedelta(days=89, hours=23) < token.expires_at - token.created_at <= timedelta(days=90)
        assert secret not in repr(token.__dict__)


@pytest.mark.parametrize("role,chosen,error,words", [
    ("owner", [], UsageError, "role"),
    ("submitter", [], UsageError, "--project"),
    ("curator", [" "], UsageError, "--project"),
    ("admin", ["P0"], UsageError, "admin"),
    ("submitter", ["NFDP-PRJ-999999"], InvalidInput, "NFDP-PRJ-999999"),
])
def test_create_refuses(engine, projects, role, chosen, error, words):
    chosen = [projects[0] if c == "P0" else c for c in chosen]
    with transaction(engine) as s, pytest.raises(error, match=words):
        tokens.create(s, "x", role, chosen)
    with engine.connect() as conn:
        assert conn.execute(select(ApiToken.id)).first() is None  # nothing half-written


def test_authenticate_says_why(engine, projects):
    with transaction(engine) as s:
        live = tokens.create(s, "live", "submitter", [projects[0]])
        old = tokens.create(s, "old", "admin", lifetime=timedelta(hours=1))
        gone = tokens.create(s, "gone", "admin")
        tokens.revoke(s, "gone")
    with transaction(engine) as s:
        assert tokens.authenticate(s, live).name == "live"
        assert tokens.authenticate(s, old).name == "old"
        later = utcnow() + timedelta(hours=1, seconds=1)
        for secret, reason, at in [(live + "x", "unknown", None), ("", "unknown", None), ("x" * 600, "unknown", None),
                                   (gone, "revoked", None), (old, "expired", later)]:
            with pytest.raises(tokens.TokenRejected) as caught:
                tokens.authenticate(s, secret, now=at)
            assert caught.value.reason == reason
        assert tokens.authenticate(s, live, now=later).name == "live"  # no expiry
        assert tokens.verify(s, gone) is None


@pytest.mark.parametrize("text,expect", [
    ("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
    (" 7D ", timedelta(days=7)), (None, None), ("", None)])
def test_lifetimes(text, expect):
    assert tokens.parse_lifetime(text) == expect


@pytest.mark.parametrize("text", ["soon", "0d", "-1d", "10y", "99999w", "1.5d", "d"])
def test_bad_lifetimes(text):
    with pytest.raises(UsageError):
        tokens.parse_lifetime(text)


def test_actions_by_role():
    assert tokens.allowed_roles("create_experiment") == ["curator", "admin"]
    assert tokens.allowed_roles("create_project") == ["admin"]
    for action in ("stage", "submit", "validate"):
        assert tokens.allowed_roles(action) == ["submitter", "curator", "admin"]
    with pytest.raises(ValueError):
        tokens.may("admin", "delete_everything")


def test_list_never_holds_a_secret(engine, projects):
    with transaction(engine) as s:
        secret = tokens.create(s, "a", "submitter", [projects[2]])
        tokens.create(s, "b", "admin", lifetime=timedelta(hours=1))
        tokens.revoke(s, "b")
    with transaction(engine) as s:
        listed = [t.as_dict() for t in tokens.list_tokens(s)]
    assert [(t["name"], t["role"], t["projects"], t["status"]) for t in listed] == [
        ("a", "submitter", [projects[2]], "active"), ("b", "admin", [], "revoked")]
    assert secret not in str(listed) and tokens.hash_token(secret) not in str(listed)


def test_deleting_a_project_link_goes_with_its_token(engine, projects):
    with transaction(engine) as s:
        tokens.create(s, "a", "curator", projects)
    with transaction(engine) as s:
        s.delete(s.scalar(select(ApiToken)))
    with engine.connect() as conn:
        assert conn.execute(select(ApiTokenProject.token_id)).first() is None
