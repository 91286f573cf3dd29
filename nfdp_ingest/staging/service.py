"""Staging as the API and the CLI use it: stage, list, delete, clean, release.

Every function takes the owner (a token id): no call reaches another owner's files.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy.engine import Engine

from ..errors import InvalidInput
from ..files import FileFacts
from ..registry.db import transaction
from ..registry.models import utcnow
from . import records
from .names import check_name

log = logging.getLogger("nfdp_ingest.staging")


class NotStaged(InvalidInput):
    """No staged file of that name for this owner."""


class InUse(InvalidInput):
    """A running submission uses the file."""


def facts_dict(facts: FileFacts) -> dict:
    return {"size": facts.size, "md5": facts.md5, "sha256": facts.sha256, "file_type": facts.file_type}


def _refuse_if_claimed(engine: Engine, owner: int, name: str) -> None:
    with transaction(engine) as session:
        row = records.get(session, owner, name)
        if row is not None and (acc := records.live_claim(session, row)):
            raise InUse(f"{name} is used by submission {acc}, which has not ended; try again after it")


def stage(engine: Engine, area, owner: int, name: str, body: BinaryIO, *, length: int | None,
          declared_md5: str | None) -> dict:
    """Stream ``body`` into the owner's area as ``name``; the row's dict. FileProblem when
    the bytes are refused (nothing is kept then)."""
    check_name(name)
    _refuse_if_claimed(engine, owner, name)
    location, facts = area.write(owner, name, body, length=length, declared_md5=declared_md5)
    try:
        with transaction(engine) as session:
            row = records.put(session, owner, name, facts=facts_dict(facts), location=location)
            out = records.as_dict(row)
    except BaseException:
        area.remove(location)  # not recorded: not kept
        raise
    log.info("staged %s for token %d (%d bytes, %s)", name, owner, facts.size, facts.file_type)
    return out


def listing(engine: Engine, owner: int) -> list[dict]:
    with transaction(engine) as session:
        return [records.as_dict(r) for r in records.listing(session, owner) if r.state == "staged"]


def delete(engine: Engine, area, owner: int, name: str) -> None:
    check_name(name)
    with transaction(engine) as session:
        row = records.get(session, owner, name, lock=True)
        if row is None:
            raise NotStaged(f"no staged file named {name!r}")
        if acc := records.live_claim(session, row):
            raise InUse(f"{name} is used by submission {acc}, which has not ended; try again after it")
        location = row.location
        records.forget(session, [row.id])
    area.remove(location)


def clean(engine: Engine, area, days: int) -> list[dict]:
    """Remove staged files unused for ``days`` days, never one a live submission uses."""
    cutoff = utcnow() - timedelta(days=days)
    with transaction(engine) as session:
        rows = [(r.id, r.owner_id, r.name, r.location, r.size, r.upload_id if r.state == "uploading" else None)
                for r in records.stale(session, cutoff)]
    removed = []
    for row_id, owner, name, location, size, upload_id in rows:
        if upload_id and area.mode == "minio":  # an abandoned presigned upload: its parts go too
            area.abort(location, upload_id)
        area.remove(location)
        with transaction(engine) as session:
            records.forget(session, [row_id])
        removed.append({"owner": owner, "name": name, "size": size})
        log.info("staging clean: removed %s of token %d (unused for %d days)", name, owner, days)
    return removed


def release(engine: Engine, area, owner: int, names: list[str], submission_id: int) -> int:
    """After a commit: drop the staged copies the submission used (local mode: already moved)."""
    with transaction(engine) as session:
        rows = [r for r in records.by_names(session, owner, names).values() if r.claimed_by == submission_id]
        found = [(r.id, r.location) for r in rows]
    for _row_id, location in found:
        area.remove(location)
    with transaction(engine) as session:
        records.forget(session, [row_id for row_id, _ in found])
    return len(found)
