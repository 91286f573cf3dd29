"""Locks held by one process at a time, across every process that shares the registry.

``process_lock(db_url, kind, number)`` holds lock ``kind`` (``nightly``: one nightly run;
``submission`` with the submission's id: one process running that submission).

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock(class, number)``) held on
a connection of its own. It lives in the database server, so it holds across every machine
that shares that database, and the server releases it by itself when the holder's
connection ends (crash, SIGKILL, reboot). The holder sets ``application_name`` to say who
it is, so a process that cannot get it can name the holder.

SQLite: an ``fcntl.flock`` on ``<database file>.<kind>[-<number>].lock`` beside the
database file (a SQLite file is only ever shared by processes of one machine). The kernel
drops the lock when the holder dies; the file keeps the holder's host, pid and start time.

Either way a process that cannot get the lock gets :class:`LockHeld` at once (exit 75), it
never waits.
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

log = logging.getLogger("nfdp_ingest.locks")

# pg_try_advisory_lock(int4, int4): the class says what is locked, the number which one.
LOCK_CLASSES = {"nightly": 0x4E464450, "submission": 0x4E464453}  # 'NFDP' (number 1), 'NFDS' (the id)
APP_PREFIX = "nfdp-ingest"


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
def process_lock(db_url: str, kind: str, number: int = 1, *, busy: str, then: str,
                 fallback_dir: Path | None = None, remove: bool = False) -> Iterator[str]:
    """Hold lock ``kind``/``number`` for the ``with`` block; yields a description of it.

    Raises LockHeld (exit 75) when another process holds it — its message is ``busy`` holds
    the lock (where; held by whom); ``then`` — and InfrastructureError (exit 3) when the
    database cannot be reached to take it. ``remove``: delete a SQLite lock file on release
    (for locks there are many of, one per submission).
    """
    url = normalise_url(db_url)
    if url.startswith("postgresql"):
        with _pg_lock(url, kind, number, busy, then) as what:
            yield what
    else:
        path = _sqlite_path(url)
        if path is None:
            path = (fallback_dir or Path(".")) / "nfdp.sqlite3"
        suffix = kind if kind == "nightly" else f"{kind}-{number}"
        with _file_lock(Path(f"{path}.{suffix}.lock"), kind, busy, then, remove) as what:
            yield what


# --------------------------------------------------------------------------- PostgreSQL

def _pg_holder(conn, lock_class: int, number: int) -> str | None:
    row = conn.execute(text(
        "SELECT a.application_name, a.client_addr::text, a.pid, a.backend_start "
        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :c AND l.objid = :o "
        "AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "LIMIT 1"), {"c": lock_class, "o": number}).first()
    if row is None:
        return None
    app, addr, pid, started = row
    parts = []
    if app and app.startswith(APP_PREFIX):
        parts.append(app[len(APP_PREFIX):].strip().split(" ", 1)[-1])
    if addr:
        parts.append(f"client {addr}")
    if pid:
        parts.append(f"server backend pid {pid}")
    if started:
        parts.append(f"connected since {started.isoformat(timespec='seconds')}")
    return ", ".join(p for p in parts if p) or None


@contextmanager
def _pg_lock(url: str, kind: str, number: int, busy: str, then: str) -> Iterator[str]:
    lock_class = LOCK_CLASSES[kind]
    me = holder_description()
    app = f"{APP_PREFIX} {kind} host={me['host']} pid={me['pid']} started={me['started']}"[:63]
    engine = create_engine(url, poolclass=NullPool, connect_args={"application_name": app})
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise InfrastructureError(f"cannot reach the database to take the {kind} lock: {db_reason(exc)}") from exc
        try:
            try:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                got = conn.execute(text("SELECT pg_try_advisory_lock(:c, :o)"),
                                   {"c": lock_class, "o": number}).scalar()
                who = None if got else _pg_holder(conn, lock_class, number)
            except SQLAlchemyError as exc:
                raise InfrastructureError(f"database error while taking the {kind} lock: {db_reason(exc)}") from exc
            what = f"PostgreSQL advisory lock {lock_class},{number}"
            if not got:
                raise LockHeld(f"{busy} holds the lock ({what}{'; held by ' + who if who else ''}); {then}")
            log.info("holding the %s lock (%s)", kind, what)
            try:
                yield what
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :o)"), {"c": lock_class, "o": number})
                except SQLAlchemyError as exc:  # the connection is gone: so is the lock
                    log.warning("could not release the %s lock cleanly: %s", kind, db_reason(exc))
        finally:
            conn.close()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- file lock

@contextmanager
def _file_lock(path: Path, kind: str, busy: str, then: str, remove: bool) -> Iterator[str]:
    import fcntl

    while True:
        fd = _open_lock_file(path, kind)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _read_holder(fd)
            os.close(fd)
            raise LockHeld(f"{busy} holds the lock (file lock {path}{'; held by ' + who if who else ''}); "
                           f"{then}") from None
        if _same_file(fd, path):
            break
        os.close(fd)  # a holder removed the file as we opened it: lock the one at the path now
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder_description()) + "\n").encode(), 0)
        what = f"file lock {path}"
        log.info("holding the %s lock (%s)", kind, what)
        try:
            yield what
        finally:
            try:
                if remove:
                    path.unlink(missing_ok=True)  # before the unlock: a waiter re-checks the path
                else:
                    os.ftruncate(fd, 0)
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_lock_file(path: Path, kind: str) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a symlink planted at the lock path must not make us write the holder's
        # details into whatever file it points at (filelock's CVE-2025-68146). No O_TRUNC:
        # a process that loses the race must not wipe the holder's details.
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InfrastructureError(f"the {kind} lock file {path} is a symbolic link; refusing to use it "
                                      "(remove the link, a lock file is created when missing)") from None
        raise InfrastructureError(f"cannot open the {kind} lock file {path}: {exc.strerror or exc}") from exc


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False


def _read_holder(fd: int) -> str | None:
    try:
        data = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        info = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    return f"host {info.get('host')}, pid {info.get('pid')}, started {info.get('started')}"
