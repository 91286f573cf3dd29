"""Submit one sheet: validate → plan → reserve → stream files → verify → commit.

All or nothing, resumable (DESIGN §5). The CLI and the nightly job both call
``submit_sheet``; it returns a ``SubmitResult`` or raises an NfdpError whose
exit code says whose fault it was (1 the input's, 3 the infrastructure's).
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..errors import InfrastructureError, InvalidInput, NfdpError
from ..files import (
    FileFacts,
    FileProblem,
    ScanJob,
    check_pair,
    deep_check,
    file_digest,
    resolve_file,
    scan_files,
)
from ..progress import make_progress
from ..registry.db import open_registry, transaction
from ..registry.projects import get_project
from ..sheet import SheetReport, validate_sheet
from ..storage import ObjectKey, StoredFile, open_storage
from . import journal
from .plan import Plan, PlannedRun, make_plan

log = logging.getLogger("nfdp_ingest.submit")

JOURNAL_FLUSH_SECONDS = 2.0
# Local files smaller than this are simply read again after a crash: journalling
# 100,000 tiny files' facts costs more than re-hashing them.
JOURNAL_MIN_BYTES = 1024 * 1024


class SheetInvalid(InvalidInput):
    """The sheet failed validation; ``report`` says where."""

    def __init__(self, report: SheetReport):
        first = report.to_text().splitlines()
        super().__init__("\n".join(first[:50]) + ("\n…" if len(first) > 50 else ""))
        self.report = report


class SubmissionFailed(NfdpError):
    """Files or plan were refused after the sheet validated; ``problems`` lists each."""

    def __init__(self, message: str, problems: list[dict], submission: str | None, exit_code: int = 1):
        super().__init__(message)
        self.problems = problems
        self.submission = submission
        self.exit_code = exit_code


@dataclass
class SubmitResult:
    sheet: str
    project: str
    status: str  # committed | unchanged | dry-run
    submission: str | None
    plan: Plan
    facts: dict[str, dict] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)
    bytes_processed: int = 0
    seconds: float = 0.0

    def _runs(self, runs: list[PlannedRun]) -> list[dict]:
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

        def samples(items):
            return [{"accession": s.accession, "alias": s.alias} for s in items]

        def experiments(items):
            return [{"accession": e.accession, "sample_accession": sample_acc.get(e.sample_alias),
                     "sample_alias": e.sample_alias, **e.fields} for e in items]

        return {
            "submission": self.submission,
            "status": self.status,
            "project": self.project,
            "sheet": self.sheet,
            "samples": samples(plan.new("samples")),
            "experiments": experiments(plan.new("experiments")),
            "runs": self._runs(plan.new("runs")),
            "reused": {
                "samples": samples(plan.reused("samples")),
                "experiments": experiments(plan.reused("experiments")),
                "runs": self._runs(plan.reused("runs")),
            },
            "warnings": self.warnings,
            "bytes": self.bytes_processed,
            "seconds": round(self.seconds, 3),
        }

    def to_text(self) -> str:
        plan = self.plan
        verb = {"committed": "committed", "unchanged": "nothing new", "dry-run": "dry run"}[self.status]
        head = f"{self.sheet}: {verb}"
        if self.submission:
            head += f" (submission {self.submission})"
        lines = [head + f", project {self.project}"]
        for kind in ("samples", "experiments", "runs"):
            label = "would create" if self.status == "dry-run" else "created"
            lines.append(f"  {kind + ':':<13}{len(plan.new(kind))} {label}, {len(plan.reused(kind))} already registered")
        if self.status == "unchanged":
            lines.append("  every sample, experiment and run of this sheet is already registered; nothing was written")
        for s in plan.new("samples"):
            lines.append(f"  {s.accession or '(new sample)':<18}sample      {s.alias}")
        for e in plan.new("experiments"):
            f = e.fields
            lines.append(f"  {e.accession or '(new experiment)':<18}experiment  {e.sample_alias}: "
                         f"{f.get('platform')} {f.get('instrument_model')}, {f.get('library_strategy')}, "
                         f"{f.get('library_layout')}")
        for r in self._runs(plan.new("runs")):
            size = r["file_size"]
            lines.append(f"  {r['accession'] or '(new run)':<18}run         {r['filename']} "
                         f"{r['file_type']} {size if size is not None else '?'} bytes md5 {r['checksum_md5']}")
        for w in self.warnings:
            where = f"line {w['row']}, column {w['column']}: " if w.get("row") else ""
            lines.append(f"  warning: {where}{w['message']}")
        return "\n".join(lines)


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


def _resolve_all(plan: Plan, root: Path) -> dict[str, tuple[Path, os.stat_result]]:
    """Every new run's file, resolved under the root and stat'ed once (size, mtime).

    All problems are collected, so the submitter sees every missing file at once."""
    found, problems = {}, []
    for run in plan.new("runs"):
        try:
            path = resolve_file(root, run.filename)
            found[run.filename] = (path, path.stat())
        except FileProblem as exc:
            problems.append(_problem(run, exc))
        except OSError as exc:
            problems.append(_problem(run, FileProblem(run.filename, f"cannot be read ({exc.strerror})",
                                                      kind="unreadable")))
    if problems:
        raise SubmissionFailed(_summary("file", problems), problems, None)
    return found


def _problem(run: PlannedRun, exc: FileProblem) -> dict:
    return {"row": run.line, "column": run.column, "value": run.filename, "message": exc.message}


def _summary(what: str, problems: list[dict]) -> str:
    lines = [f"{len(problems)} {what} problem{'s' if len(problems) != 1 else ''}; nothing was committed:"]
    for p in problems[:50]:
        where = f"line {p['row']}, column {p['column']}: " if p.get("row") else ""
        lines.append(f"  {where}{p['message']}")
    if len(problems) > 50:
        lines.append(f"  … and {len(problems) - 50} more")
    return "\n".join(lines)


def _facts_dict(stored: StoredFile, mtime_ns: int) -> dict:
    f = stored.facts
    return {"file_path": stored.file_path, "size": f.size, "md5": f.md5, "sha256": f.sha256,
            "file_type": f.file_type, "read_count": f.read_count, "mtime_ns": mtime_ns}


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
) -> SubmitResult:
    """``sheet_sha256``: the sheet's digest when the caller has it already (nightly)."""
    started = time.monotonic()
    phase = _Phases()
    sheet = Path(sheet)
    report = validate_sheet(sheet, checklist)
    report.rows  # noqa: B018 — rows are built on first use; count it as validation
    phase("validate")
    if not report.valid:
        raise SheetInvalid(report)
    digest = sheet_sha256 or sheet_digest(sheet)  # identity for resume and duplicates
    project_acc = _project_accession(report, project)
    root = Path(files_root) if files_root else sheet.resolve().parent
    threads = max(1, threads or settings.threads)

    engine = open_registry(settings.db_url)
    storage = open_storage(settings)
    try:
        with transaction(engine) as session:
            project_row = get_project(session, project_acc)
            project_id = project_row.id
            existing = journal.load_existing(
                session, project_id, (r.sample_alias for r in report.rows),
                (f.filename for r in report.rows for f in r.files),
            )
    except SQLAlchemyError as exc:
        raise InfrastructureError(f"database error while planning: {_db_reason(exc)}") from exc

    plan, conflicts = make_plan(report.rows, existing)
    phase("plan")
    if conflicts:
        raise SubmissionFailed(_summary("conflict", conflicts), conflicts, None)
    result = SubmitResult(sheet=str(sheet), project=project_acc, status="unchanged", submission=None,
                          plan=plan, warnings=list(report.warnings))
    if plan.nothing_new:
        with transaction(engine) as session:
            dup = journal.committed_duplicate(session, project_id, digest)
            result.submission = dup.accession if dup else None
        log.info("%s: nothing new, every entity is already registered", sheet.name)
        result.seconds = time.monotonic() - started
        return result

    files = _resolve_all(plan, root)
    phase("resolve files")
    if dry_run:
        result.status = "dry-run"
        result.facts = _check_only(plan, files, threads, deep, show_progress)
        result.bytes_processed = sum(f["size"] for f in result.facts.values())
        result.seconds = time.monotonic() - started
        return result

    try:
        with transaction(engine) as session:
            submission, journalled = journal.reserve_plan(
                session, project_id=project_id, sheet_name=str(sheet), sheet_sha256=digest,
                checklist_id=report.checklist, storage=storage.mode, plan=plan,
            )
            submission_id, result.submission = submission.id, submission.accession
    except SQLAlchemyError as exc:
        raise InfrastructureError(f"database error while reserving accessions: {_db_reason(exc)}") from exc
    phase("reserve")
    log.info("%s: submission %s reserved %d samples, %d experiments, %d runs", sheet.name, result.submission,
             len(plan.new("samples")), len(plan.new("experiments")), len(plan.new("runs")))

    try:
        result.facts = _store_all(plan, files, storage, engine, submission_id, journalled, project_acc,
                                  threads, deep, show_progress)
        result.bytes_processed = sum(f["size"] for f in result.facts.values())
        phase("store")
        _verify_all(plan, storage, result.facts)
        phase("verify")
        counts = {kind: {"created": len(plan.new(kind)), "reused": len(plan.reused(kind))}
                  for kind in ("samples", "experiments", "runs")}
        counts["bytes"] = result.bytes_processed
        try:
            with transaction(engine) as session:
                journal.commit_plan(session, submission=submission, project_id=project_id,
                                    checklist_id=report.checklist, plan=plan, facts=result.facts, counts=counts)
            phase("commit")
        except SQLAlchemyError as exc:
            raise InfrastructureError(
                f"database error during commit, nothing was committed: {_db_reason(exc)}") from exc
    except NfdpError as exc:
        _mark_failed(engine, submission_id, exc.message)
        if isinstance(exc, SubmissionFailed):
            exc.submission = result.submission
        raise
    except BaseException as exc:  # KeyboardInterrupt too: leave the journal saying why
        _mark_failed(engine, submission_id, f"interrupted: {type(exc).__name__}: {exc}")
        raise
    result.status = "committed"
    result.seconds = time.monotonic() - started
    log.info("%s: committed submission %s (%d runs, %d bytes, %.1f s)", sheet.name, result.submission,
             len(plan.new("runs")), result.bytes_processed, result.seconds)
    return result


def _db_reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _mark_failed(engine, submission_id: int, reason: str) -> None:
    try:
        with transaction(engine) as session:
            journal.mark_failed(session, submission_id, reason)
    except SQLAlchemyError as exc:  # the database itself may be what failed
        log.warning("could not record the failure in the journal: %s", _db_reason(exc))


def _unchanged(facts: dict | None, st: os.stat_result) -> bool:
    """A file journalled by an earlier attempt that has not changed since."""
    return bool(facts) and st.st_size == facts.get("size") and st.st_mtime_ns == facts.get("mtime_ns")


BATCH_BYTES = 16 * 1024 * 1024
BATCH_FILES = 256


BIG_FILE = 4 * 1024 * 1024


def _useful_threads(threads: int, runs: list[PlannedRun], files: dict, mode: str) -> int:
    """Threads pay off for big files (hashlib and the network release the GIL); on
    small local files the Python work dominates and a second thread only contends."""
    if mode != "local":
        return threads
    big = sum(1 for r in runs if files[r.filename][1].st_size >= BIG_FILE)
    return max(1, min(threads, big))


def _batches(runs: list[PlannedRun], files: dict[str, tuple[Path, os.stat_result]]) -> list[list[PlannedRun]]:
    """Small files travel in batches (one pool task each), big ones alone: a sheet
    of 100,000 tiny files must not cost 100,000 futures."""
    batches, current, size = [], [], 0
    for run in runs:
        n = files[run.filename][1].st_size
        if current and (size + n > BATCH_BYTES or len(current) >= BATCH_FILES):
            batches.append(current)
            current, size = [], 0
        current.append(run)
        size += n
    if current:
        batches.append(current)
    return batches


def _run_pool(jobs, work, threads: int, on_done):
    """Run ``work(job)`` on a pool; ``on_done(job, result_or_exception)`` in this thread.

    At most a few jobs per thread are in flight, so waiting stays cheap and
    memory flat however many files a sheet lists; ``on_done(None, None)`` is a
    periodic tick that lets the caller flush its journal.
    """
    jobs = iter(jobs)
    window = threads * 4
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="nfdp-file") as pool:
        pending: dict = {}
        try:
            while True:
                while len(pending) < window:
                    job = next(jobs, None)
                    if job is None:
                        break
                    pending[pool.submit(work, job)] = job
                if not pending:
                    break
                done, _ = wait(pending, timeout=JOURNAL_FLUSH_SECONDS, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    exc = future.exception()
                    on_done(job, exc if exc is not None else future.result())
                on_done(None, None)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _store_all(plan, files, storage, engine, submission_id, journalled, project_acc, threads, deep, show_progress):
    sample_acc = {s.alias: s.accession for s in plan.samples}
    todo, facts = [], {}
    for run in plan.new("runs"):
        if _unchanged(journalled.get(run.filename), files[run.filename][1]):
            facts[run.filename] = journalled[run.filename]
        else:
            todo.append(run)
    if facts:
        log.info("%d file(s) already checked by an earlier attempt; not read again", len(facts))
    total = sum(files[r.filename][1].st_size for r in todo)
    label = "uploading" if storage.mode == "minio" else "hashing"
    progress = make_progress(total, len(todo), label=label) if show_progress and todo else None
    deep_facts: dict = {}

    def store_one(run: PlannedRun) -> dict:
        path, st = files[run.filename]
        key = ObjectKey(project_acc, sample_acc[run.sample_alias], run.accession, run.filename)
        stored = storage.store(path, key, expected_type=run.expected_type, declared_md5=run.declared_md5,
                               progress=progress)  # store() reports bytes and the finished file
        # mtime as planned: if the file changes after that, a re-run sees it differ and reads it again
        out = _facts_dict(stored, st.st_mtime_ns)
        if deep:
            try:
                deep_facts[run.filename] = found = deep_check(path, out["file_type"], filename=run.filename)
            except FileProblem:
                storage.discard(stored.file_path)
                raise
            out["read_count"] = found.read_count
        return out

    def work(batch: list[PlannedRun]) -> list[tuple[PlannedRun, dict | FileProblem]]:
        outcomes = []
        for run in batch:
            try:
                outcomes.append((run, store_one(run)))
            except FileProblem as exc:
                outcomes.append((run, exc))
        return outcomes

    problems: list[dict] = []
    unsaved: dict[str, dict] = {}
    last_flush = [time.monotonic()]

    def flush() -> None:
        if unsaved:
            with transaction(engine) as session:
                journal.record_stored(session, submission_id, dict(unsaved))
            unsaved.clear()
        last_flush[0] = time.monotonic()

    def on_done(batch, outcomes):
        if batch is not None:
            if isinstance(outcomes, BaseException):
                raise outcomes
            for run, outcome in outcomes:
                if isinstance(outcome, FileProblem):
                    problems.append(_problem(run, outcome))
                else:
                    facts[run.filename] = outcome
                    if outcome["size"] >= JOURNAL_MIN_BYTES or storage.mode != "local":
                        unsaved[run.filename] = outcome
        if time.monotonic() - last_flush[0] >= JOURNAL_FLUSH_SECONDS:
            flush()

    try:
        _run_pool(_batches(todo, files), work, _useful_threads(threads, todo, files, storage.mode), on_done)
    finally:
        if progress:
            progress.close()
        try:
            flush()
        except SQLAlchemyError as exc:
            log.warning("could not journal checked files: %s", _db_reason(exc))
    if deep and not problems:
        problems.extend(_pair_problems(plan, files, facts, deep_facts))
    if problems:
        problems.sort(key=lambda p: (p["row"] or 0, p["column"] or ""))
        raise SubmissionFailed(_summary("file", problems), problems, None)
    return facts


def _pair_problems(plan: Plan, files: dict, facts: dict[str, dict], deep_facts: dict) -> list[dict]:
    """Deep mode: paired FASTQ files of one row hold the same reads."""
    problems = []
    for fwd, rev in _pairs(plan):
        if facts[fwd.filename]["file_type"] != "FASTQ":
            continue
        try:
            for run in (fwd, rev):  # files an earlier attempt checked were not read this time
                if run.filename not in deep_facts:
                    deep_facts[run.filename] = deep_check(files[run.filename][0], "FASTQ", filename=run.filename)
            check_pair(deep_facts[fwd.filename], deep_facts[rev.filename])
        except FileProblem as exc:
            problems.append(_problem(rev, exc))
    return problems


def _pairs(plan: Plan) -> list[tuple[PlannedRun, PlannedRun]]:
    by_row: dict[tuple[int, str], dict[str, PlannedRun]] = {}
    for run in plan.new("runs"):
        by_row.setdefault((run.line, run.experiment_key), {})[run.direction] = run
    return [(r["forward"], r["reverse"]) for r in by_row.values() if "forward" in r and "reverse" in r]


def _verify_all(plan: Plan, storage, facts: dict[str, dict]) -> None:
    problems = []
    for run in plan.new("runs"):
        f = facts[run.filename]
        stored = StoredFile(file_path=f["file_path"], facts=_facts_from_dict(f))
        try:
            storage.verify(stored)
        except FileProblem as exc:
            problems.append(_problem(run, exc))
    if problems:
        raise SubmissionFailed(_summary("file", problems), problems, None)


def _facts_from_dict(f: dict) -> FileFacts:
    return FileFacts(path=f["file_path"], size=f["size"], md5=f["md5"], sha256=f["sha256"],
                     file_type=f["file_type"], read_count=f.get("read_count"))


def _check_only(plan: Plan, files: dict, threads: int, deep: bool, show_progress: bool) -> dict:
    """Dry run: every check a submission makes, nothing stored or written."""
    runs = plan.new("runs")
    index = {r.filename: i for i, r in enumerate(runs)}
    mate_of = {rev.filename: index[fwd.filename] for fwd, rev in _pairs(plan)}
    jobs = [ScanJob(path=files[r.filename][0], filename=r.filename, expected_type=r.expected_type,
                    declared_md5=r.declared_md5, mate_of=mate_of.get(r.filename)) for r in runs]
    total = sum(files[r.filename][1].st_size for r in runs)
    progress = make_progress(total, len(jobs), label="hashing") if show_progress and jobs else None
    try:
        outcomes = scan_files(jobs, threads=threads, progress=progress, deep=deep)
    finally:
        if progress:
            progress.close()
    facts, problems = {}, []
    for run, outcome in zip(runs, outcomes):
        if isinstance(outcome, FileProblem):
            problems.append(_problem(run, outcome))
        else:
            facts[run.filename] = {"file_path": str(files[run.filename][0]), "size": outcome.size,
                                   "md5": outcome.md5, "sha256": outcome.sha256,
                                   "file_type": outcome.file_type, "read_count": outcome.read_count}
    if problems:
        raise SubmissionFailed(_summary("file", problems), problems, None)
    return facts
