"""Migration 0005: tokens made before roles become admins; the schema goes down and up again."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from nfdp_ingest.registry import db, tokens
from nfdp_ingest.registry.db import transaction
from tests.conftest import PG_ADMIN_URL, _pg_url

REVISION = "0005"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"nfdp_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    db.engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _alembic(engine, target: str, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def _before_mine() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision


def _index_names(engine) -> set[str]:
    """Every index, expression ones included (the inspector skips those on SQLite)."""
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'" if engine.dialect.name == "sqlite"
           else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    with engine.connect() as conn:
        return set(conn.execute(text(sql)).scalars())


def test_old_tokens_become_admin(empty_url):
    engine = db.make_engine(empty_url)
    _alembic(engine, _before_mine())
    secret = "nfdp_" + "o" * 43
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO api_token (name, token_hash, created_at) VALUES ('old', :h, :t)"),
                     {"h": tokens.hash_token(secret), "t": "2026-01-01 00:00:00"})
    indexes_before = _index_names(engine)
    assert {"ix_run_accession_order", "ix_run_file_type", "ix_experiment_platform"} <= indexes_before
    db.upgrade(engine)
    with transaction(engine) as s:
        token = tokens.authenticate(s, secret)
        assert (token.role, token.expires_at, token.project_accessions) == ("admin", None, [])
    insp = inspect(engine)
    assert {"role", "expires_at"} <= {c["name"] for c in insp.get_columns("api_token")}
    assert "api_token_project" in insp.get_table_names()
    # no table copy: the expression indexes of the big tables are all still there
    after = _index_names(engine)
    assert {"ix_api_token_project_project_id", "ix_project_release_date"} <= after - indexes_before
    assert indexes_before <= after
    _alembic(engine, _before_mine(), down=True)
    assert "api_token_project" not in inspect(engine).get_table_names()
    db.upgrade(engine)
    engine.dispose()
