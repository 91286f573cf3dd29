"""One nightly run at a time.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a
connection of its own for the whole run. It lives in the database server, so it
holds across every machine that shares that database, and the server releases
it by itself when the holder's connection ends (crash, SIGKILL, reboot). The
holder sets ``application_name`` to say who it is, so a second run can name it.

SQLite: an ``fcntl.flock`` on ``<database file>.nightly.lock`` beside the
database file (a SQLite file is only ever shared by processes of one machine).
The kernel drops the lock when the holder dies; the file keeps the holder's
host, pid and start time for the message of the run that could not get it.

Either way a run that cannot get the lock raises :class:`LockHeld` at once
(exit 75), it never waits.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..errors import InfrastructureError, LockHeld
from ..registry.db import db_reason, normalise_url

log = logging.getLogger("nfdp_ingest.nightly")

# pg_try_advisory_lock(int4, int4): 'NFDP' and 1 = the nightly job.
LOCK_CLASS = 0x4E464450
LOCK_NIGHTLY = 1
APP_PREFIX = "nfdp-ingest nightly"


def holder_description() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(timespec="seconds")}


def _sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    try:
        path = make_url(url).database
    except ArgumentError:  # not a URL at all: opening the registry will say so
        return None
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def nightly_lock(db_url: str, *, fallback_dir: Path | None = None) -> Iterator[str]:
    """Hold the nightly lock for the ``with`` block; yields a description of the lock.

    Raises LockHeld (exit 75) when another run holds it, InfrastructureError
    (exit 3) when the database cannot be reached to take it.
    """
    url = normalise_url(db_url)
    if url.startswith("postgresql"):
        with _pg_lock(url) as what:
            yield what
    else:
        path = _sqlite_path(url)
        if path is None:
            path = (fallback_dir or Path(".")) / "nfdp.sqlite3"
        with _file_lock(Path(str(path) + ".nightly.lock")) as what:
            yield what


# --------------------------------------------------------------------------- PostgreSQL

def _pg_holder(conn) -> str | None:
    row = conn.execute(text(
        "SELECT a.application_name, a.client_addr::text, a.pid, a.backend_start "
        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :c AND l.objid = :o "
        "AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "LIMIT 1"), {"c": LOCK_CLASS, "o": LOCK_NIGHTLY}).first()
    if row is None:
        return None
    app, addr, pid, started = row
    parts = []
    if app and app.startswith(APP_PREFIX):
        parts.append(app[len(APP_PREFIX):].strip())
    if addr:
        parts.append(f"client {addr}")
    if pid:
        parts.append(f"server backend pid {pid}")
    if started:
        parts.append(f"connected since {started.isoformat(timespec='seconds')}")
    return ", ".join(p for p in parts if p) or None


@contextmanager
def _pg_lock(url: str) -> Iterator[str]:
    me = holder_description()
    app = f"{APP_PREFIX} host={me['host']} pid={me['pid']} started={me['started']}"[:63]
    engine = create_engine(url, poolclass=NullPool, connect_args={"application_name": app})
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise InfrastructureError(f"cannot reach the database to take the nightly lock: {db_reason(exc)}") from exc
        try:
            try:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                got = conn.execute(text("SELECT pg_try_advisory_lock(:c, :o)"),
                                   {"c": LOCK_CLASS, "o": LOCK_NIGHTLY}).scalar()
                who = None if got else _pg_holder(conn)
            except SQLAlchemyError as exc:
                raise InfrastructureError(f"database error while taking the nightly lock: {db_reason(exc)}") from exc
            if not got:
                raise LockHeld(
                    "another nightly run holds the lock (PostgreSQL advisory lock "
                    f"{LOCK_CLASS},{LOCK_NIGHTLY}{'; held by ' + who if who else ''}); "
                    "not starting a second one — this run exits and the next one will pick up the inbox")
            what = f"PostgreSQL advisory lock {LOCK_CLASS},{LOCK_NIGHTLY}"
            log.info("holding the nightly lock (%s)", what)
            try:
                yield what
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :o)"), {"c": LOCK_CLASS, "o": LOCK_NIGHTLY})
                except SQLAlchemyError as exc:  # the connection is gone: so is the lock
                    log.warning("could not release the nightly lock cleanly: %s", db_reason(exc))
        finally:
            conn.close()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- file lock

@contextmanager
def _file_lock(path: Path) -> Iterator[str]:
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a symlink planted at the lock path must not make us write the holder's
        # details into whatever file it points at (filelock's CVE-2025-68146). No O_TRUNC:
        # a run that loses the race must not wipe the holder's details.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InfrastructureError(f"the nightly lock file {path} is a symbolic link; refusing to use it "
                                      "(remove the link, a lock file is created when missing)") from None
        raise InfrastructureError(f"cannot open the nightly lock file {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _read_holder(fd)
            raise LockHeld(
                f"another nightly run holds the lock {path}"
                f"{'; held by ' + who if who else ''}; not starting a second one — "
                "this run exits and the next one will pick up the inbox") from None
        me = holder_description()
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        what = f"file lock {path}"
        log.info("holding the nightly lock (%s)", what)
        try:
            yield what
        finally:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str | None:
    try:
        data = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        info = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    return f"host {info.get('host')}, pid {info.get('pid')}, started {info.get('started')}"
