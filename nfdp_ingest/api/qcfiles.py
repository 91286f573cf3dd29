"""/qc/<run>/<file>: the QC report files that ``report_url`` points at.

Local mode serves the stored file; MinIO mode redirects (307) to a presigned URL.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_file

from ..registry import queries
from .access import viewer
from .common import ApiError, state
from .spec import BAD_TOKEN, READ_SECURITY, doc

bp = Blueprint("qcfiles", __name__)


@bp.get("/qc/<accession>/<name>")
@doc("runs", op="qc_report_file", security=READ_SECURITY,
     errors={401: BAD_TOKEN, 404: "No such run or report (or the run is under embargo)"})
def qc_file(accession: str, name: str):
    """A QC report file (report_url)"""
    st = state()
    with st.read_engine.connect() as conn:
        who = viewer(conn)
        try:
            report_path = queries.qc_report_path(conn, accession, name, viewer=who)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    if report_path is None:
        raise ApiError(404, f"run {accession} has no QC report file {name!r}")
    if st.settings.storage == "minio":
        url = st.storage.report_url(report_path)
        if url:
            return redirect(url, 307)
    candidates = [Path(report_path), Path(st.settings.qc_path) / accession / name]
    for path in candidates:
        if path.is_file():
            mimetype = "text/html" if name.endswith((".html", ".htm")) else None
            return send_file(path.resolve(), mimetype=mimetype, conditional=True)
    raise ApiError(404, f"the QC report file {name!r} of run {accession} is missing from storage")
