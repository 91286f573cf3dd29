"""Engines, sessions and the schema check every database command starts with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InfrastructureError, SchemaMissing, UsageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3, the driver we install."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, *, immediate: bool = True, **kwargs) -> Engine:
    """``immediate``: on SQLite, take the write lock when a transaction begins
    (writers); readers (the API) pass False so they never wait for a writer."""
    url = normalise_url(url)
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise UsageError(f"{url!r} is not a database URL (e.g. sqlite:///path/nfdp.sqlite3 or "
                         "postgresql://user@host:5432/dbname)") from None
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(f"database {backend!r} is not supported; use SQLite or PostgreSQL")
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so
        # that a write transaction takes the lock up front (no lost updates).
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@cache
def engine_for(url: str, immediate: bool = True) -> Engine:
    """One engine (and pool) per URL and mode per process."""
    return make_engine(url, immediate=immediate)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits at the end, or rolls back entirely."""
    with session_factory(engine)() as session:
        with session.begin():
            yield session


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def check_schema(engine: Engine) -> None:
    """Raise SchemaMissing (with the fix) unless the schema is at the latest revision."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                raise SchemaMissing(
                    f"the database {engine.url.render_as_string(hide_password=True)} has no nfdp schema; "
                    "run `nfdp-ingest db upgrade` first"
                )
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise InfrastructureError(f"cannot reach the database: {db_reason(exc)}") from exc
    if current != head_revision():
        raise SchemaMissing(
            f"the database schema is at revision {current}, this version needs {head_revision()}; "
            "run `nfdp-ingest db upgrade`"
        )


def upgrade(engine: Engine) -> str:
    """Create or upgrade the schema to the latest revision; returns it."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise InfrastructureError(f"cannot reach the database: {db_reason(exc)}") from exc
    return head_revision()


def db_reason(exc: SQLAlchemyError) -> str:
    """The first line of what the database said (the driver's message, not SQLAlchemy's wrapper)."""
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


@contextmanager
def db_errors(doing: str) -> Iterator[None]:
    """Turn a SQLAlchemyError in the block into InfrastructureError "database error {doing}: …" (exit 3)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise InfrastructureError(f"database error {doing}: {db_reason(exc)}") from exc


def open_registry(url: str, immediate: bool = True) -> Engine:
    """The engine for ``url`` after checking that its schema is current."""
    engine = engine_for(normalise_url(url), immediate)
    check_schema(engine)
    return engine
