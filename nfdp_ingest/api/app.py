"""The application factory: settings on the app, one blueprint per resource, JSON errors (HTML
error pages for the pages at the root)."""

from __future__ import annotations

import logging

from flask import Flask, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..config import Settings, from_env
from ..errors import InfrastructureError, NfdpError
from ..export.filereport import API_PREFIX as PREFIX
from ..pages import is_page
from .common import ApiState, json_response

log = logging.getLogger("nfdp_ingest.api")

def create_app(settings: Settings | None = None, *, runner=None, resume_jobs: bool = False) -> Flask:
    """Build the API for these settings (None: from the environment). Engines and
    storage open lazily; tests change Flask config on the returned app. ``runner``: where
    submission jobs run (default: a thread pool in this process); ``resume_jobs``: enqueue
    the submissions a stopped server left queued or running (``serve`` does)."""
    settings = settings or from_env()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, NFDP_SETTINGS=settings)
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False  # "/runs//" is a 404, never a redirect
    app.extensions["nfdp"] = ApiState(settings)

    from .. import pages
    from . import (
        access,
        drs,
        ena,
        experiments,
        filereport,
        meta,
        projects,
        qcfiles,
        runfiles,
        runs,
        samples,
        samplesheets,
        search,
        staging,
        staging_uploads,
        submissions,
    )

    # staging_uploads first: /staging/uploads/… must not be taken for a file called "uploads"
    for module in (projects, ena, samples, experiments, runs, filereport, search, meta, runfiles, samplesheets,
                   staging_uploads, staging, submissions):
        app.register_blueprint(module.bp, url_prefix=PREFIX)
    app.register_blueprint(drs.bp, url_prefix=drs.PREFIX)  # GA4GH DRS 1.2
    app.extensions["nfdp_runner"] = runner
    app.register_blueprint(qcfiles.bp)  # /qc/<run>/<file>, the report_url the seed shows
    pages.register(app)  # HTML for people at the root: /, /search, /projects/<acc>, …
    app.after_request(access.record_use)  # a token's last_used_at, outside the view's transactions
    _error_handlers(app)
    if resume_jobs and not _on_workers(settings, runner):  # procrastinate keeps its own queue
        from ..jobs.submission import resume_pending

        with app.app_context():
            app.extensions["nfdp_resumed"] = resume_pending(settings, submissions.runner())
    return app


def _on_workers(settings, runner) -> bool:
    from ..jobs.distributed import DistributedRunner, is_postgres

    if runner is not None:
        return isinstance(runner, DistributedRunner)
    return settings.jobs == "workers" and is_postgres(settings.db_url)


def _error_handlers(app: Flask) -> None:
    """JSON errors under /api/v1, /ga4gh and /qc; HTML error pages everywhere else (the pages)."""
    from ..pages.errors import error_page, from_exception
    from .drs import PREFIX as drs_prefix

    def answer(detail: str, status: int):
        return error_page(status, detail) if is_page(request.path) else json_response({"detail": detail}, status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if is_page(request.path):
            return from_exception(exc)
        if request.path.startswith(drs_prefix + "/"):  # DRS has its own error shape, even for 404/405
            return json_response({"msg": exc.description or exc.name, "status_code": exc.code or 500},
                                 exc.code or 500)
        response = exc.get_response()
        body = {"detail": exc.description or exc.name}
        body.update(getattr(exc, "extra", None) or {})
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return json_response(body, exc.code or 500, headers)

    @app.errorhandler(InfrastructureError)
    def infra_error(exc: InfrastructureError):
        log.warning("infrastructure: %s", exc.message)
        return answer(exc.message, 503)

    @app.errorhandler(SQLAlchemyError)
    def db_error(exc: SQLAlchemyError):
        log.exception("database error")
        return answer("the database failed to answer; try again later", 503)

    @app.errorhandler(NfdpError)
    def nfdp_error(exc: NfdpError):
        return answer(exc.message, 422)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        log.exception("internal error")
        return answer("internal server error", 500)
