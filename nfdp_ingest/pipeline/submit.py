"""Submit one sheet: validate → plan → reserve → stream files → verify → commit.

All or nothing, resumable (DESIGN §5). The CLI and the nightly job both call
``submit_sheet``; it returns a ``SubmitResult`` or raises an NfdpError whose
exit code says whose fault it was (1 the input's, 3 the infrastructure's).
The storage step itself is ``store.Storer``; the text and HTML views are in ``report``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..errors import InvalidInput, NfdpError
from ..files import FileProblem, file_digest
from ..progress import make_progress
from ..registry.db import db_errors, db_reason, open_registry, transaction
from ..registry.projects import get_project
from ..sheet import SheetReport, validate_sheet
from ..storage import open_storage
from . import journal
from .errors import SheetInvalid, SubmissionFailed, problems_message
from .plan import Plan, PlannedRun, make_plan
from .report import outcome_dict
from .sources import FileSource, LocalFolder
from .store import Facts, ResolvedFiles, Storer, run_problem, verify_all

__all__ = ["SheetInvalid", "SubmissionFailed", "SubmitResult", "sheet_digest", "submit_sheet"]

log = logging.getLogger("nfdp_ingest.submit")


@dataclass
class SubmitResult:
    sheet: str
    project: str
    status: str  # committed | unchanged | dry-run
    submission: str | None
    plan: Plan
    facts: dict[str, Facts] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)
    bytes_processed: int = 0
    seconds: float = 0.0

    def run_rows(self, runs: list[PlannedRun]) -> list[dict]:
        out = []
        for r in runs:
            f = self.facts.get(r.filename, {})
            out.append({
                "accession": r.accession, "filename": r.filename, "read_direction": r.direction,
                "file_type": f.get("file_type", r.expected_type), "file_size": f.get("size"),
                "checksum_md5": f.get("md5", r.declared_md5), "file_path": f.get("file_path"),
                "sample_alias": r.sample_alias,
            })
        return out

    def to_dict(self) -> dict:
        plan = self.plan
        sample_acc = {s.alias: s.accession for s in plan.samples}

        def rows(kind: str, items) -> list[dict]:
            if kind == "samples":
                return [{"accession": s.accession, "alias": s.alias} for s in items]
            if kind == "experiments":
                return [{"accession": e.accession, "sample_accession": sample_acc.get(e.sample_alias),
                         "sample_alias": e.sample_alias, **e.fields} for e in items]
            return self.run_rows(items)

        kinds = ("samples", "experiments", "runs")
        return outcome_dict(
            submission=self.submission, status=self.status, project=self.project, sheet=self.sheet,
            new={k: rows(k, plan.new(k)) for k in kinds}, reused={k: rows(k, plan.reused(k)) for k in kinds},
            warnings=self.warnings, bytes=self.bytes_processed, seconds=round(self.seconds, 3))


class _Phases:
    """Debug log of how long each step took (``NFDP_LOG_LEVEL=DEBUG``)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        log.debug("phase %s: %.2f s", name, now - self.last)
        self.last = now


def sheet_digest(path: Path) -> str:
    """A sheet's identity for resume and duplicate detection."""
    return file_digest(path, "sha256")


def _project_accession(report: SheetReport, project: str | None) -> str:
    in_sheet = sorted({r.project_accession for r in report.rows if r.project_accession})
    if project and in_sheet and in_sheet != [project]:
        raise InvalidInput(f"--project {project} disagrees with the sheet's project_accession column "
                           f"({', '.join(in_sheet)})")
    if project:
        return project
    if len(in_sheet) > 1:
        raise InvalidInput(f"the sheet names several projects ({', '.join(in_sheet)}); submit one project per sheet")
    if not in_sheet:
        raise InvalidInput("no project: give --project NFDP-PRJ-… or a project_accession column")
    if len({r.project_accession for r in report.rows}) > 1:
        raise InvalidInput("project_accession is empty on some rows; fill it on every row or use --project")
    return in_sheet[0]


def submit_sheet(
    sheet: str | Path,
    settings: Settings,
    *,
    project: str | None = None,
    checklist: str | None = None,
    files_root: str | Path | None = None,
    threads: int | None = None,
    deep: bool = False,
    dry_run: bool = False,
    show_progress: bool = True,
    sheet_sha256: str | None = None,
    source: FileSource | None = None,
    submission: str | None = None,
    progress_factory=None,
) -> SubmitResult:
    """``sheet_sha256``: the sheet's digest when the caller has it already (nightly).
    ``source``: where the files come from (default: the folder ``files_root``, else the
    sheet's); ``submission``: the accession of a submission made beforehand (an HTTP job);
    ``progress_factory``: ``make_progress``'s signature, for a progress shown elsewhere."""
    started = time.monotonic()
    phase = _Phases()
    sheet = Path(sheet)
    report = validate_sheet(sheet, checklist)
    phase("validate")
    if not report.valid:
        raise SheetInvalid(report)
    digest = sheet_sha256 or sheet_digest(sheet)  # identity for resume and duplicates
    project_acc = _project_accession(report, project)
    source = source or LocalFolder(Path(files_root) if files_root else sheet.resolve().parent)
    threads = max(1, threads or settings.threads)

    engine = open_registry(settings.db_url)
    storage = open_storage(settings)
    with db_errors("while planning"), transaction(engine) as session:
        project_id = get_project(session, project_acc).id
        existing = journal.load_existing(
            session, project_id, (r.sample_alias for r in report.rows),
            (f.filename for r in report.rows for f in r.files),
        )

    plan, conflicts = make_plan(report.rows, existing)
    phase("plan")
    if conflicts:
        raise SubmissionFailed(problems_message("conflict", conflicts), conflicts, None)
    result = SubmitResult(sheet=str(sheet), project=project_acc, status="unchanged", submission=None,
                          plan=plan, warnings=list(report.warnings))
    if plan.nothing_new:
        with transaction(engine) as session:
            dup = journal.committed_duplicate(session, project_id, digest)
            result.submission = dup.accession if dup else None
        log.info("%s: nothing new, every entity is already registered", sheet.name)
        result.seconds = time.monotonic() - started
        return result

    files = source.resolve(plan)
    phase("resolve files")
    if dry_run:
        result.status = "dry-run"
        result.facts = _check_only(plan, files, source, threads, deep, show_progress)
        result.bytes_processed = sum(f["size"] for f in result.facts.values())
        result.seconds = time.monotonic() - started
        return result

    with db_errors("while reserving accessions"), transaction(engine) as session:
        submission, journalled = journal.reserve_plan(
            session, project_id=project_id, sheet_name=str(sheet), sheet_sha256=digest,
            checklist_id=report.checklist, storage=storage.mode, plan=plan, accession=submission,
        )
        submission_row = submission
        submission_id, result.submission = submission.id, submission.accession
    phase("reserve")
    log.info("%s: submission %s reserved %d samples, %d experiments, %d runs", sheet.name, result.submission,
             len(plan.new("samples")), len(plan.new("experiments")), len(plan.new("runs")))

    try:
        source.claim(submission_id)
        result.facts = Storer(plan, files, storage, engine, submission_id=submission_id, journalled=journalled,
                              project=project_acc, threads=threads, deep=deep, show_progress=show_progress,
                              source=source, progress_factory=progress_factory).run()
        result.bytes_processed = sum(f["size"] for f in result.facts.values())
        phase("store")
        verify_all(plan, storage, result.facts)
        phase("verify")
        counts = {kind: {"created": len(plan.new(kind)), "reused": len(plan.reused(kind))}
                  for kind in ("samples", "experiments", "runs")}
        counts["bytes"] = result.bytes_processed
        with db_errors("during commit, nothing was committed"), transaction(engine) as session:
            journal.commit_plan(session, submission=submission_row, project_id=project_id,
                                checklist_id=report.checklist, plan=plan, facts=result.facts, counts=counts)
        phase("commit")
    except NfdpError as exc:
        _mark_failed(engine, submission_id, exc.message)
        if isinstance(exc, SubmissionFailed):
            exc.submission = result.submission
        raise
    except BaseException as exc:  # KeyboardInterrupt too: leave the journal saying why
        _mark_failed(engine, submission_id, f"interrupted: {type(exc).__name__}: {exc}")
        raise
    result.status = "committed"
    try:
        source.release(submission_id)
    except (NfdpError, OSError, SQLAlchemyError) as exc:  # committed already; `staging clean` retries
        log.warning("submission %s committed; its staged files were not released: %s", result.submission, exc)
    result.seconds = time.monotonic() - started
    log.info("%s: committed submission %s (%d runs, %d bytes, %.1f s)", sheet.name, result.submission,
             len(plan.new("runs")), result.bytes_processed, result.seconds)
    return result


def _mark_failed(engine, submission_id: int, reason: str) -> None:
    try:
        with transaction(engine) as session:
            journal.mark_failed(session, submission_id, reason)
    except SQLAlchemyError as exc:  # the database itself may be what failed
        log.warning("could not record the failure in the journal: %s", db_reason(exc))


def _check_only(plan: Plan, files: ResolvedFiles, source: FileSource, threads: int, deep: bool,
                show_progress: bool) -> dict[str, Facts]:
    """Dry run: every check a submission makes, nothing stored or written."""
    runs = plan.new("runs")
    total = sum(files[r.filename][1].st_size for r in runs)
    progress = make_progress(total, len(runs), label="hashing") if show_progress and runs else None
    try:
        outcomes = source.check(plan, files, threads, deep, progress)
    finally:
        if progress:
            progress.close()
    facts: dict[str, Facts] = {}
    problems = []
    for run, outcome in zip(runs, outcomes):
        if isinstance(outcome, FileProblem):
            problems.append(run_problem(run, outcome))
        else:
            facts[run.filename] = Facts(file_path=str(files[run.filename][0]), size=outcome.size,
                                        md5=outcome.md5, sha256=outcome.sha256,
                                        file_type=outcome.file_type, read_count=outcome.read_count)
    if problems:
        raise SubmissionFailed(problems_message("file", problems), problems, None)
    return facts
