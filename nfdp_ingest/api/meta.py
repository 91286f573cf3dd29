"""/api/v1/health, /api/v1/metrics and /api/v1/openapi.json"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from ..errors import NfdpError
from ..registry import db as registry_db
from . import spec
from .common import json_response, state
from .models import Health

bp = Blueprint("meta", __name__)


@bp.get("/health")
@spec.doc("meta", Health, op="health", also={503: (Health, "Database or storage unreachable")})
def health():
    """Database and storage reachability"""
    st = state()
    body = {"status": "ok", "database": "ok", "storage": "ok"}
    problems = []
    try:
        registry_db.check_schema(st.read_engine)
    except (NfdpError, SQLAlchemyError) as exc:
        body["database"] = getattr(exc, "message", None) or "unreachable"
        problems.append("database")
    if "database" not in problems:
        try:
            from ..jobs.ops import counts

            jobs = counts(st.read_engine)
            if jobs is not None:
                body["jobs"] = jobs
        except SQLAlchemyError:  # the registry answered: the queue's counts are extra
            pass
    try:
        body["storage"] = st.storage.check()
    except Exception as exc:  # any failure of the storage check means "down"
        body["storage"] = getattr(exc, "message", None) or f"unreachable ({type(exc).__name__})"
        problems.append("storage")
    if problems:
        body["status"] = "unavailable"
        body["detail"] = " and ".join(problems) + " unavailable"
        return json_response(body, 503)
    return json_response(body)


@bp.get("/metrics")
@spec.doc("meta", op="metrics", errors={503: "Database unreachable"})
def metrics():
    """Submissions by status and, with workers, jobs by queue and state (Prometheus text format)"""
    from .metrics import render

    # a database that fails to answer: 503 {"detail": …} from the app's SQLAlchemyError handler
    return Response(render(state().read_engine), mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8")


@bp.get("/openapi.json")
@spec.doc("meta", op="openapi")
def openapi_json():
    """This document (generated from api/models.py by spectree)"""
    st = state()
    if st.openapi is None:
        st.openapi = spec.build(current_app._get_current_object())
    return json_response(st.openapi)
