"""The nightly job: ingest every settled sheet of an inbox, unattended.

Inbox layout::

    INBOX/<PROJECT_ACCESSION>/<sheet>.tsv|csv|xlsx   project from the folder name
    INBOX/<sheet>.tsv|csv|xlsx                        project from the project_accession column
    INBOX/done/<YYYY-MM-DD>/[<PROJECT>/]<sheet>.*     ingested or duplicate, with its reports
    INBOX/failed/<YYYY-MM-DD>/[<PROJECT>/]<sheet>.*   refused, with its reports

A sheet goes through the same ``submit_sheet`` path as ``nfdp-ingest submit``
(all or nothing, resumable). Then its two reports are written beside the
destination, and only then is the sheet itself moved there with one
``os.replace`` (atomic on one filesystem). A crash at any point therefore
leaves the sheet either where it was — the next run picks it up, and the
submission journal makes the resumed submit reuse the reserved accessions, or
finds the commit and files it as a duplicate — or in done/failed. Never lost.

An infrastructure failure (exit code 3: database or storage down) is nobody's
sheet's fault: that sheet stays in the inbox, the run stops there, and the
whole run exits 3 so cron (or systemd) can alert.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings
from ..errors import EXIT_INFRA, EXIT_INVALID, EXIT_OK, InfrastructureError, NfdpError, UsageError
from ..progress import human_bytes
from ..registry.db import open_registry, transaction
from ..registry.models import Project, Submission
from ..resources import templates_dir
from . import journal
from .locks import nightly_lock
from .report import failure_dict, render_submission_html
from .submit import sheet_digest, submit_sheet

log = logging.getLogger("nfdp_ingest.nightly")

SHEET_EXTS = (".tsv", ".csv", ".xlsx")
PARTIAL_SUFFIXES = (".part", ".tmp")
RESERVED_DIRS = ("done", "failed")
PROJECT_FOLDER = re.compile(r"^NFDP-PRJ-\d{6,}$")
KINDS = ("samples", "experiments", "runs")

# statuses of one sheet
INGESTED, FAILED, DUPLICATE, WAITING, DEFERRED, SKIPPED = (
    "ingested", "failed", "duplicate", "waiting", "deferred", "skipped")


@dataclass
class SheetOutcome:
    sheet: str  # path relative to the inbox, as found
    project: str | None
    status: str
    reason: str | None = None  # waiting: why; failed / deferred: the first error
    submission: str | None = None
    created: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    bytes: int = 0
    seconds: float = 0.0
    moved_to: str | None = None  # relative to the inbox
    report_json: str | None = None
    report_html: str | None = None
    removed_source: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "project": self.project, "status": self.status, "reason": self.reason,
                "submission": self.submission, "created": dict(self.created), "bytes": self.bytes,
                "seconds": round(self.seconds, 3), "moved_to": self.moved_to, "report_json": self.report_json,
                "report_html": self.report_html, "removed_source": list(self.removed_source)}


@dataclass
class NightlySummary:
    inbox: str
    started: datetime
    settle_seconds: float
    lock: str | None = None
    sheets: list[SheetOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    infrastructure_error: str | None = None
    seconds: float = 0.0

    def by_status(self, status: str) -> list[SheetOutcome]:
        return [s for s in self.sheets if s.status == status]

    @property
    def created(self) -> dict[str, int]:
        return {k: sum(s.created[k] for s in self.sheets) for k in KINDS}

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.sheets)

    @property
    def exit_code(self) -> int:
        if self.infrastructure_error or self.by_status(DEFERRED):
            return EXIT_INFRA
        if self.by_status(FAILED):
            return EXIT_INVALID
        return EXIT_OK

    @property
    def verdict(self) -> str:
        code = self.exit_code
        if code == EXIT_INFRA:
            return "infrastructure failure: sheets left in the inbox for the next run"
        if code == EXIT_INVALID:
            return "at least one sheet failed"
        if not self.sheets:
            return "nothing to do"
        return "ok"

    def counts(self) -> dict[str, int]:
        return {"found": len(self.sheets), **{st: len(self.by_status(st)) for st in
                                              (INGESTED, FAILED, DUPLICATE, WAITING, DEFERRED, SKIPPED)}}

    def to_dict(self) -> dict:
        return {
            "inbox": self.inbox,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 3),
            "settle_seconds": self.settle_seconds,
            "lock": self.lock,
            "exit_code": self.exit_code,
            "verdict": self.verdict,
            "sheets_found": len(self.sheets),
            "counts": self.counts(),
            "created": self.created,
            "bytes": self.bytes,
            "infrastructure_error": self.infrastructure_error,
            "ignored": list(self.ignored),
            "sheets": [s.to_dict() for s in self.sheets],
            "failed": [{"sheet": s.sheet, "first_error": s.reason, "report": s.report_json}
                       for s in self.by_status(FAILED)],
        }

    def to_text(self) -> str:
        c = self.counts()
        created = self.created
        head = (f"nightly ingest of {self.inbox} at {self.started.isoformat(timespec='seconds')}: "
                f"{c['found']} sheet{'s' if c['found'] != 1 else ''} found, {c[INGESTED]} ingested, "
                f"{c[FAILED]} failed, {c[DUPLICATE]} duplicate, {c[WAITING]} waiting"
                + (f", {c[DEFERRED]} deferred" if c[DEFERRED] else "")
                + (f", {c[SKIPPED]} not tried" if c[SKIPPED] else ""))
        lines = [
            head,
            (f"created {created['samples']} samples, {created['experiments']} experiments, "
             f"{created['runs']} runs; {human_bytes(self.bytes)} in {self.seconds:.1f} s"),
        ]
        for s in self.sheets:
            line = f"  {s.status:<10}{s.sheet}"
            if s.status == INGESTED:
                line += (f": submission {s.submission}, {s.created['samples']} samples, "
                         f"{s.created['experiments']} experiments, {s.created['runs']} runs")
            elif s.status == DUPLICATE:
                line += f": already committed{' as ' + s.submission if s.submission else ''}; nothing ingested"
            elif s.reason:
                line += f": {s.reason}"
            if s.moved_to:
                line += f" → {s.moved_to}"
            lines.append(line)
            if s.removed_source:
                lines.append(f"            removed {len(s.removed_source)} source file(s) after the commit")
        for name in self.ignored:
            lines.append(f"  ignored   {name}")
        if self.infrastructure_error:
            lines.append(f"infrastructure failure: {self.infrastructure_error}")
        lines.append(f"exit {self.exit_code}: {self.verdict}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- discovery

@dataclass
class _Found:
    path: Path
    project: str | None  # from the folder; None: from the sheet's column
    partial: bool = False  # a .part / .tmp sheet still being copied


def _is_sheet_name(name: str) -> bool:
    return (not name.startswith((".", "~$")) and name.lower().endswith(SHEET_EXTS)
            and not name.lower().endswith((".report.json", ".report.html")))


def _partial_sheet_name(name: str) -> bool:
    low = name.lower()
    for suffix in PARTIAL_SUFFIXES:
        if low.endswith(suffix) and _is_sheet_name(name[: -len(suffix)]):
            return True
    return False


def discover(inbox: Path) -> tuple[list[_Found], list[str]]:
    """Sheets of the inbox (sorted), and the entries ignored (with why)."""
    found: list[_Found] = []
    ignored: list[str] = []

    def scan(folder: Path, project: str | None) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.is_file():
                continue
            if _is_sheet_name(entry.name):
                found.append(_Found(entry, project))
            elif _partial_sheet_name(entry.name):
                found.append(_Found(entry, project, partial=True))

    scan(inbox, None)
    for entry in sorted(inbox.iterdir(), key=lambda p: p.name):
        if not entry.is_dir() or entry.name.startswith(".") or entry.name in RESERVED_DIRS:
            continue
        if PROJECT_FOLDER.match(entry.name):
            scan(entry, entry.name)
        else:
            ignored.append(f"{entry.name}/ (not a project accession folder such as NFDP-PRJ-000001)")
    return found, ignored


# --------------------------------------------------------------------------- settling

def _named_files(sheet: Path) -> list[str]:
    """The data file names a sheet lists; [] when it cannot be read (submit will say why)."""
    from ..sheet.loader import load_sheet

    try:
        loaded = load_sheet(sheet)
    except Exception:  # noqa: BLE001 - a broken sheet is reported by submit, not here
        return []
    names: list[str] = []
    for column in ("filename_forward", "filename_reverse"):
        if column in loaded.columns:
            names.extend(str(v).strip() for v in loaded.columns[column] if v is not None and str(v).strip())
    return names


def _waiting_reason(found: _Found, root: Path, settle: float, now_ts: float) -> str | None:
    """Why the sheet must wait for a later run, or None when it has settled."""
    if found.partial:
        return "the sheet is still being copied (.part/.tmp name)"
    age = now_ts - found.path.stat().st_mtime
    if settle > 0 and age < settle:
        return f"the sheet was modified {max(0, age):.0f} s ago (settle time {settle:.0f} s)"
    for name in _named_files(found.path):
        target = root / name
        for suffix in PARTIAL_SUFFIXES:
            if os.path.lexists(str(target) + suffix):
                return f"data file {name} is still being copied ({name}{suffix} exists)"
        try:
            age = now_ts - target.stat().st_mtime
        except OSError:
            continue  # missing: submit reports it
        if settle > 0 and age < settle:
            return f"data file {name} was modified {max(0, age):.0f} s ago (settle time {settle:.0f} s)"
    return None


# --------------------------------------------------------------------------- moving

def _target(inbox: Path, where: str, day: str, found: _Found) -> tuple[Path, Path, Path]:
    """A free destination for the sheet, and its two report paths. Never an existing sheet's name:
    a stem is free when no sheet of any extension has it there (stale reports of a crashed
    earlier attempt may be overwritten)."""
    folder = inbox / where / day
    if found.project:
        folder = folder / found.project
    folder.mkdir(parents=True, exist_ok=True)
    name = found.path.name
    ext = next((e for e in SHEET_EXTS if name.lower().endswith(e)), found.path.suffix)
    stem = name[: len(name) - len(ext)]
    n = 1
    while True:
        cand = stem if n == 1 else f"{stem}-{n}"
        taken = any((folder / f"{cand}{e}").exists() or (folder / f"{cand}{e.upper()}").exists()
                    for e in (*SHEET_EXTS, ext))
        if not taken:
            return folder / f"{cand}{ext}", folder / f"{cand}.report.json", folder / f"{cand}.report.html"
        n += 1


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


NOTES = {
    INGESTED: "ingested: every sample, experiment and run of this sheet was committed in one transaction.",
    FAILED: "failed: nothing of this sheet was committed. Fix the problems below and put the sheet "
            "back into the inbox.",
    DUPLICATE: "duplicate: this sheet's content was already committed to this project; nothing was "
               "ingested again.",
}


def _report_html(outcome: dict, status: str, note: str) -> str:
    page = render_submission_html(outcome)
    banner = (f'\n<p id="nightly-note" class="nightly {status}"><strong>Nightly run: {escape(status)}</strong> — '
              f"{escape(note)}</p>")
    return page.replace("<body>", "<body>" + banner, 1)


def _file_away(inbox: Path, day: str, found: _Found, out: SheetOutcome, report: dict, run_at: str) -> None:
    """Reports first, then one atomic rename of the sheet (crash-safe)."""
    where = "failed" if out.status == FAILED else "done"
    dest, rjson, rhtml = _target(inbox, where, day, found)

    def rel(p: Path) -> str:
        return str(p.relative_to(inbox))

    report = dict(report)
    report["nightly"] = {"outcome": out.status, "run_at": run_at, "sheet": out.sheet,
                         "moved_to": rel(dest), "first_error": out.reason,
                         "removed_source": out.removed_source,
                         "duplicate_of": out.submission if out.status == DUPLICATE else None}
    note = NOTES[out.status]
    if out.status == DUPLICATE and out.submission:
        note = note.replace("already committed", f"already committed as submission {out.submission}")
    note += f" Sheet {out.sheet} was moved to {rel(dest)}."
    _write_atomic(rjson, json.dumps(report, indent=2, default=str, ensure_ascii=False))
    _write_atomic(rhtml, _report_html(report, out.status, note))
    _fsync_dir(rjson.parent)
    os.replace(found.path, dest)
    _fsync_dir(dest.parent)
    _fsync_dir(found.path.parent)
    out.moved_to, out.report_json, out.report_html = rel(dest), rel(rjson), rel(rhtml)


# --------------------------------------------------------------------------- one sheet

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
    return exc.message.strip().splitlines()[0] if exc.message.strip() else type(exc).__name__


def _committed_duplicate(settings: Settings, project: str | None, digest: str) -> Submission | None:
    try:
        engine = open_registry(settings.db_url)
        with transaction(engine) as session:
            if project is not None:
                project_id = session.scalar(select(Project.id).where(Project.accession == project))
                if project_id is None:
                    return None  # submit explains that the project does not exist
                return journal.committed_duplicate(session, project_id, digest)
            return session.scalar(
                select(Submission).where(Submission.sheet_sha256 == digest, Submission.status == "committed")
                .order_by(Submission.id.desc()).limit(1))
    except SQLAlchemyError as exc:
        raise InfrastructureError(f"database error while looking for duplicates: "
                                  f"{str(getattr(exc, 'orig', None) or exc).strip().splitlines()[0]}") from exc


def _duplicate_report(found: _Found, sub: Submission, project: str | None) -> dict:
    return {"submission": sub.accession, "status": "unchanged", "project": project, "sheet": str(found.path),
            "samples": [], "experiments": [], "runs": [],
            "reused": {"samples": [], "experiments": [], "runs": []}, "warnings": [], "bytes": 0, "seconds": 0.0}


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


def _process(found: _Found, inbox: Path, settings: Settings, *, root: Path, threads, remove_source: bool,
             show_progress: bool, day: str, run_at: str, rel: str) -> SheetOutcome:
    started = time.monotonic()
    project = found.project
    out = SheetOutcome(sheet=rel, project=project, status=FAILED)
    digest = sheet_digest(found.path)
    dup = _committed_duplicate(settings, project, digest)  # InfrastructureError propagates
    if dup is not None:
        out.status, out.submission = DUPLICATE, dup.accession
        out.project = project or _project_of(dup, settings)
        log.info("%s: duplicate of committed submission %s; nothing ingested", rel, dup.accession)
        _file_away(inbox, day, found, out, _duplicate_report(found, dup, out.project), run_at)
        out.seconds = time.monotonic() - started
        return out
    try:
        result = submit_sheet(found.path, settings, project=project, files_root=root, threads=threads,
                              show_progress=show_progress, sheet_sha256=digest)
    except NfdpError as exc:
        if exc.exit_code == EXIT_INFRA:
            raise
        report = failure_dict(str(found.path), exc)
        report.setdefault("project", project)
        out.status, out.reason = FAILED, _first_error(report, exc)
        out.submission = report.get("submission")
        log.warning("%s: failed: %s", rel, out.reason)
        _file_away(inbox, day, found, out, report, run_at)
        out.seconds = time.monotonic() - started
        return out
    report = result.to_dict()
    out.project, out.submission = result.project, result.submission
    if result.status == "unchanged":
        out.status = DUPLICATE
        log.info("%s: every entity is already registered; filed as duplicate", rel)
    else:
        out.status = INGESTED
        out.created = {k: len(result.plan.new(k)) for k in KINDS}
        out.bytes = result.bytes_processed
        if remove_source:
            out.removed_source = _remove_sources(root, result.plan)
    _file_away(inbox, day, found, out, report, run_at)
    out.seconds = time.monotonic() - started
    return out


def _project_of(sub: Submission, settings: Settings) -> str | None:
    try:
        with transaction(open_registry(settings.db_url)) as session:
            return session.scalar(select(Project.accession).where(Project.id == sub.project_id))
    except (SQLAlchemyError, NfdpError):
        return None


# --------------------------------------------------------------------------- the run

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
    """Ingest every settled sheet of ``inbox``; see the module docstring.

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
        raise UsageError("--remove-source needs minio storage: in local mode the registered run points at "
                         "the source file itself, so it must stay")
    now = now or datetime.now().astimezone()
    clock_started = time.monotonic()
    summary = NightlySummary(inbox=str(inbox), started=now, settle_seconds=settle_seconds)
    day = now.strftime("%Y-%m-%d")
    run_at = now.isoformat(timespec="seconds")
    now_ts = now.timestamp()

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
                reason = _waiting_reason(item, root, settle_seconds, now_ts)
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
            except NfdpError as exc:  # infrastructure (exit 3): leave the sheet for the next run
                first = exc.message.strip().splitlines()[0] if exc.message.strip() else type(exc).__name__
                log.error("%s: infrastructure failure, left in the inbox for the next run: %s", rel, first)
                summary.sheets.append(SheetOutcome(rel, item.project, DEFERRED, reason=first))
                summary.infrastructure_error = first
                stop = True
                continue
            except OSError as exc:  # could not write reports or move the sheet
                msg = f"could not file the sheet away: {exc}"
                log.error("%s: %s; left in the inbox", rel, msg)
                summary.sheets.append(SheetOutcome(rel, item.project, DEFERRED, reason=msg))
                summary.infrastructure_error = msg
                stop = True
                continue
            except Exception as exc:  # noqa: BLE001 - a bug of ours must not cost the other sheets
                msg = f"internal error ({type(exc).__name__}: {exc})"
                log.error("%s: %s; left in the inbox\n%s", rel, msg, traceback.format_exc())
                summary.sheets.append(SheetOutcome(rel, item.project, DEFERRED, reason=msg))
                continue
            summary.sheets.append(outcome)
    summary.seconds = time.monotonic() - clock_started
    log.info("nightly finished: %s", summary.verdict)
    return summary


# --------------------------------------------------------------------------- HTML summary

@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["human_bytes"] = human_bytes
    return env


def render_summary_html(summary: NightlySummary) -> str:
    data = summary.to_dict()
    inbox = Path(summary.inbox)
    for s in data["sheets"]:
        s["report_url"] = (inbox / s["report_html"]).as_uri() if s.get("report_html") else None
    return _environment().get_template("nightly_summary.html.j2").render(s=data)
