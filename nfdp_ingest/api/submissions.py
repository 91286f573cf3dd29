"""/api/v1/submissions/ and /api/v1/validate: sheets submitted over HTTP.

POST validates at once (422 with the ``validate`` report when invalid) and hands the work to
a job (``jobs/submission.py``); the request never does ingest work itself.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from flask import Blueprint, current_app, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, UsageError
from ..registry.models import Project, Submission
from . import access
from .common import ApiError, json_response, paginated, pagination, state
from .remote_models import SubmissionAccepted, SubmissionState, ValidationReport
from .spec import doc

bp = Blueprint("submissions", __name__)
SECURITY = {"bearerAuth": []}
SHEET_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
MAX_SHEET = 64 * 1024 * 1024
_lock = threading.Lock()


def runner():
    """The app's job runner: the one given to create_app, else procrastinate when
    NFDP_JOBS=workers on PostgreSQL, else an embedded thread pool."""
    ext = current_app.extensions
    with _lock:
        if ext.get("nfdp_runner") is None:
            from ..jobs import EmbeddedRunner
            from ..jobs.distributed import DistributedRunner, is_postgres

            st = state()
            if st.settings.jobs == "workers" and is_postgres(st.settings.db_url):
                ext["nfdp_runner"] = DistributedRunner(st.settings)
            else:
                ext["nfdp_runner"] = EmbeddedRunner(st.settings, st.settings.job_threads)
        return ext["nfdp_runner"]


def submission_job() -> str:
    """On workers a submission is planned first, then split into batch jobs."""
    from ..jobs.distributed import DistributedRunner

    return "submission-plan" if isinstance(runner(), DistributedRunner) else "submission"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _saved_sheet() -> tuple[Path, str]:
    """The uploaded ``sheet`` field, kept under the data dir while it is checked."""
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        raise ApiError(400, "send the sheet as the multipart file field 'sheet'")
    name = Path(upload.filename.replace("\\", "/")).name[:200] or "sheet.tsv"
    suffix = Path(name).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise ApiError(400, f"the sheet must be a {', '.join(SHEET_SUFFIXES)} file (got {name!r})")
    folder = state().settings.data_dir / "submissions" / ".incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    upload.save(path)
    return path, name


def _validated(path: Path, name: str, checklist: str | None):
    from ..sheet import validate_sheet

    try:
        report = validate_sheet(path, checklist)
    except UsageError as exc:
        raise ApiError(400, exc.message) from None
    body = report.to_dict()
    body["path"] = name
    return report, body


@bp.post("/validate")
@doc("submissions", (ValidationReport, "The validation report (valid or not)"), op="validate_sheet",
     security=SECURITY, errors={400: "No sheet, or an unknown checklist", 401: "Missing or bad token"})
def validate():
    """Validate a sheet without submitting it"""
    with Session(state().read_engine) as session:
        access.require(session, "validate")
    request.max_content_length = MAX_SHEET
    path, name = _saved_sheet()
    try:
        _report, body = _validated(path, name, request.form.get("checklist") or None)
    finally:
        path.unlink(missing_ok=True)
    return json_response(body)


@bp.post("/submissions/")
@doc("submissions", (SubmissionAccepted, "Queued"), 202, op="create_submission", security=SECURITY,
     errors={
         400: "No sheet or project, or an unknown checklist", 401: "Missing or bad token",
         403: "The token may not submit to this project", 409: "The same sheet is being submitted",
         422: "The sheet is invalid (the validate report), or the project does not exist"})
def create_submission():
    """Submit a sheet (files from the token's staging area)"""
    from ..jobs.submission import Duplicate, create
    from ..pipeline.submit import _project_accession, sheet_digest

    request.max_content_length = MAX_SHEET
    project = (request.form.get("project") or "").strip()
    if not project:
        raise ApiError(400, "the form field 'project' (a project accession) is required")
    with Session(state().read_engine) as session:
        token = access.require(session, "submit", project)
    checklist = (request.form.get("checklist") or "").strip() or None
    path, name = _saved_sheet()
    try:
        report, body = _validated(path, name, checklist)
        if not report.valid:
            detail = f"{name}: the sheet is invalid ({len(report.errors)} errors); nothing was submitted"
            return json_response({"detail": detail, **body}, 422)
        try:
            _project_accession(report, project)
        except InvalidInput as exc:
            raise ApiError(422, exc.message) from None
        if _flag(request.form.get("dry_run")):
            return json_response(_dry_run(path, name, project, checklist, token.id))
        try:
            accession = create(state().write_engine, state().settings, sheet=path, sheet_name=name,
                               sheet_sha256=sheet_digest(path), project=project, checklist=checklist,
                               checklist_id=report.checklist, owner=token.id)
        except Duplicate as exc:
            raise ApiError(409, exc.message, submission=exc.accession) from None
    finally:
        path.unlink(missing_ok=True)
    runner().enqueue(submission_job(), accession=accession)
    return json_response({"accession": accession, "status": "queued"}, 202,
                         {"Location": url_for("submissions.get_submission", accession=accession)})


def _dry_run(path: Path, name: str, project: str, checklist: str | None, owner: int) -> dict:
    from ..errors import NfdpError
    from ..pipeline.report import failure_dict
    from ..pipeline.sources import StagedSource
    from ..pipeline.submit import submit_sheet
    from .staging import staging_area

    st = state()
    source = StagedSource(st.write_engine, staging_area(), owner, st.settings.data_dir / "files")
    try:
        outcome = submit_sheet(path, st.settings, project=project, checklist=checklist, source=source,
                               dry_run=True, show_progress=False).to_dict()
    except NfdpError as exc:
        outcome = failure_dict(name, exc)
    outcome["sheet"] = name
    return outcome


def _state(row: Submission, project: str) -> dict:
    from ..jobs.submission import public_status

    status = public_status(row)
    outcome = row.outcome or {}
    return {
        "accession": row.accession, "project": project, "status": status, "sheet": row.sheet_name,
        "created_at": row.created_at.isoformat(timespec="seconds"),
        "finished_at": row.finished_at.isoformat(timespec="seconds") if row.finished_at else None,
        "progress": row.progress,
        "report": outcome if status == "committed" else None,
        "errors": (outcome.get("errors") or [{"row": None, "column": None, "value": None,
                                               "message": row.error}]) if status == "failed" else None,
        "exit_code": outcome.get("exit_code", 1) if status == "failed" else None,
    }


@bp.get("/submissions/<accession>")
@doc("submissions", SubmissionState, op="get_submission", security=SECURITY,
     errors={401: "Missing or bad token", 403: "Not the token's project", 404: "No such submission"})
def get_submission(accession: str):
    """A submission's status, progress, report or errors"""
    with Session(state().read_engine) as session:
        found = session.execute(select(Submission, Project.accession)
                                .join(Project, Submission.project_id == Project.id)
                                .where(Submission.accession == accession)).first()
        if found is None:
            access.require(session, "submit")
            raise ApiError(404, f"no submission {accession}")
        row, project = found
        access.require(session, "submit", project)
        return json_response(_state(row, project))


@bp.get("/submissions/")
@doc("submissions", list[SubmissionState], op="list_submissions", security=SECURITY,
     errors={400: "Bad page or per_page, or no project", 401: "Missing or bad token",
             403: "Not the token's project", 404: "No such project"})
def list_submissions():
    """The submissions of a project, newest first"""
    project = (request.args.get("project") or "").strip()
    if not project:
        raise ApiError(400, "give ?project=NFDP-PRJ-…")
    page, per_page = pagination()
    with Session(state().read_engine) as session:
        access.require(session, "submit", project)
        project_id = session.scalar(select(Project.id).where(Project.accession == project))
        if project_id is None:
            raise ApiError(404, f"no project {project}")
        where = Submission.project_id == project_id
        total = session.scalar(select(func.count()).select_from(Submission).where(where))
        rows = session.scalars(select(Submission).where(where).order_by(Submission.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
        return paginated([_state(r, project) for r in rows], total, page, per_page)


__all__ = ["bp", "runner"]
