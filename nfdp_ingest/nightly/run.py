"""The nightly run: take the lock, then each settled sheet of the inbox through
``submit_sheet`` and into done/ or failed/ with its reports.

An infrastructure failure (exit code 3: database or storage down) is nobody's
sheet's fault: that sheet stays in the inbox, the run stops there, and the
whole run exits 3 so cron (or systemd) can alert.
"""

from __future__ import annotations

import logging
import time
import traceback
from datetime import datetime
from pathlib import Path

from ..config import Settings
from ..errors import EXIT_INFRA, NfdpError, UsageError
from ..pipeline import journal
from ..pipeline.report import KINDS, failure_dict, outcome_dict
from ..pipeline.submit import sheet_digest, submit_sheet
from ..registry.db import db_errors, open_registry, transaction
from . import history
from .inbox import Found, discover, file_away, waiting_reason
from .locks import nightly_lock
from .summary import (
    DEFERRED,
    DUPLICATE,
    FAILED,
    INGESTED,
    SKIPPED,
    WAITING,
    NightlySummary,
    SheetOutcome,
)

log = logging.getLogger("nfdp_ingest.nightly")


def _clean_staging(settings: Settings) -> None:
    """Staged uploads unused for NFDP_STAGING_DAYS go too; a failure here costs no sheet."""
    from ..staging.area import open_area
    from ..staging.service import clean

    try:
        removed = clean(open_registry(settings.db_url), open_area(settings), settings.staging_days)
    except Exception as exc:  # noqa: BLE001 - cleaning is housekeeping, never the night's verdict
        log.warning("staging clean failed: %s", exc)
        return
    if removed:
        log.info("staging clean: removed %d staged file(s) unused for %d days", len(removed),
                 settings.staging_days)


def _first_line(exc: NfdpError) -> str:
    return exc.message.strip().splitlines()[0] if exc.message.strip() else type(exc).__name__


def _first_error(report: dict, exc: NfdpError) -> str:
    for e in report.get("errors") or []:
        msg = e.get("message")
        if msg:
            where = ""
            if e.get("row"):
                where = f"line {e['row']}" + (f", column {e['column']}" if e.get("column") else "") + ": "
            elif e.get("column"):
                where = f"column {e['column']}: "
            return where + str(msg)
    return _first_line(exc)


def _committed_duplicate(settings: Settings, project: str | None, digest: str) -> tuple[str, str] | None:
    """(submission, project) when this very sheet was committed before."""
    engine = open_registry(settings.db_url)
    with db_errors("while looking for duplicates"), transaction(engine) as session:
        return journal.committed_sheet(session, project, digest)


def _remove_sources(root: Path, plan) -> list[str]:
    from ..files import FileProblem, resolve_file

    removed = []
    for run in plan.new("runs"):
        try:
            path = resolve_file(root, run.filename)
            path.unlink()
            removed.append(run.filename)
            log.info("removed source file %s (committed and stored)", path)
        except (FileProblem, OSError) as exc:
            log.warning("could not remove source file %s: %s", run.filename, getattr(exc, "message", exc))
    return removed


def _submit(found: Found, out: SheetOutcome, settings: Settings, *, root: Path, threads, remove_source: bool,
            show_progress: bool, digest: str) -> dict:
    """Submit the sheet, fill ``out`` in, and return the report to file with it."""
    try:
        result = submit_sheet(found.path, settings, project=found.project, files_root=root, threads=threads,
                              show_progress=show_progress, sheet_sha256=digest)
    except NfdpError as exc:
        if exc.exit_code == EXIT_INFRA:
            raise
        report = failure_dict(str(found.path), exc)
        report.setdefault("project", found.project)
        out.status, out.reason = FAILED, _first_error(report, exc)
        out.submission = report.get("submission")
        log.warning("%s: failed: %s", out.sheet, out.reason)
        return report
    out.project, out.submission = result.project, result.submission
    if result.status == "unchanged":
        out.status = DUPLICATE
        log.info("%s: every entity is already registered; filed as duplicate", out.sheet)
    else:
        out.status = INGESTED
        out.created = {k: len(result.plan.new(k)) for k in KINDS}
        out.bytes = result.bytes_processed
        if remove_source:
            out.removed_source = _remove_sources(root, result.plan)
    return result.to_dict()


def _process(found: Found, inbox: Path, settings: Settings, *, root: Path, threads, remove_source: bool,
             show_progress: bool, day: str, run_at: str, rel: str) -> SheetOutcome:
    started = time.monotonic()
    out = SheetOutcome(sheet=rel, project=found.project, status=FAILED)
    digest = sheet_digest(found.path)
    dup = _committed_duplicate(settings, found.project, digest)  # InfrastructureError propagates
    if dup is not None:
        out.status, (out.submission, out.project) = DUPLICATE, dup
        log.info("%s: duplicate of committed submission %s; nothing ingested", rel, out.submission)
        report = outcome_dict(submission=out.submission, status="unchanged", project=out.project,
                              sheet=str(found.path), warnings=[], bytes=0, seconds=0.0)
    else:
        report = _submit(found, out, settings, root=root, threads=threads, remove_source=remove_source,
                         show_progress=show_progress, digest=digest)
    file_away(inbox, day, found, out, report, run_at)
    out.seconds = time.monotonic() - started
    return out


def _deferred(item: Found, rel: str, exc: BaseException) -> tuple[SheetOutcome, bool]:
    """The outcome of a sheet whose processing raised, and whether the run must stop.

    Infrastructure (exit 3) and a failure to file the sheet away stop the run: the
    next sheet would meet the same broken database, storage or disk. A bug of ours
    costs only this sheet."""
    if isinstance(exc, NfdpError):
        msg = _first_line(exc)
        log.error("%s: infrastructure failure, left in the inbox for the next run: %s", rel, msg)
        return SheetOutcome(rel, item.project, DEFERRED, reason=msg), True
    if isinstance(exc, OSError):
        msg = f"could not file the sheet away: {exc}"
        log.error("%s: %s; left in the inbox", rel, msg)
        return SheetOutcome(rel, item.project, DEFERRED, reason=msg), True
    msg = f"internal error ({type(exc).__name__}: {exc})"
    log.error("%s: %s; left in the inbox\n%s", rel, msg,
              "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return SheetOutcome(rel, item.project, DEFERRED, reason=msg), False


def run_nightly(
    settings: Settings,
    inbox: str | Path,
    settle_seconds: float = 600,
    threads: int | None = None,
    files_root: str | Path | None = None,
    remove_source: bool = False,
    now: datetime | None = None,
    show_progress: bool = False,
) -> NightlySummary:
    """Ingest every settled sheet of ``inbox`` (see the ``nightly`` package docstring).

    Raises LockHeld (exit 75) when another run holds the lock, UsageError for a
    missing inbox or ``remove_source`` in local mode (the registered path *is*
    the source file there), InfrastructureError when the database cannot be
    reached at all. Per-sheet problems never raise: they are in the summary.
    """
    inbox = Path(inbox).resolve()
    if not inbox.is_dir():
        raise UsageError(f"inbox {inbox} does not exist or is not a folder")
    if files_root is not None and not Path(files_root).is_dir():
        raise UsageError(f"files folder {files_root} does not exist or is not a folder")
    if remove_source and settings.storage != "minio":
        raise UsageError("removing source files needs minio storage: in local mode the registered run points "
                         "at the source file itself, so it must stay")
    now = now or datetime.now().astimezone()
    clock_started = time.monotonic()
    summary = NightlySummary(inbox=str(inbox), started=now, settle_seconds=settle_seconds)
    day = now.strftime("%Y-%m-%d")
    run_at = now.isoformat(timespec="seconds")

    with nightly_lock(settings.db_url, fallback_dir=settings.data_dir) as lock:
        summary.lock = lock
        open_registry(settings.db_url)  # schema present and reachable, else exit 3 before touching anything
        found, summary.ignored = discover(inbox)
        log.info("inbox %s: %d sheet(s) found", inbox, len(found))
        stop = False
        for item in found:
            rel = str(item.path.relative_to(inbox))
            if stop:
                summary.sheets.append(SheetOutcome(rel, item.project, SKIPPED,
                                                   reason="not tried after the infrastructure failure"))
                continue
            root = Path(files_root).resolve() if files_root else item.path.parent
            try:
                reason = waiting_reason(item, root, settle_seconds, now.timestamp())
            except OSError as exc:  # vanished meanwhile
                log.info("%s: %s; skipped", rel, exc)
                continue
            if reason:
                log.info("%s: waiting: %s", rel, reason)
                summary.sheets.append(SheetOutcome(rel, item.project, WAITING, reason=reason))
                continue
            log.info("%s: ingesting", rel)
            try:
                outcome = _process(item, inbox, settings, root=root, threads=threads, remove_source=remove_source,
                                   show_progress=show_progress, day=day, run_at=run_at, rel=rel)
            except Exception as exc:  # noqa: BLE001 - one sheet's failure must not cost the other sheets
                outcome, stop = _deferred(item, rel, exc)
                if stop:
                    summary.infrastructure_error = outcome.reason
            summary.sheets.append(outcome)
        _clean_staging(settings)
    summary.seconds = time.monotonic() - clock_started
    log.info("nightly finished: %s", summary.verdict)
    history.save(settings.data_dir, summary.to_dict())  # for the /nightly page
    return summary
