"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL: one migrated template database per test process, then a fresh
copy per test (CREATE DATABASE … TEMPLATE is fast), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from nfdp_ingest.config import Settings
from nfdp_ingest.registry import db

PG_ADMIN_URL = os.environ.get("NFDP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template():
    """A migrated template database for this test process."""
    name = f"nfdp_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # PostgreSQL is part of the test environment: fail, never skip
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not usable ({exc}); .ci/run starts it")
    engine = db.make_engine(_pg_url(name))
    db.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_pg_database(template: str) -> tuple[str, callable]:
    name = f"nfdp_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop():
        db.engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return _pg_url(name), drop


@pytest.fixture(scope="module")
def s3():
    """A real S3-protocol server (moto in server mode) on 127.0.0.1, fresh for each test module.
    MinIO itself cannot be installed here; the same `minio` client code talks to both."""
    from tests.s3server import start_moto

    server = start_moto()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nfdp.sqlite3'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
        db.engine_for.cache_clear()
    else:
        url, drop = fresh_pg_database(request.getfixturevalue("pg_template"))
        yield url
        drop()


@pytest.fixture
def engine(database_url):
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=database_url, storage="local", threads=2)


@pytest.fixture
def cli_env(database_url, tmp_path) -> dict[str, str]:
    """Environment for running ``nfdp-ingest`` in a subprocess against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATABASE_URL=database_url, NFDP_DATA_DIR=str(tmp_path / "var"), NFDP_STORAGE="local")
    return env
