"""The journal of a submission: current state, journal, and the one commit.

A submission touches the database three times (DESIGN §5): a short transaction
that reserves accessions and journals the plan; small batched updates that
record each stored file's facts; and one transaction that inserts every
sample, experiment and run at once. Entities exist only after that last one, so
a reader never sees part of a submission.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ..registry.accessions import reserve
from ..registry.models import (
    EXPERIMENT_FIELDS,
    SAMPLE_COLUMNS,
    Experiment,
    Project,
    Run,
    Sample,
    Submission,
    SubmissionItem,
    utcnow,
)
from .plan import Existing, Plan, experiment_key, row_pairs

CHUNK = 900  # stay under SQLite's bound-parameter limits in IN (...) lists


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def sample_fields(sample: Sample) -> dict[str, Any]:
    fields = dict(sample.attributes or {})
    for name in SAMPLE_COLUMNS:
        value = getattr(sample, name)
        if value is not None:
            fields[name] = value
    return fields


def split_sample_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Checklist fields → (real columns, the JSON attributes column)."""
    columns = {name: fields.get(name) for name in SAMPLE_COLUMNS}
    if columns.get("tax_id") is not None:
        columns["tax_id"] = int(columns["tax_id"])
    for name in SAMPLE_COLUMNS:
        if name not in ("tax_id",) and columns[name] is not None:
            columns[name] = str(columns[name])
    attributes = {k: v for k, v in fields.items() if k not in SAMPLE_COLUMNS and v is not None}
    return columns, attributes


def load_existing(session: Session, project_id: int, aliases: Iterable[str], filenames: Iterable[str]) -> Existing:
    existing = Existing()
    sample_ids: dict[int, str] = {}
    for chunk in _chunks(sorted(set(aliases))):
        for sample in session.scalars(select(Sample).where(Sample.project_id == project_id, Sample.alias.in_(chunk))):
            existing.samples[sample.alias] = (sample.accession, sample_fields(sample))
            sample_ids[sample.id] = sample.alias
    for chunk in _chunks(sorted(sample_ids)):
        for exp in session.scalars(select(Experiment).where(Experiment.sample_id.in_(chunk))):
            fields = {name: getattr(exp, name) for name in EXPERIMENT_FIELDS}
            existing.experiments[experiment_key(sample_ids[exp.sample_id], fields)] = exp.accession
    for chunk in _chunks(sorted(set(filenames))):
        query = (
            select(Run.filename, Run.accession, Run.checksum_md5, Experiment.accession)
            .join(Experiment, Run.experiment_id == Experiment.id)
            .join(Sample, Experiment.sample_id == Sample.id)
            .where(Sample.project_id == project_id, Run.filename.in_(chunk))
        )
        for filename, run_acc, md5, exp_acc in session.execute(query):
            existing.runs[filename] = (run_acc, md5, exp_acc)
    return existing


def committed_duplicate(session: Session, project_id: int, sheet_sha256: str) -> Submission | None:
    """A committed submission of exactly this sheet to this project, if any."""
    return session.scalar(
        select(Submission)
        .where(Submission.project_id == project_id, Submission.sheet_sha256 == sheet_sha256,
               Submission.status == "committed")
        .order_by(Submission.id.desc()).limit(1)
    )


def committed_sheet(session: Session, project: str | None, sheet_sha256: str) -> tuple[str, str] | None:
    """(submission, project) accessions of the newest committed submission of exactly this
    sheet — to ``project`` if given, else to any project; None when there is none (or no such project)."""
    query = (select(Submission.accession, Project.accession).join(Project, Submission.project_id == Project.id)
             .where(Submission.sheet_sha256 == sheet_sha256, Submission.status == "committed"))
    if project is not None:
        query = query.where(Project.accession == project)
    row = session.execute(query.order_by(Submission.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


PLAN_KINDS = (("sample", "samples", "SAM"), ("experiment", "experiments", "EXP"), ("run", "runs", "RUN"))


def _item_key(kind: str, item) -> str:
    return {"sample": lambda i: i.alias, "experiment": lambda i: i.key, "run": lambda i: i.filename}[kind](item)


def reserve_plan(
    session: Session, *, project_id: int, sheet_name: str, sheet_sha256: str, checklist_id: str,
    storage: str, plan: Plan, accession: str | None = None,
) -> tuple[Submission, dict[str, dict]]:
    """Give every new entity of ``plan`` an accession and journal it.

    Accessions a crashed or failed earlier attempt reserved for the same
    entity (same project and alias / experiment key / filename) are taken
    over, so a re-run finishes with the numbers the first attempt reserved.
    Returns the submission and the stored facts journalled so far, by filename.
    ``accession``: use this submission (made beforehand by an HTTP request) for the journal.
    """
    pending = session.scalars(
        select(Submission).where(Submission.project_id == project_id, Submission.status != "committed")
        .order_by(Submission.id)
    ).all()
    if accession is not None:
        submission = next((s for s in pending if s.accession == accession), None)
        if submission is None:
            raise ValueError(f"submission {accession} is not pending in this project")
    else:
        submission = next((s for s in reversed(pending) if s.sheet_sha256 == sheet_sha256), None)
    if submission is None:
        (accession,) = reserve(session, "SUB")
        submission = Submission(
            accession=accession, project_id=project_id, sheet_name=sheet_name, sheet_sha256=sheet_sha256,
            checklist_id=checklist_id, storage=storage, status="reserved",
        )
        session.add(submission)
        session.flush()
    else:
        submission.status, submission.error, submission.storage = "reserved", None, storage

    journal: dict[tuple[str, str], SubmissionItem] = {}
    if pending:
        ids = [s.id for s in pending]
        for item in session.scalars(select(SubmissionItem).where(SubmissionItem.submission_id.in_(ids))):
            journal[(item.kind, item.key)] = item

    adopted: list[int] = []
    new_items: list[dict] = []
    stored_facts: dict[str, dict] = {}
    for kind, attr, code in PLAN_KINDS:
        fresh = []
        for entity in plan.new(attr):
            key = _item_key(kind, entity)
            item = journal.get((kind, key))
            if item is None:
                fresh.append((entity, key))
                continue
            entity.accession = item.accession
            if item.submission_id != submission.id:
                adopted.append(item.id)
            if kind == "run" and item.state == "stored" and item.facts:
                stored_facts[key] = item.facts
        for (entity, key), accession in zip(fresh, reserve(session, code, len(fresh))):
            entity.accession = accession
            new_items.append({"submission_id": submission.id, "kind": kind, "key": key, "accession": accession})
    for chunk in _chunks(adopted):
        session.execute(update(SubmissionItem).where(SubmissionItem.id.in_(chunk))
                        .values(submission_id=submission.id))
    for chunk in _chunks(new_items, 5000):
        session.connection().execute(SubmissionItem.__table__.insert(), chunk)
    submission.updated_at = utcnow()
    return submission, stored_facts


def record_stored(session: Session, submission_id: int, facts_by_filename: dict[str, dict]) -> None:
    """Journal the facts of files already checked/stored, so a re-run need not redo them."""
    if not facts_by_filename:
        return
    table = SubmissionItem.__table__
    session.connection().execute(
        table.update()
        .where(table.c.submission_id == submission_id, table.c.kind == "run", table.c.key == bindparam("_key"))
        .values(state="stored", facts=bindparam("_facts")),
        [{"_key": name, "_facts": facts} for name, facts in facts_by_filename.items()],
    )


def commit_plan(session: Session, *, submission: Submission, project_id: int, checklist_id: str,
                plan: Plan, facts: dict[str, dict], counts: dict) -> None:
    """Insert every new entity in the caller's single transaction (Core executemany:
    the ORM's per-object bookkeeping costs more than the inserts themselves)."""
    now = utcnow()
    sub_id = submission.id
    conn = session.connection()
    sample_rows = []
    for s in plan.new("samples"):
        columns, attributes = split_sample_fields(s.fields)
        sample_rows.append({
            "accession": s.accession, "project_id": project_id, "alias": s.alias, "checklist_id": checklist_id,
            "attributes": attributes, "submission_id": sub_id, "created_at": now, **columns,
        })
    _bulk_insert(conn, Sample, sample_rows)
    sample_ids = _ids(conn, Sample, sub_id, [s.accession for s in plan.reused("samples")])
    by_alias = {s.alias: sample_ids[s.accession] for s in plan.samples}

    _bulk_insert(conn, Experiment, [{
        "accession": e.accession, "sample_id": by_alias[e.sample_alias], "submission_id": sub_id,
        "created_at": now, **{name: e.fields.get(name) for name in EXPERIMENT_FIELDS},
    } for e in plan.new("experiments")])
    exp_ids = _ids(conn, Experiment, sub_id, [e.accession for e in plan.reused("experiments")])
    by_key = {e.key: exp_ids[e.accession] for e in plan.experiments}

    mate: dict[str, str] = {}
    for fwd, rev in row_pairs(plan.runs):
        mate[fwd.filename], mate[rev.filename] = rev.accession, fwd.accession
    run_rows = []
    for r in plan.new("runs"):
        f = facts[r.filename]
        run_rows.append({
            "accession": r.accession, "experiment_id": by_key[r.experiment_key], "filename": r.filename,
            "file_type": f["file_type"], "file_size": f["size"], "checksum_md5": f["md5"],
            "checksum_sha256": f["sha256"], "read_direction": r.direction, "mate_accession": mate.get(r.filename), "file_path": f["file_path"],
            "read_count": f.get("read_count"), "ena_accession": None, "submission_id": sub_id, "created_at": now,
        })
    _bulk_insert(conn, Run, run_rows)
    conn.execute(
        update(Submission.__table__).where(Submission.__table__.c.id == sub_id)
        .values(status="committed", error=None, counts=counts, finished_at=now, updated_at=now)
    )


def _bulk_insert(conn, model, rows: list[dict]) -> None:
    for chunk in _chunks(rows, 5000):
        conn.execute(model.__table__.insert(), chunk)


def _ids(conn, model, submission_id: int, reused: list[str]) -> dict[str, int]:
    """accession → id for what this submission inserted (one query) and what it reuses."""
    table = model.__table__
    ids = dict(conn.execute(select(table.c.accession, table.c.id).where(table.c.submission_id == submission_id)).all())
    for chunk in _chunks(reused):
        ids.update(conn.execute(select(table.c.accession, table.c.id).where(table.c.accession.in_(chunk))).all())
    return ids


def mark_failed(session: Session, submission_id: int, error: str) -> None:
    session.execute(
        update(Submission).where(Submission.id == submission_id)
        .values(status="failed", error=error[:20000], updated_at=utcnow(), finished_at=utcnow())
    )
