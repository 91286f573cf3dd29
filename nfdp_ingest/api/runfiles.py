"""/api/v1/runs/{acc}/files/{filename}: a stable URL ending in the file name (what nf-core
schema patterns accept). MinIO mode: 302 to a fresh presigned URL; local mode: the file itself,
with HTTP Range (206) and conditional requests."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_file

from ..export import lookup
from ..export.names import base_name
from . import spec
from .access import viewer
from .common import ApiError, state
from .spec import doc

bp = Blueprint("runfiles", __name__)

MIME = {".gz": "application/gzip", ".bam": "application/octet-stream", ".cram": "application/octet-stream",
        ".vcf": "text/plain", ".fastq": "text/plain", ".fq": "text/plain"}


def run_file(accession: str, filename: str):
    """The run's record when ``filename`` is its file's name; 404 otherwise."""
    with state().read_engine.connect() as conn:
        try:
            _kind, row = lookup.find_record(conn, accession, ("run",), viewer=viewer(conn))
        except lookup.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    if base_name(row["filename"]) != filename:
        raise ApiError(404, f"run {accession} has no file {filename[:200]!r}")
    return row


@bp.get("/runs/<accession>/files/<filename>")
@doc("runs", op="run_file", errors={404: "No such run, or not its file name, or the file is missing",
                                   416: "Range not satisfiable (local mode)"})
def get_file(accession: str, filename: str):
    """The run's file under its own name (302 to presigned in MinIO mode; streamed with Range locally)"""
    row = run_file(accession, filename)
    st = state()
    if st.settings.storage == "minio":
        response = redirect(st.storage.download_url(row["file_path"]), 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    path = Path(row["file_path"])
    if not path.is_absolute() or not path.is_file():
        raise ApiError(404, f"the file of run {accession} is missing from storage")
    response = send_file(path, mimetype=MIME.get(path.suffix.lower(), "application/octet-stream"),
                         conditional=True, etag=row["checksum_md5"], download_name=filename, max_age=0)
    response.headers["Accept-Ranges"] = "bytes"
    return response


_BYTES = {m: {"schema": {"type": "string", "format": "binary"}} for m in sorted(set(MIME.values()))}
# HTTP Range (RFC 9110) is honoured in local mode; being standard HTTP it is not listed as a parameter.
spec._EXTRA["run_file"] = {
    "responses": {
        "200": {"description": "The file (local mode)", "content": _BYTES},
        "206": {"description": "Part of the file (Range, local mode)", "content": _BYTES},
        "304": {"description": "Not modified (If-None-Match / If-Modified-Since, local mode)"},
        "302": {"description": "Redirect to a fresh presigned URL (MinIO mode)",
                "headers": {"Location": {"schema": {"type": "string"}}}},
    },
}
