"""The submission job: a sheet submitted over HTTP, run through the same submit path as
``nfdp-ingest submit`` with the files taken from the submitter's staging area.

``create`` (called by the API) records a queued submission — its accession is the answer to
the request — with the job's arguments in the ``job`` column; ``run_submission`` (the job,
argument: the accession) runs it and records the outcome; ``resume_pending`` enqueues again
every submission that was queued or running when the process stopped. Running a job twice
is harmless: a committed submission is left alone, a pending one resumes from its journal.
"""

from __future__ import annotations

import base64
import logging
import shutil
import time
from pathlib import Path

from sqlalchemy import select, update

from ..errors import InvalidInput, LockHeld, NfdpError
from ..progress import Progress
from ..registry.accessions import reserve
from ..registry.db import open_registry, transaction
from ..registry.locks import process_lock
from ..registry.models import Submission, utcnow
from ..registry.projects import get_project
from .registry import job

log = logging.getLogger("nfdp_ingest.jobs")

PENDING = ("queued", "running", "reserved")
PROGRESS_SECONDS = 1.0


class Duplicate(InvalidInput):
    """The same sheet is being submitted to the same project already."""

    def __init__(self, accession: str):
        super().__init__(f"the same sheet is already being submitted to this project as {accession}")
        self.accession = accession


def public_status(row: Submission) -> str:
    """queued | running | committed | failed, as clients see it: a job's submission counts as
    committed once its outcome is recorded too (a moment after the commit itself)."""
    if row.status == "committed" and row.token_id is not None and row.outcome is None:
        return "running"
    return {"reserved": "running"}.get(row.status, row.status)


def sheet_file(settings, accession: str, args: dict) -> Path:
    """The submission's sheet on this host: where the API kept it, else written out of the
    database (``sheet_data``, workers on other hosts) under this host's data dir."""
    kept = Path(args["sheet"])
    if kept.is_file() or not args.get("sheet_data"):
        return kept
    local = settings.data_dir / "submissions" / accession / kept.name
    if not local.is_file():
        local.parent.mkdir(parents=True, exist_ok=True)
        temp = local.with_name(local.name + ".part")
        temp.write_bytes(base64.b64decode(args["sheet_data"]))
        temp.replace(local)
    return local


def source_for(settings, engine, args: dict, storage=None):
    """Where a queued submission's files come from: a folder (``submit --queue``, a folder
    every worker sees) or the owner token's staging area (HTTP)."""
    from ..pipeline.sources import LocalFolder, StagedSource
    from ..staging.area import open_area

    if args.get("files_root"):
        return LocalFolder(Path(args["files_root"]))
    return StagedSource(engine, open_area(settings, storage), args["owner"], settings.data_dir / "files")


def create(engine, settings, *, sheet: Path, sheet_name: str, sheet_sha256: str, project: str,
           checklist: str | None, checklist_id: str, owner: int | None, files_root: str | None = None) -> str:
    """Record a queued submission and keep its sheet; its accession. Duplicate when the same
    sheet is pending in the project (the accession counter's row lock orders two requests)."""
    with transaction(engine) as session:
        project_id = get_project(session, project).id
        (accession,) = reserve(session, "SUB")  # locks the counter row until commit
        dup = session.scalar(select(Submission.accession).where(
            Submission.project_id == project_id, Submission.sheet_sha256 == sheet_sha256,
            Submission.status.in_(PENDING)))
        if dup:
            raise Duplicate(dup)
        folder = settings.data_dir / "submissions" / accession
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"sheet{sheet.suffix.lower()}"
        shutil.copyfile(sheet, kept)
        job_args = {"sheet": str(kept.absolute()), "project": project, "checklist": checklist, "owner": owner}
        if files_root:
            job_args["files_root"] = files_root
        if settings.jobs == "workers":  # workers on other hosts read the sheet from the database
            job_args["sheet_data"] = base64.b64encode(kept.read_bytes()).decode("ascii")
        session.add(Submission(
            accession=accession, project_id=project_id, sheet_name=sheet_name, sheet_sha256=sheet_sha256,
            checklist_id=checklist_id, storage=settings.storage, status="queued", token_id=owner,
            job=job_args,
            progress={"files_done": 0, "files_total": None, "bytes_done": 0, "bytes_total": None}))
    return accession


class DbProgress(Progress):
    """Progress written to the submission row (at most every second), for GET …/{acc}."""

    def __init__(self, engine, submission_id: int, total_bytes: int, total_files: int, label: str = "storing"):
        super().__init__(total_bytes, total_files, label)
        self.engine, self.submission_id, self.last = engine, submission_id, 0.0
        self._write()

    def _write(self) -> None:
        self.last = time.monotonic()
        value = {"files_done": self.files_done, "files_total": self.total_files,
                 "bytes_done": self.bytes_done, "bytes_total": self.total_bytes}
        try:
            with transaction(self.engine) as session:
                session.execute(update(Submission).where(Submission.id == self.submission_id)
                                .values(progress=value))
        except Exception as exc:  # noqa: BLE001 - progress is informative; the work goes on
            log.warning("could not record progress: %s", exc)

    def _changed(self) -> None:
        if time.monotonic() - self.last >= PROGRESS_SECONDS:
            self._write()

    def _finish(self) -> None:
        self._write()


def _record(engine, accession: str, **values) -> None:
    with transaction(engine) as session:
        session.execute(update(Submission).where(Submission.accession == accession)
                        .values(updated_at=utcnow(), **values))


@job("submission")
def run_submission(settings, accession: str) -> str:
    """Run (or resume) the HTTP submission ``accession``; its final status. Several server
    processes may be asked to (each resumes what it finds pending at start-up): the
    submission's lock lets one run it, the others return at once."""
    engine = open_registry(settings.db_url)
    with transaction(engine) as session:
        sub_id = session.scalar(select(Submission.id).where(Submission.accession == accession))
    if sub_id is None:
        raise ValueError(f"{accession} is not a submission made over HTTP")
    try:
        with process_lock(settings.db_url, "submission", sub_id, busy="another server process",
                          then="it is running this submission", fallback_dir=settings.data_dir, remove=True):
            return _run_locked(settings, engine, accession)
    except LockHeld as exc:
        log.info("submission %s: %s", accession, exc.message)
        with transaction(engine) as session:
            return session.scalar(select(Submission.status).where(Submission.id == sub_id))


def _run_locked(settings, engine, accession: str) -> str:
    from ..pipeline.report import failure_dict
    from ..pipeline.submit import submit_sheet
    from ..storage import open_storage

    with transaction(engine) as session:  # read under the lock: a run that ended before is seen
        row = session.scalar(select(Submission).where(Submission.accession == accession))
        if row.job is None:
            raise ValueError(f"{accession} is not a submission made over HTTP")
        if row.status not in PENDING:
            return row.status  # done already (a job may run twice)
        args, sub_id, name = dict(row.job), row.id, row.sheet_name
        if row.status == "queued":
            row.status = "running"
    storage = open_storage(settings)
    source = source_for(settings, engine, args, storage)
    try:
        result = submit_sheet(
            sheet_file(settings, accession, args), settings, project=args["project"], checklist=args.get("checklist"),
            source=source, submission=accession, show_progress=True,
            progress_factory=lambda total, files, label: DbProgress(engine, sub_id, total, files, label))
    except NfdpError as exc:
        outcome = failure_dict(name, exc)
        outcome.update(submission=accession, project=args["project"])
        _record(engine, accession, status="failed", error=exc.message[:20000], outcome=outcome,
                finished_at=utcnow())
        log.info("submission %s failed: %s", accession, exc.message.splitlines()[0])
        return "failed"
    outcome = result.to_dict()
    outcome["sheet"] = name
    done = {"files_done": len(result.facts), "files_total": len(result.facts),
            "bytes_done": result.bytes_processed, "bytes_total": result.bytes_processed}
    if result.status == "unchanged":  # nothing new: the sheet was committed before
        outcome.update(submission=accession, duplicate_of=result.submission)
        _record(engine, accession, status="committed", outcome=outcome, progress=done, finished_at=utcnow(),
                counts={"samples": {"created": 0}, "experiments": {"created": 0}, "runs": {"created": 0}})
    else:
        _record(engine, accession, outcome=outcome, progress=done)
    return "committed"


def resume_pending(settings, runner) -> list[str]:
    """Enqueue every HTTP submission that was queued or running when the server stopped."""
    engine = open_registry(settings.db_url)
    with transaction(engine) as session:
        pending = list(session.scalars(select(Submission.accession).where(
            Submission.status.in_(PENDING), Submission.token_id.is_not(None)).order_by(Submission.id)))
    for accession in pending:
        log.info("resuming submission %s", accession)
        runner.enqueue("submission", accession=accession)
    return pending
