"""/api/v1/filereport?accession=ACC[&format=json|tsv][&fields=a,b] — one row per run file, streamed."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..export.filereport import file_report
from ..registry.queries import UnknownAccession
from .access import viewer
from .common import ApiError, state
from .models import FileReportRow
from .spec import BAD_TOKEN, READ_SECURITY, doc

bp = Blueprint("filereport", __name__)


@bp.get("/filereport")
@doc("filereport", list[FileReportRow], op="filereport", security=READ_SECURITY, errors={
    400: "Missing accession, unknown format or field", 401: BAD_TOKEN,
    404: "No project, sample, experiment or run with this accession (or it is under embargo)"})
def filereport():
    """One row per run file under a project, sample, experiment or run (streamed)"""
    accession = (request.args.get("accession") or "").strip()
    if not accession:
        raise ApiError(400, "the accession parameter is required (a project, sample, experiment or run)")
    fmt = (request.args.get("format") or "json").strip().lower()
    st = state()
    with st.read_engine.connect() as conn:
        who = viewer(conn)
    try:
        body = file_report(st.read_engine, accession, st.settings.public_url or request.host_url,
                           fmt=fmt, fields=request.args.get("fields"), viewer=who)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except UnknownAccession as exc:
        raise ApiError(404, str(exc)) from None
    mimetype = "text/tab-separated-values" if fmt == "tsv" else "application/json"
    return Response(body, status=200, content_type=f"{mimetype}; charset=utf-8")
