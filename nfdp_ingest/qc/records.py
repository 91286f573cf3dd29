"""Every QC read and write of the registry: which runs to check, and the QCReport rows.

Each stored report is its own short transaction: QC is idempotent per run, so a
crash late in a long batch keeps every report finished before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..registry.accessions import accession_order
from ..registry.db import db_errors, transaction
from ..registry.models import Experiment, Project, QCReport, Run, Sample, utcnow

FASTQC = "FastQC"
MULTIQC = "MultiQC"


@dataclass(frozen=True)
class RunRef:
    """A run FastQC is to check."""

    id: int
    accession: str
    filename: str
    file_path: str


@dataclass(frozen=True)
class RunCandidate:
    """A run a MultiQC sample name may stand for."""

    id: int
    accession: str
    filename: str
    read_direction: str
    alias: str


def _chunks(values: list, size: int = 900) -> Iterator[list]:
    """Slices small enough for any database's bound-parameter limit in IN (...)."""
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _check_project(session: Session, project: str) -> None:
    if session.execute(select(Project.id).where(Project.accession == project)).first() is None:
        raise InvalidInput(f"no such project: {project}")


def runs_for_fastqc(engine, run_accessions: list[str], project: str | None) -> list[RunRef]:
    """Exactly ``run_accessions`` (FASTQ, all known), or every FASTQ run (of ``project``)
    without a FastQC report, in accession order."""
    with db_errors("while selecting runs for FastQC"), transaction(engine) as session:
        if run_accessions:
            wanted = list(dict.fromkeys(run_accessions))
            rows = [r for chunk in _chunks(wanted)
                    for r in session.execute(select(Run).where(Run.accession.in_(chunk))).scalars()]
            by_acc = {r.accession: r for r in rows}
            missing = [a for a in wanted if a not in by_acc]
            if missing:
                raise InvalidInput(f"no such run: {', '.join(missing)}")
            not_fastq = [f"{a} ({by_acc[a].file_type})" for a in wanted if by_acc[a].file_type != "FASTQ"]
            if not_fastq:
                raise InvalidInput(f"FastQC checks FASTQ runs only: {', '.join(not_fastq)}")
            runs = [by_acc[a] for a in wanted]
        else:
            has_report = exists().where(QCReport.run_id == Run.id, QCReport.tool == FASTQC)
            query = select(Run).where(Run.file_type == "FASTQ", ~has_report)
            if project:
                _check_project(session, project)
                query = (query.join(Experiment, Run.experiment_id == Experiment.id)
                         .join(Sample, Experiment.sample_id == Sample.id)
                         .join(Project, Sample.project_id == Project.id)
                         .where(Project.accession == project))
            runs = session.execute(query.order_by(*accession_order(Run.accession))).scalars().all()
        return [RunRef(r.id, r.accession, r.filename, r.file_path) for r in runs]


def store_fastqc(engine, run_id: int, *, status: str, summary: dict, report_path: str | None,
                 only_if_unchecked: bool) -> bool:
    """Record one FastQC report in its own transaction; False when ``only_if_unchecked`` and
    another ``qc run`` stored one for this run meanwhile."""
    with db_errors("while storing a FastQC report"), transaction(engine) as session:
        if only_if_unchecked and session.scalar(
                select(QCReport.id).where(QCReport.run_id == run_id, QCReport.tool == FASTQC).limit(1)):
            return False
        session.add(QCReport(run_id=run_id, tool=FASTQC, status=status, summary=summary,
                             report_path=report_path))
    return True


def multiqc_candidates(engine, project: str | None) -> list[RunCandidate]:
    with db_errors("while reading runs"), transaction(engine) as session:
        query = (select(Run.id, Run.accession, Run.filename, Run.read_direction, Sample.alias)
                 .join(Experiment, Run.experiment_id == Experiment.id)
                 .join(Sample, Experiment.sample_id == Sample.id))
        if project:
            _check_project(session, project)
            query = query.join(Project, Sample.project_id == Project.id).where(Project.accession == project)
        return [RunCandidate(*row) for row in session.execute(query)]


def canonical_json(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as the JSON column gives it back, so stored and new ones compare equal."""
    return json.loads(json.dumps(summary, default=str))


def store_multiqc(engine, reports: Iterable[tuple[int, str, dict]]) -> set[int]:
    """Record (run id, status, canonical summary) reports in one transaction, skipping any
    identical to one already stored for its run; returns the run ids stored."""
    reports = list(reports)
    if not reports:
        return set()
    with db_errors("while storing MultiQC reports"), transaction(engine) as session:
        stored: dict[int, list[dict]] = {}
        ids = list(dict.fromkeys(run_id for run_id, _, _ in reports))
        for chunk in _chunks(ids):  # one SELECT per chunk of matched runs, not one per sample
            for run_id, summary in session.execute(
                    select(QCReport.run_id, QCReport.summary)
                    .where(QCReport.tool == MULTIQC, QCReport.run_id.in_(chunk))):
                stored.setdefault(run_id, []).append(summary)
        rows = []
        for run_id, status, summary in reports:
            if summary in stored.get(run_id, []):
                continue
            stored.setdefault(run_id, []).append(summary)
            rows.append({"run_id": run_id, "tool": MULTIQC, "status": status, "summary": summary,
                         "report_path": None, "created_at": utcnow()})
        for chunk in _chunks(rows, 5000):
            session.execute(insert(QCReport), chunk)
        created = {row["run_id"] for row in rows}
    return created
