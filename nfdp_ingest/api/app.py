"""The application factory: settings on the app, one blueprint per resource, JSON errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import fields as dc_fields
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..config import Settings, from_env
from ..errors import InfrastructureError, NfdpError
from .common import ApiState, json_response

log = logging.getLogger("nfdp_ingest.api")

_SETTINGS_FIELDS = {f.name for f in dc_fields(Settings)}


def _settings(settings_or_config: Settings | Mapping[str, Any] | None) -> tuple[Settings, dict]:
    if isinstance(settings_or_config, Settings):
        return settings_or_config, {}
    config = dict(settings_or_config or {})
    if isinstance(config.get("NFDP_SETTINGS"), Settings):
        settings = config.pop("NFDP_SETTINGS")
    else:
        overrides = {k: config.pop(k) for k in list(config) if k in _SETTINGS_FIELDS}
        settings = from_env().with_overrides(**overrides)
    return settings, config


def create_app(settings_or_config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the API for these settings (a Settings, or a mapping of Settings fields
    and Flask config keys; None: the environment). Engines and storage open lazily."""
    settings, flask_config = _settings(settings_or_config)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, NFDP_SETTINGS=settings)
    app.config.update(flask_config)
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False  # "/runs//" is a 404, never a redirect
    app.extensions["nfdp"] = ApiState(settings)

    from . import experiments, filereport, meta, projects, qcfiles, runs, samples

    for module in (projects, samples, experiments, runs, filereport, meta):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
    app.register_blueprint(qcfiles.bp)  # /qc/<run>/<file>, the report_url the seed shows
    _error_handlers(app)
    return app


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = exc.get_response()
        body = {"detail": exc.description or exc.name}
        body.update(getattr(exc, "extra", None) or {})
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return json_response(body, exc.code or 500, headers)

    @app.errorhandler(InfrastructureError)
    def infra_error(exc: InfrastructureError):
        log.warning("infrastructure: %s", exc.message)
        return json_response({"detail": exc.message}, 503)

    @app.errorhandler(SQLAlchemyError)
    def db_error(exc: SQLAlchemyError):
        log.exception("database error")
        return json_response({"detail": "the database failed to answer; try again later"}, 503)

    @app.errorhandler(NfdpError)
    def nfdp_error(exc: NfdpError):
        return json_response({"detail": exc.message}, 422)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        log.exception("internal error")
        return json_response({"detail": "internal server error"}, 500)
