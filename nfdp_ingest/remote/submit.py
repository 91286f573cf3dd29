"""``remote submit``: validate locally, upload only what the server lacks, submit, follow.

A file counts as already uploaded when the server holds a staged file of its name with the
same size and MD5, so a second run after a dropped connection sends nothing twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import InfrastructureError, NfdpError
from ..files import FileProblem, file_digest, resolve_file
from ..pipeline.errors import SheetInvalid, SubmissionFailed, problems_message
from ..progress import make_progress
from .client import Client, ServerRefused

log = logging.getLogger("nfdp_ingest.remote")
POLL_SECONDS = 1.0
MULTIPART_MIN = 256 * 1024 * 1024


@dataclass
class LocalFile:
    filename: str  # as in the sheet
    name: str  # the staged name (the file name without folders)
    path: Path
    size: int
    md5: str | None  # declared by the sheet, else computed before upload
    line: int
    column: str


@dataclass
class RemoteOutcome:
    accession: str
    status: str
    body: dict
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def local_files(sheet: Path, checklist: str | None, root: Path) -> list[LocalFile]:
    """Validate the sheet here first (SheetInvalid) and resolve every file it names
    (SubmissionFailed listing every missing one)."""
    from ..sheet import validate_sheet

    report = validate_sheet(sheet, checklist)
    if not report.valid:
        raise SheetInvalid(report)
    found, problems, names = [], [], {}
    for row in report.rows:
        for f in row.files:
            name = PurePosixPath(f.filename.replace("\\", "/")).name
            try:
                path = resolve_file(root, f.filename)
            except FileProblem as exc:
                problems.append({"row": row.line, "column": f.column, "value": f.filename, "message": exc.message})
                continue
            if names.setdefault(name, f.filename) != f.filename:
                problems.append({"row": row.line, "column": f.column, "value": f.filename,
                                 "message": f"{f.filename} and {names[name]} have the same file name; "
                                            "staged files are kept by name"})
                continue
            found.append(LocalFile(f.filename, name, path, path.stat().st_size, f.md5 or None, row.line, f.column))
    if problems:
        raise SubmissionFailed(problems_message("file", problems), problems, None)
    return found


def upload_missing(client: Client, files: list[LocalFile], *, show_progress: bool,
                   multipart_min: int = MULTIPART_MIN) -> tuple[list[str], list[str]]:
    """Send each file the server does not hold with the same size and MD5; (uploaded, skipped).
    Files of ``multipart_min`` bytes or more go as presigned multipart uploads straight to
    storage where the server offers them (resumable part by part), else by PUT."""
    held = client.staged()
    todo, skipped = [], []
    for f in files:
        there = held.get(f.name)
        if there and there.get("size") == f.size:
            f.md5 = f.md5 or file_digest(f.path, "md5")
            if there.get("md5") == f.md5.lower():
                skipped.append(f.name)
                continue
        todo.append(f)
    if skipped:
        log.info("%d file(s) already on the server with the same size and MD5: not sent again", len(skipped))
    progress = make_progress(sum(f.size for f in todo), len(todo), label="uploading", enabled=show_progress)
    try:
        for f in todo:
            f.md5 = (f.md5 or file_digest(f.path, "md5")).lower()
            try:
                if f.size < multipart_min or client.stage_in_parts(f.path, f.name, f.md5, progress) is None:
                    client.stage(f.path, f.name, f.md5, progress)
            except ServerRefused as exc:
                problem = {"row": f.line, "column": f.column, "value": f.filename, "message": exc.message}
                raise SubmissionFailed(problems_message("file", [problem]), [problem], None) from None
            progress.file_done(f.name)
    finally:
        progress.close()
    return [f.name for f in todo], skipped


def follow(client: Client, accession: str, *, show_progress: bool, timeout: float | None = None) -> dict:
    """Poll the submission until it is committed or failed; its last state."""
    progress = None
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            body = client.status(accession)
            p = body.get("progress") or {}
            if show_progress and progress is None and p.get("bytes_total") is not None:
                progress = make_progress(p["bytes_total"], p.get("files_total") or 0, label="storing")
            if progress is not None:
                progress.advance(max(0, (p.get("bytes_done") or 0) - progress.bytes_done))
                while progress.files_done < (p.get("files_done") or 0):
                    progress.file_done()
            if body["status"] in ("committed", "failed"):
                return body
            if deadline is not None and time.monotonic() > deadline:
                raise InfrastructureError(f"submission {accession} is still {body['status']}; "
                                          f"follow it with `nfdp-ingest remote status {accession}`")
            time.sleep(POLL_SECONDS)
    finally:
        if progress is not None:
            progress.close()


def remote_submit(client: Client, sheet: Path, project: str, *, checklist: str | None = None,
                  files_root: Path | None = None, show_progress: bool = True,
                  multipart_min: int = MULTIPART_MIN) -> RemoteOutcome:
    sheet = Path(sheet)
    files = local_files(sheet, checklist, Path(files_root) if files_root else sheet.resolve().parent)
    uploaded, skipped = upload_missing(client, files, show_progress=show_progress, multipart_min=multipart_min)
    try:
        accepted = client.submit(sheet, project, checklist)
    except ServerRefused as exc:
        if exc.status == 409 and exc.body.get("submission"):  # the same sheet is under way: follow it
            log.info("%s", exc.message)
            accepted = {"accession": exc.body["submission"]}
        elif exc.body.get("all_errors") is not None:
            raise SubmissionFailed(exc.message, exc.body["all_errors"], None) from None
        else:
            raise
    accession = accepted["accession"]
    log.info("submitted as %s; following it", accession)
    body = follow(client, accession, show_progress=show_progress)
    outcome = RemoteOutcome(accession, body["status"], body, uploaded, skipped)
    if body["status"] == "failed":
        errors = body.get("errors") or []
        code = body.get("exit_code") or 1
        raise SubmissionFailed(problems_message("file", errors) if errors else f"{accession} failed",
                               errors, accession, exit_code=code)
    return outcome


__all__ = ["NfdpError", "RemoteOutcome", "follow", "local_files", "remote_submit", "upload_missing"]
