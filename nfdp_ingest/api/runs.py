"""/api/v1/runs/ (filters: experiment, sample, project, file_type), download, qc."""

from __future__ import annotations

from flask import Blueprint

from ..registry import queries
from . import serializers
from .access import viewer
from .common import ApiError, json_response, state
from .models import QC, DevDownload, DownloadRedirect, Run
from .resources import get_view, list_view
from .spec import BAD_TOKEN, READ_SECURITY, doc, get_doc, list_doc

bp = Blueprint("runs", __name__)

DEV_MODE_MESSAGE = "Direct download unavailable — file stored at the path above"


def _filters(filters: dict) -> dict:
    if "file_type" in filters:
        filters["file_type"] = filters["file_type"].upper()
    return filters


@bp.get("/runs/")
@list_doc("runs", Run)
def list_runs():
    """List runs"""
    return list_view("runs", _filters)


@bp.get("/runs/<accession>")
@get_doc("runs", Run)
def get_run(accession: str):
    """One run"""
    return get_view("runs", accession)


@bp.get("/runs/<accession>/download")
@doc("runs", (DevDownload, "Local (dev) mode: where the file lies"), op="download_run", security=READ_SECURITY,
     errors={401: BAD_TOKEN, 404: "No such run (or it is under embargo)"},
     also={307: (DownloadRedirect, "Redirect to the presigned download URL (MinIO mode)")})
def download(accession: str):
    """307 to a presigned URL (24 h) in MinIO mode; the file's metadata in local mode"""
    st = state()
    with st.read_engine.connect() as conn:
        who = viewer(conn)
        try:
            row = queries.get_record(conn, "runs", accession, viewer=who)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    url = st.storage.download_url(row["file_path"]) if st.settings.storage == "minio" else None
    if url:
        # The body's first line carries the URL too (`curl -s … | head -1`).
        return json_response({"accession": row["accession"], "download_url": url, "expires_in": 86400},
                             307, {"Location": url, "Cache-Control": "no-store"})
    return json_response({
        "accession": row["accession"],
        "file_path": row["file_path"],
        "file_size": row["file_size"],
        "checksum_md5": row["checksum_md5"],
        "message": DEV_MODE_MESSAGE,
    })


@bp.get("/runs/<accession>/qc")
@doc("runs", QC, op="run_qc", security=READ_SECURITY,
     errors={401: BAD_TOKEN, 404: "No such run (or it is under embargo)"})
def qc(accession: str):
    """QC reports of a run (most recent first)"""
    with state().read_engine.connect() as conn:
        who = viewer(conn)
        try:
            rows = queries.qc_reports(conn, accession, viewer=who)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    return json_response(serializers.qc_document(accession, rows))
