"""The registry's records as ENA objects: one project, its samples, experiments and ENA runs.

An accession chooses the scope (a project; or a sample, experiment or run with its parents).
Rows are streamed from the database (server-side cursor on PostgreSQL), and NFDP runs are
folded into ENA RUNs as they pass: the two files of a FASTQ pair (``mate_accession``) are
one ENA RUN, a BAM or CRAM file is one; VCF files are not reads and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..errors import InvalidInput
from ..registry.accessions import accession_order, parse_accession
from ..registry.models import SAMPLE_COLUMNS, Experiment, Project, Run, Sample

READ_TYPES = {"FASTQ": "fastq", "BAM": "bam", "CRAM": "cram"}


@dataclass(frozen=True)
class ProjectRec:
    accession: str
    title: str
    description: str | None
    release_date: date | None
    center_name: str | None  # the project's own; None: the configured default
    ena_accession: str | None
    ena_secondary_accession: str | None
    id: int = 0


@dataclass(frozen=True)
class SampleRec:
    accession: str
    alias: str  # the submitter's name, sent as TITLE (the ENA alias is our accession)
    tax_id: int | None
    organism: str | None
    checklist_id: str | None
    fields: Mapping[str, Any]  # Sample columns + attributes JSON keys
    ena_accession: str | None
    biosample_accession: str | None


@dataclass(frozen=True)
class ExperimentRec:
    accession: str
    sample_accession: str
    platform: str
    instrument_model: str
    library_strategy: str
    library_source: str
    library_selection: str | None
    library_layout: str
    insert_size: int | None
    library_name: str | None
    ena_accession: str | None


@dataclass(frozen=True)
class RunFile:
    run_accession: str  # the NFDP run of this file
    upload_path: str  # FILE@filename: the path in the Webin upload area
    filetype: str  # fastq | bam | cram
    md5: str
    size: int
    file_path: str  # where our storage holds it
    read_direction: str


@dataclass(frozen=True)
class EnaRun:
    alias: str  # the forward (or only) NFDP run's accession
    experiment_accession: str
    files: tuple[RunFile, ...]
    ena_accession: str | None  # what the NFDP runs carry (all of them the same, once brokered)
    problems: tuple[str, ...] = field(default=())  # pairing problems, told by `ena validate`

    @property
    def run_accessions(self) -> tuple[str, ...]:
        return tuple(f.run_accession for f in self.files)


def upload_path(project: str, run: str, filename: str) -> str:
    """``NFDP-PRJ-000001/NFDP-RUN-000001/S1_R1.fastq.gz``: unique in the account's area."""
    return f"{project}/{run}/{filename.replace(chr(92), '/').rsplit('/', 1)[-1]}"


@dataclass(frozen=True)
class Scope:
    project: ProjectRec
    what: str  # project | sample | experiment | run
    id: int


_KINDS = {"PRJ": "project", "SAM": "sample", "EXP": "experiment", "RUN": "run"}


def resolve_scope(conn: Connection, accession: str) -> Scope:
    parsed = parse_accession(accession)
    if parsed is None or parsed[0] not in _KINDS:
        raise InvalidInput(f"{accession!r} is not a project, sample, experiment or run accession")
    what = _KINDS[parsed[0]]
    model = {"project": Project, "sample": Sample, "experiment": Experiment, "run": Run}[what]
    query = select(model.id, Project.id.label("project_id")).where(model.accession == accession)
    if what != "project":
        query = query.select_from(model)
        if what == "run":
            query = query.join(Experiment, Run.experiment_id == Experiment.id)
        if what in ("run", "experiment"):
            query = query.join(Sample, Experiment.sample_id == Sample.id)
        query = query.join(Project, Sample.project_id == Project.id)
    row = conn.execute(query).first()
    if row is None:
        raise InvalidInput(f"no {what} with accession {accession!r}")
    project = conn.execute(select(
        Project.id, Project.accession, Project.title, Project.description, Project.release_date,
        Project.center_name, Project.ena_accession, Project.ena_secondary_accession,
    ).where(Project.id == row.project_id)).mappings().one()
    return Scope(ProjectRec(**{k: project[k] for k in (
        "accession", "title", "description", "release_date", "center_name", "ena_accession",
        "ena_secondary_accession")}, id=project["id"]), what, row.id)


def _where(query, scope: Scope, *, sample_col, experiment_col=None, run_col=None):
    if scope.what == "project":
        return query.where(Sample.project_id == scope.id)
    if scope.what == "sample":
        return query.where(sample_col == scope.id)
    if scope.what == "experiment":
        return query.where(experiment_col == scope.id)
    return query.where(run_col == scope.id)


def _stream(conn: Connection, query, yield_per: int = 2000) -> Iterator[Mapping[str, Any]]:
    result = conn.execution_options(yield_per=yield_per).execute(query)
    try:
        yield from result.mappings()
    finally:
        result.close()


def samples(conn: Connection, scope: Scope) -> Iterator[SampleRec]:
    columns = [getattr(Sample, c) for c in SAMPLE_COLUMNS]
    query = select(Sample.id, Sample.accession, Sample.alias, Sample.checklist_id, Sample.attributes,
                   Sample.ena_accession, Sample.biosample_accession, *columns).select_from(Sample)
    if scope.what == "project":
        query = query.where(Sample.project_id == scope.id)
    elif scope.what == "sample":
        query = query.where(Sample.id == scope.id)
    else:  # the one sample of the experiment or run
        parent = select(Experiment.sample_id)
        if scope.what == "run":
            parent = parent.join(Run, Run.experiment_id == Experiment.id).where(Run.id == scope.id)
        else:
            parent = parent.where(Experiment.id == scope.id)
        query = query.where(Sample.id == parent.scalar_subquery())
    query = query.order_by(*accession_order(Sample.accession))
    for row in _stream(conn, query):
        fields = dict(row["attributes"] or {})
        fields.update({c: row[c] for c in SAMPLE_COLUMNS if row[c] is not None})
        yield SampleRec(row["accession"], row["alias"], row["tax_id"], row["organism"], row["checklist_id"],
                        fields, row["ena_accession"], row["biosample_accession"])


_EXPERIMENT_COLUMNS = ("accession", "platform", "instrument_model", "library_strategy", "library_source",
                       "library_selection", "library_layout", "insert_size", "library_name", "ena_accession")


def experiments(conn: Connection, scope: Scope) -> Iterator[ExperimentRec]:
    query = (select(*[getattr(Experiment, c) for c in _EXPERIMENT_COLUMNS],
                    Sample.accession.label("sample_accession"))
             .join(Sample, Experiment.sample_id == Sample.id))
    if scope.what == "run":
        query = query.join(Run, Run.experiment_id == Experiment.id)
    query = _where(query, scope, sample_col=Sample.id, experiment_col=Experiment.id,
                   run_col=Run.id if scope.what == "run" else None)
    query = query.order_by(*accession_order(Experiment.accession))
    for row in _stream(conn, query):
        yield ExperimentRec(sample_accession=row["sample_accession"], **{c: row[c] for c in _EXPERIMENT_COLUMNS})


def run_rows(conn: Connection, scope: Scope) -> Iterator[Mapping[str, Any]]:
    """The NFDP runs in scope, by experiment (a run's scope is the run and its mate)."""
    query = (select(Run.accession, Run.filename, Run.file_type, Run.file_size, Run.checksum_md5,
                    Run.read_direction, Run.mate_accession, Run.file_path, Run.ena_accession,
                    Experiment.accession.label("experiment_accession"), Run.experiment_id)
             .join(Experiment, Run.experiment_id == Experiment.id)
             .join(Sample, Experiment.sample_id == Sample.id))
    if scope.what == "run":
        me = conn.execute(select(Run.accession, Run.mate_accession).where(Run.id == scope.id)).one()
        query = query.where(Run.accession.in_([a for a in me if a]))
    else:
        query = _where(query, scope, sample_col=Sample.id, experiment_col=Experiment.id)
    query = query.order_by(Run.experiment_id, *accession_order(Run.accession))
    return _stream(conn, query)


def fold_runs(rows: Iterable[Mapping[str, Any]], project: str, notices: list[str]) -> Iterator[EnaRun]:
    """NFDP runs (ordered by experiment) → ENA RUNs; held pairs never outlive their experiment."""
    waiting: dict[str, Mapping[str, Any]] = {}
    current = None

    def flush() -> Iterator[EnaRun]:
        for row in waiting.values():
            yield _ena_run([row], project, (f"its mate {row['mate_accession']} is not in this experiment",)
                           if row["mate_accession"] else ())
        waiting.clear()

    for row in rows:
        if row["experiment_id"] != current:
            yield from flush()
            current = row["experiment_id"]
        if row["file_type"] not in READ_TYPES:
            notices.append(f"run {row['accession']} ({row['file_type']} {row['filename']}) is not reads: "
                           "left out of the ENA documents")
            continue
        mate = row["mate_accession"]
        if mate and mate in waiting and waiting[mate]["mate_accession"] == row["accession"]:
            first = waiting.pop(mate)
            pair = sorted([first, row], key=lambda r: r["read_direction"] != "forward")
            yield _ena_run(pair, project, ())
        elif mate:
            waiting[row["accession"]] = row
        else:
            problems = ()
            if row["file_type"] == "FASTQ" and row["read_direction"] != "single":
                problems = (f"{row['read_direction']} FASTQ file without a mate",)
            yield _ena_run([row], project, problems)
    yield from flush()


def _ena_run(rows: list[Mapping[str, Any]], project: str, problems: tuple[str, ...]) -> EnaRun:
    files = tuple(RunFile(r["accession"], upload_path(project, r["accession"], r["filename"]),
                          READ_TYPES[r["file_type"]], r["checksum_md5"], r["file_size"], r["file_path"],
                          r["read_direction"]) for r in rows)
    ena = {r["ena_accession"] for r in rows}
    return EnaRun(rows[0]["accession"], rows[0]["experiment_accession"], files,
                  next(iter(ena)) if len(ena) == 1 else None, problems)
