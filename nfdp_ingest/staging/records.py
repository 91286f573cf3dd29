"""The ``staged_file`` rows: one per (owner token, name). Plain functions over a session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ..registry.models import StagedFile, Submission, utcnow

LIVE = ("queued", "running", "reserved")  # a submission in these states may still use its files


def as_dict(row: StagedFile) -> dict:
    return {"name": row.name, "size": row.size, "md5": row.md5, "sha256": row.sha256,
            "file_type": row.file_type, "state": row.state,
            "created_at": row.created_at.isoformat() + "Z", "last_used_at": row.last_used_at.isoformat() + "Z"}


def get(session: Session, owner: int, name: str, *, lock: bool = False) -> StagedFile | None:
    query = select(StagedFile).where(StagedFile.owner_id == owner, StagedFile.name == name)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def listing(session: Session, owner: int) -> list[StagedFile]:
    return list(session.scalars(select(StagedFile).where(StagedFile.owner_id == owner)
                                .order_by(StagedFile.name)))


def live_claim(session: Session, row: StagedFile) -> str | None:
    """The accession of a live submission using this file, else None."""
    if row.claimed_by is None:
        return None
    return session.scalar(select(Submission.accession).where(Submission.id == row.claimed_by,
                                                             Submission.status.in_(LIVE)))


def put(session: Session, owner: int, name: str, *, facts: dict, location: str,
        state: str = "staged", upload_id: str | None = None) -> StagedFile:
    """Insert or replace the row of ``(owner, name)``."""
    row = get(session, owner, name, lock=True)
    now = utcnow()
    if row is None:
        row = StagedFile(owner_id=owner, name=name, created_at=now)
        session.add(row)
    row.state, row.location, row.upload_id, row.claimed_by = state, location, upload_id, None
    row.size, row.md5 = facts.get("size"), facts.get("md5")
    row.sha256, row.file_type = facts.get("sha256"), facts.get("file_type")
    row.created_at = now if state == "staged" else row.created_at
    row.last_used_at = now
    session.flush()
    return row


def by_names(session: Session, owner: int, names: Iterable[str]) -> dict[str, StagedFile]:
    names = sorted(set(names))
    out: dict[str, StagedFile] = {}
    for start in range(0, len(names), 900):
        chunk = names[start:start + 900]
        for row in session.scalars(select(StagedFile).where(StagedFile.owner_id == owner,
                                                            StagedFile.name.in_(chunk))):
            out[row.name] = row
    return out


def claim(session: Session, owner: int, names: Iterable[str], submission_id: int) -> None:
    """Mark the files as used by a submission (``staging clean`` leaves them alone)."""
    names = sorted(set(names))
    for start in range(0, len(names), 900):
        session.execute(update(StagedFile)
                        .where(StagedFile.owner_id == owner, StagedFile.name.in_(names[start:start + 900]))
                        .values(claimed_by=submission_id, last_used_at=utcnow()))


def forget(session: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), 900):
        session.execute(delete(StagedFile).where(StagedFile.id.in_(ids[start:start + 900])))


def stale(session: Session, cutoff: datetime) -> list[StagedFile]:
    """Files unused since ``cutoff`` that no live submission uses."""
    live = select(Submission.id).where(Submission.status.in_(LIVE))
    return list(session.scalars(select(StagedFile).where(
        StagedFile.last_used_at < cutoff,
        or_(StagedFile.claimed_by.is_(None), StagedFile.claimed_by.not_in(live)))))
