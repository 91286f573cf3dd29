"""/api/v1/health and /api/v1/openapi.json"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from ..errors import NfdpError
from ..registry import db as registry_db
from . import openapi
from .common import json_response, route, state

bp = Blueprint("meta", __name__)


@route(bp, "/health", methods=["GET"])
def health():
    st = state()
    body = {"status": "ok", "database": "ok", "storage": "ok"}
    problems = []
    try:
        registry_db.check_schema(st.read_engine)
    except (NfdpError, SQLAlchemyError) as exc:
        body["database"] = getattr(exc, "message", None) or "unreachable"
        problems.append("database")
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


@route(bp, "/openapi.json", methods=["GET"])
def openapi_json():
    return json_response(openapi.build())
