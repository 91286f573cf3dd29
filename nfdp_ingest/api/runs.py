"""/api/v1/runs/ (filters: experiment, sample, project, file_type), download, qc."""

from __future__ import annotations

from flask import Blueprint

from ..registry import queries
from . import serializers
from .common import ApiError, json_response, route, state
from .resources import get_view, list_view

bp = Blueprint("runs", __name__)

DEV_MODE_MESSAGE = "Direct download unavailable — file stored at the path above"


def _filters(filters: dict) -> dict:
    if "file_type" in filters:
        filters["file_type"] = filters["file_type"].upper()
    return filters


@route(bp, "/runs/", methods=["GET"])
def list_runs():
    return list_view("runs", _filters)


@route(bp, "/runs/<accession>", methods=["GET"])
def get_run(accession: str):
    return get_view("runs", accession)


@route(bp, "/runs/<accession>/download", methods=["GET"])
def download(accession: str):
    """MinIO mode: 307 to a presigned URL (24 h). Local mode: the seed's dev-mode metadata."""
    st = state()
    with st.read_engine.connect() as conn:
        try:
            row = queries.get_record(conn, "runs", accession)
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


@route(bp, "/runs/<accession>/qc", methods=["GET"])
def qc(accession: str):
    with state().read_engine.connect() as conn:
        try:
            rows = queries.qc_reports(conn, accession)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    return json_response(serializers.qc_document(accession, rows))
