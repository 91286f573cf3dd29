"""GA4GH DRS 1.2 under /ga4gh/drs/v1: service-info, objects (runs as blobs; experiments,
samples and projects as bundles), access URLs; GET and POST forms; errors as {msg, status_code}."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from .. import __version__
from ..export import drs as drs_export
from ..export import lookup
from . import spec
from .access import viewer
from .common import json_response, state
from .drs_models import AccessRequest, AccessURL, DrsError, DrsObject, ObjectRequest, ServiceInfo

PREFIX = "/ga4gh/drs/v1"
bp = Blueprint("drs", __name__)


class DrsFailure(HTTPException):
    def __init__(self, code: int, msg: str):
        super().__init__(description=msg)
        self.code = code


@bp.errorhandler(HTTPException)
def _drs_error(exc: HTTPException):
    return json_response({"msg": exc.description or exc.name, "status_code": exc.code or 500}, exc.code or 500)


def _public() -> str:
    return state().settings.public_url or request.host_url


def _host() -> str:
    return urlsplit(_public()).netloc or request.host


def _doc(op: str, ok, *, body=None, errors: dict[int, str] | None = None):
    codes = {404: "No object with this id", **(errors or {})}
    kw = {"json": body} if body is not None else {}
    return spec.api.validate(resp=spec.Response(HTTP_200=ok, **{f"HTTP_{c}": (DrsError, d) for c, d in codes.items()}),
                             tags=["drs"], operation_id=op, skip_validation=True, **kw)


def _expand() -> bool:
    if request.method == "POST":
        body = request.get_json(silent=True)
        if body is not None and not isinstance(body, dict):
            raise DrsFailure(400, "the request body must be a JSON object")
        value = (body or {}).get("expand", False)
        if not isinstance(value, bool):
            raise DrsFailure(400, "expand must be true or false")
        return value
    raw = (request.args.get("expand") or "false").strip().lower()
    if raw not in ("true", "false"):
        raise DrsFailure(400, f"expand must be true or false (got {raw[:20]!r})")
    return raw == "true"


@bp.get("/service-info")
@_doc("drs_service_info", ServiceInfo, errors={})
def service_info():
    """GA4GH service-info (org.ga4gh:drs:1.2.0)"""
    return json_response({
        "id": "org.nfdp.ingest.drs", "name": "NFDP data repository",
        "type": {"group": "org.ga4gh", "artifact": "drs", "version": drs_export.DRS_VERSION},
        "description": "Runs of the national sequencing-data platform as DRS objects; experiments, "
                       "samples and projects as bundles.",
        "organization": {"name": "NFDP", "url": _public()},
        "version": __version__, "environment": state().settings.storage,
    })


def _object(object_id: str):
    expand = _expand()
    with state().read_engine.connect() as conn:
        try:
            body = drs_export.get_object(conn, object_id, _host(), state().settings.storage, expand=expand,
                                         viewer=viewer(conn))
        except lookup.UnknownAccession:
            raise DrsFailure(404, f"no DRS object with id {object_id[:100]!r}") from None
    return json_response(body)


@bp.get("/objects/<object_id>")
@_doc("drs_get_object", DrsObject, errors={400: "Bad expand value"})
def get_object(object_id: str):
    """A DRS object: a run (blob) or an experiment/sample/project (bundle; expand=true nests)"""
    return _object(object_id)


@bp.post("/objects/<object_id>")
@_doc("drs_post_object", DrsObject, body=ObjectRequest, errors={400: "Bad body"})
def post_object(object_id: str):
    """A DRS object (POST form: expand and passports in the body)"""
    return _object(object_id)


def _access(object_id: str, access_id: str):
    if request.method == "POST" and request.data and not isinstance(request.get_json(silent=True), dict):
        raise DrsFailure(400, "the request body must be a JSON object")
    st = state()
    with st.read_engine.connect() as conn:
        try:
            kind, row = lookup.find_record(conn, object_id, viewer=viewer(conn))
        except lookup.UnknownAccession:
            raise DrsFailure(404, f"no DRS object with id {object_id[:100]!r}") from None
    if kind != "run":
        raise DrsFailure(404, f"{object_id} is a bundle: bundles have no access methods; fetch their contents")
    url = drs_export.access_url(row, access_id, st.storage if st.settings.storage == "minio" else None,
                                st.settings.storage, _public())
    if url is None:
        raise DrsFailure(404, f"object {object_id} has no access method {access_id[:40]!r}")
    return json_response(url)


@bp.get("/objects/<object_id>/access/<access_id>")
@_doc("drs_get_access_url", AccessURL, errors={404: "No such object or access_id"})
def get_access(object_id: str, access_id: str):
    """A URL for the object's bytes (presigned in MinIO mode, our /files/ URL locally)"""
    return _access(object_id, access_id)


@bp.post("/objects/<object_id>/access/<access_id>")
@_doc("drs_post_access_url", AccessURL, body=AccessRequest, errors={
    400: "Bad body", 404: "No such object or access_id"})
def post_access(object_id: str, access_id: str):
    """A URL for the object's bytes (POST form: passports in the body)"""
    return _access(object_id, access_id)


spec._EXTRA["drs_get_object"] = {"parameters": [{"name": "expand", "in": "query", "schema": {
    "type": "boolean", "default": False}, "description": "nest the contents of bundles"}]}
