"""A submission split over workers (``NFDP_JOBS=workers``).

``submission-plan`` validates, plans and reserves (the same journal as ``submit``), then
enqueues one ``submission-batch`` job per ``NFDP_JOB_BATCH_FILES`` files in the same
transaction. Each batch stores its files and journals their facts; in that transaction it
locks the submission row and counts the run items still ``planned``: the batch that finds
none left enqueues the commit (the ``submission`` job, which resumes from the journal, reads
no file again and commits once). A batch run twice (a dead worker's, retried) journals the
same facts again and counts progress only for items it moves out of ``planned``.
Anything but the plain case (invalid sheet, conflicts, nothing new, missing files) goes
straight to the ``submission`` job, which records the outcome as it always has.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from types import SimpleNamespace

from sqlalchemy import func, select, update

from ..errors import NfdpError
from ..registry.db import open_registry, transaction
from ..registry.models import Submission, SubmissionItem, utcnow
from .registry import job
from .submission import PENDING, sheet_file

log = logging.getLogger("nfdp_ingest.jobs")

RUN_FIELDS = ("filename", "experiment_key", "sample_alias", "direction", "declared_md5", "expected_type",
              "line", "column", "accession")


class BatchStorer:
    """A Storer that leaves journalling to the batch's closing transaction."""

    def __new__(cls, *args, **kwargs):
        from ..pipeline.store import Storer

        class _Storer(Storer):
            def flush(self) -> None:
                self.unsaved.clear()
                self.last_flush = time.monotonic()

        return _Storer(*args, **kwargs)


class BatchPlan:
    """The part of a plan a batch needs: its runs and their samples' accessions."""

    def __init__(self, runs, samples):
        self.runs, self.samples = runs, samples

    def new(self, kind: str) -> list:
        return self.runs if kind == "runs" else []


def _commit_lock(accession: str) -> dict:
    return {"queueing_lock": f"commit:{accession}", "lock": f"commit:{accession}"}


def _defer_commit(session, accession: str) -> None:
    from .distributed import defer_in

    defer_in(session, "submission", {"accession": accession}, **_commit_lock(accession))


def _load(engine, accession: str):
    with transaction(engine) as session:
        row = session.scalar(select(Submission).where(Submission.accession == accession))
        if row is None or row.job is None:
            raise ValueError(f"{accession} is not a submission made over HTTP")
        return row


def _source(settings, engine, args: dict):
    from ..storage import open_storage
    from .submission import source_for

    storage = open_storage(settings)
    return storage, source_for(settings, engine, args, storage)


@job("submission-plan")
def plan_submission(settings, accession: str) -> str:
    from ..pipeline import journal
    from ..pipeline.plan import make_plan
    from ..pipeline.store import _unchanged
    from ..registry.projects import get_project
    from ..sheet import validate_sheet

    engine = open_registry(settings.db_url)
    row = _load(engine, accession)
    if row.status not in PENDING:
        return row.status
    args, sub_id = dict(row.job), row.id
    report = validate_sheet(sheet_file(settings, accession, args), args.get("checklist"))
    plan = files = None
    if report.valid:
        with transaction(engine) as session:
            project_id = get_project(session, args["project"]).id
            existing = journal.load_existing(session, project_id, (r.sample_alias for r in report.rows),
                                             (f.filename for r in report.rows for f in r.files))
        plan, conflicts = make_plan(report.rows, existing)
        storage, source = _source(settings, engine, args)
        if conflicts or plan.nothing_new:
            plan = None
        else:
            try:
                files = source.resolve(plan)
            except NfdpError:
                plan = None
    with transaction(engine) as session:
        if plan is None:  # the commit job records what is wrong (or unchanged)
            _defer_commit(session, accession)
            return "queued commit"
        sub = session.scalar(select(Submission).where(Submission.id == sub_id).with_for_update())
        if sub.status not in PENDING:
            return sub.status
        if (sub.progress or {}).get("batches") is not None:
            return "planned already"  # this job ran before and its batches are queued (a retry)
        _, journalled = journal.reserve_plan(
            session, project_id=project_id, sheet_name=sub.sheet_name, sheet_sha256=sub.sheet_sha256,
            checklist_id=report.checklist, storage=storage.mode, plan=plan, accession=accession)
        runs = plan.new("runs")
        todo = [r for r in runs if not _unchanged(journalled.get(r.filename), files[r.filename][1])]
        sample_acc = {s.alias: s.accession for s in plan.samples}
        size = {r.filename: files[r.filename][1].st_size for r in runs}
        total_bytes = sum(size.values())
        left = sum(size[r.filename] for r in todo)
        sub.progress = {"files_done": len(runs) - len(todo), "files_total": len(runs),
                        "bytes_done": total_bytes - left, "bytes_total": total_bytes,
                        "batches": 0}
        step = max(1, settings.job_batch_files)
        from .distributed import defer_in

        chunks = [todo[i:i + step] for i in range(0, len(todo), step)]
        for chunk in chunks:
            defer_in(session, "submission-batch", {"accession": accession, "runs": [
                {**{k: asdict(r)[k] for k in RUN_FIELDS}, "sample_accession": sample_acc[r.sample_alias]}
                for r in chunk]})
        sub.progress = {**sub.progress, "batches": len(chunks)}
        if not chunks:
            _defer_commit(session, accession)
    source.claim(sub_id)
    log.info("submission %s: %d file(s) in %d batch job(s)", accession, len(todo), len(chunks))
    return f"{len(chunks)} batches"


@job("submission-batch")
def store_batch(settings, accession: str, runs: list[dict]) -> str:
    from ..pipeline import journal
    from ..pipeline.errors import SubmissionFailed
    from ..pipeline.plan import PlannedRun
    engine = open_registry(settings.db_url)
    row = _load(engine, accession)
    if row.status not in PENDING:
        return row.status  # committed or failed meanwhile: nothing to add
    args, sub_id = dict(row.job), row.id
    planned = [PlannedRun(**{k: r[k] for k in RUN_FIELDS}) for r in runs]
    samples = {r["sample_alias"]: SimpleNamespace(alias=r["sample_alias"], accession=r["sample_accession"])
               for r in runs}
    plan = BatchPlan(planned, list(samples.values()))
    storage, source = _source(settings, engine, args)
    facts: dict = {}
    try:
        files = source.resolve(plan)
        storer = BatchStorer(plan, files, storage, engine, submission_id=sub_id, journalled={}, project=args["project"],
                        threads=settings.threads, deep=False, show_progress=False, source=source)
        try:
            facts = storer.run()
        except SubmissionFailed:
            facts = storer.facts  # the commit job meets the bad files again and reports them
    except SubmissionFailed:
        pass
    names = [r["filename"] for r in runs]
    with transaction(engine) as session:
        sub = session.scalar(select(Submission).where(Submission.id == sub_id).with_for_update())
        if sub.status not in PENDING:
            return sub.status
        items = SubmissionItem.__table__.c
        mine = (items.submission_id == sub_id) & (items.kind == "run")
        fresh = set(session.scalars(select(items.key).where(mine, items.state == "planned", items.key.in_(names))))
        journal.record_stored(session, sub_id, {k: v for k, v in facts.items() if k in fresh})
        failed = [n for n in fresh if n not in facts]
        if failed:
            session.execute(update(SubmissionItem.__table__).where(mine, items.key.in_(failed))
                            .values(state="problem"))
        left = session.scalar(select(func.count()).where(mine, items.state == "planned"))
        progress = dict(sub.progress or {})
        progress["files_done"] = progress.get("files_done", 0) + len(fresh)
        progress["bytes_done"] = progress.get("bytes_done", 0) + sum(facts[n]["size"] for n in fresh if n in facts)
        sub.progress, sub.updated_at = progress, utcnow()
        if left == 0:
            _defer_commit(session, accession)
    log.info("submission %s: batch of %d file(s) stored, %d left", accession, len(runs), left)
    return f"{len(fresh)} stored, {left} left"
