"""What ENA has been told: the archive of exchanges (ArchiveSubmission) read and written.

Every exchange is recorded before its receipt is acted on; a receipt whose accessions were not
yet written back (status ``received``: the process was killed in between) is applied by the
next ``ena submit`` before anything else is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..registry.models import ArchiveSubmission, Experiment, Project, Run, Sample, utcnow
from .records import resolve_scope


def last_digests(conn: Connection, accession: str) -> dict[tuple[str, str], str]:
    """(kind, alias) → digest of what ENA (production) last accepted, for the scope's project."""
    project_id = resolve_scope(conn, accession).project.id
    out: dict[tuple[str, str], str] = {}
    rows = conn.execute(select(ArchiveSubmission.objects, ArchiveSubmission.accessions).where(
        ArchiveSubmission.project_id == project_id, ArchiveSubmission.test.is_(False),
        ArchiveSubmission.status.in_(("applied", "recovered"))).order_by(ArchiveSubmission.id))
    for objects, accessions in rows:
        for kind, aliases in (objects or {}).items():
            if kind == "run":
                continue  # runs are never modified
            acknowledged = (accessions or {}).get(kind) or {}
            for alias, digest in aliases.items():
                if digest and alias in acknowledged:  # only what ENA said it holds
                    out[(kind, alias)] = digest
    return out


def record(session: Session, *, project_id: int, server: str, test: bool, action: str,
           objects: Mapping[str, Any]) -> int:
    row = ArchiveSubmission(project_id=project_id, server=server, test=test, action=action,
                            objects=dict(objects), status="sent", created_at=utcnow())
    session.add(row)
    session.flush()
    return row.id


def receive(session: Session, archive_id: int, *, status: str, http_status: int | None, success: bool | None,
            receipt_xml: str | None, messages: Mapping[str, Any] | None,
            accessions: Mapping[str, Any] | None) -> None:
    session.execute(update(ArchiveSubmission).where(ArchiveSubmission.id == archive_id).values(
        status=status, http_status=http_status, success=success, receipt_xml=receipt_xml,
        messages=dict(messages) if messages is not None else None,
        accessions=dict(accessions) if accessions is not None else None))


def pending(session: Session, project_id: int) -> list[ArchiveSubmission]:
    """Receipts archived but not yet written back (production only)."""
    return list(session.execute(select(ArchiveSubmission).where(
        ArchiveSubmission.project_id == project_id, ArchiveSubmission.status == "received",
        ArchiveSubmission.test.is_(False)).order_by(ArchiveSubmission.id)).scalars())


def mark_applied(session: Session, archive_id: int) -> None:
    session.execute(update(ArchiveSubmission).where(ArchiveSubmission.id == archive_id).values(
        status="applied", applied_at=utcnow()))


def summary(conn: Connection, project_accession: str) -> dict[str, Any] | None:
    """What has been brokered for a project (the API's /projects/{acc}/ena), None: no such project."""
    project = conn.execute(select(Project.id.label("id"), Project.accession, Project.ena_accession,
                                  Project.ena_secondary_accession, Project.center_name)
                           .where(Project.accession == project_accession)).mappings().first()
    if project is None:
        return None
    a = ArchiveSubmission
    rows = conn.execute(select(a.server, a.test, a.action, a.status, a.success, a.http_status, a.created_at,
                               a.applied_at, a.objects, a.messages)
                        .where(a.project_id == project["id"]).order_by(a.id.desc())).mappings().all()
    exchanges = [{**r, "objects": {k: len(v) for k, v in (r["objects"] or {}).items()},
                  "messages": r["messages"] or {"error": [], "info": []}} for r in rows]
    brokered, total = {}, {}
    for kind, model, joins in (("sample", Sample, ()), ("experiment", Experiment, (Sample,)),
                               ("run", Run, (Experiment, Sample))):
        query = select(func.count(), func.count(model.ena_accession)).select_from(model)
        for parent in joins:
            query = query.join(parent, _JOIN[(model, parent)])
        total[kind], brokered[kind] = conn.execute(query.where(Sample.project_id == project["id"])).one()
    return {**project, "brokered": brokered, "total": total,
            "last_exchange": exchanges[0] if exchanges else None, "exchanges": exchanges}


_JOIN = {(Experiment, Sample): Experiment.sample_id == Sample.id,
         (Run, Experiment): Run.experiment_id == Experiment.id,
         (Run, Sample): Experiment.sample_id == Sample.id}
