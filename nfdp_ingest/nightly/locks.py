"""One nightly run at a time (registry.locks: an advisory lock on PostgreSQL, a file lock
beside a SQLite database)."""

from __future__ import annotations

from pathlib import Path

from ..registry.locks import process_lock


def nightly_lock(db_url: str, *, fallback_dir: Path | None = None):
    """Hold the nightly lock for the ``with`` block; yields a description of the lock.

    Raises LockHeld (exit 75) when another run holds it, InfrastructureError (exit 3) when
    the database cannot be reached to take it."""
    return process_lock(db_url, "nightly", busy="another nightly run",
                        then="not starting a second one — this run exits and the next one will pick up the inbox",
                        fallback_dir=fallback_dir)
