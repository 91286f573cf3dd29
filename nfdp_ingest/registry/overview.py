"""Read-side facts the HTML pages show beside the records of ``queries``: counts per
project, a page's experiments, the latest QC status of a page's runs.

Every function takes ids the caller has already read through ``queries`` (so the
embargo check is done) and answers only for those: a page costs a few indexed
queries bounded by its size, never a pass over a large project.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .accessions import accession_order
from .models import Experiment, QCReport, Run, Sample


def project_counts(conn: Connection, project_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{project id: {"samples": n, "experiments": n, "runs": n}} for these projects (0 when empty)."""
    ids = sorted(set(project_ids))
    out = {i: {"samples": 0, "experiments": 0, "runs": 0} for i in ids}
    if not ids:
        return out
    for pid, n in conn.execute(select(Sample.project_id, func.count()).where(Sample.project_id.in_(ids))
                               .group_by(Sample.project_id)):
        out[pid]["samples"] = n
    for pid, n in conn.execute(select(Sample.project_id, func.count()).select_from(Experiment)
                               .join(Sample, Experiment.sample_id == Sample.id)
                               .where(Sample.project_id.in_(ids)).group_by(Sample.project_id)):
        out[pid]["experiments"] = n
    for pid, n in conn.execute(select(Sample.project_id, func.count()).select_from(Run)
                               .join(Experiment, Run.experiment_id == Experiment.id)
                               .join(Sample, Experiment.sample_id == Sample.id)
                               .where(Sample.project_id.in_(ids)).group_by(Sample.project_id)):
        out[pid]["runs"] = n
    return out


def project_bytes(conn: Connection, project_id: int) -> int:
    """The total size of the project's run files."""
    return conn.execute(select(func.coalesce(func.sum(Run.file_size), 0)).select_from(Run)
                        .join(Experiment, Run.experiment_id == Experiment.id)
                        .join(Sample, Experiment.sample_id == Sample.id)
                        .where(Sample.project_id == project_id)).scalar_one()


def experiments_of(conn: Connection, sample_ids: Iterable[int]) -> dict[int, list[Mapping[str, Any]]]:
    """{sample id: its experiments (accession order), each with its number of runs}."""
    ids = sorted(set(sample_ids))
    out: dict[int, list[Mapping[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    runs = (select(Run.experiment_id, func.count().label("runs")).group_by(Run.experiment_id)
            .where(Run.experiment_id.in_(select(Experiment.id).where(Experiment.sample_id.in_(ids))))
            .subquery())
    rows = conn.execute(
        select(Experiment.id, Experiment.sample_id, Experiment.accession, Experiment.platform,
               Experiment.instrument_model, Experiment.library_strategy, Experiment.library_source,
               Experiment.library_selection, Experiment.library_layout, Experiment.insert_size,
               Experiment.library_name, Experiment.ena_accession,
               func.coalesce(runs.c.runs, 0).label("runs"))
        .outerjoin(runs, runs.c.experiment_id == Experiment.id)
        .where(Experiment.sample_id.in_(ids)).order_by(*accession_order(Experiment.accession))
    ).mappings()
    for row in rows:
        out[row["sample_id"]].append(row)
    return out


def latest_qc(conn: Connection, run_ids: Iterable[int]) -> dict[int, Mapping[str, Any]]:
    """{run id: its most recent QC report (tool, status)}; runs without one are left out."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    out: dict[int, Mapping[str, Any]] = {}
    rows = conn.execute(select(QCReport.run_id, QCReport.tool, QCReport.status)
                        .where(QCReport.run_id.in_(ids))
                        .order_by(QCReport.created_at.desc(), QCReport.id.desc())).mappings()
    for row in rows:
        out.setdefault(row["run_id"], row)  # the first seen is the newest
    return out
