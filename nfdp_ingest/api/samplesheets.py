"""/api/v1/samplesheets/{ACC}/{pipeline}.csv (nf-core sample sheets, streamed) and
/api/v1/samplesheets/{ACC}/nextflow.config (Nextflow settings for the s3:// paths)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..export import lookup
from ..export.samplesheets import PIPELINES
from ..export.samplesheets.sheet import nextflow_config, prepare
from . import spec
from .access import viewer
from .common import ApiError, state
from .spec import doc

bp = Blueprint("samplesheets", __name__)


def public_base() -> str:
    return state().settings.public_url or request.host_url


@bp.get(f"/samplesheets/<accession>/<any({', '.join(PIPELINES)}):pipeline>.csv")
@doc("samplesheets", op="samplesheet", errors={
    400: "Unknown pipeline, paths or numeric_ids", 404: "No project, sample or experiment with this accession",
    422: "The scope cannot be written for this pipeline (e.g. sarek with single-end runs)"})
def samplesheet(accession: str, pipeline: str):
    """An nf-core sample sheet of a project, sample or experiment (streamed CSV)"""
    st = state()
    with st.read_engine.connect() as conn:
        reader = viewer(conn)
    try:
        sheet = prepare(st.read_engine, accession, pipeline, storage_mode=st.settings.storage,
                        base_url=public_base(), paths=request.args.get("paths") or None,
                        numeric_ids=request.args.get("numeric_ids") or "prefix", viewer=reader)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except lookup.UnknownAccession as exc:
        raise ApiError(404, str(exc)) from None
    headers = {"X-Skipped-Count": str(len(sheet.skipped)), "X-Row-Count": str(sheet.rows_count),
               "Content-Disposition": f'inline; filename="{pipeline}.csv"'}
    if sheet.skipped:
        headers["X-Skipped-Runs"] = sheet.skipped_header()
    return Response(sheet.chunks(), status=200, headers=headers, content_type="text/csv; charset=utf-8")


@bp.get("/samplesheets/<accession>/nextflow.config")
@doc("samplesheets", op="samplesheet_nextflow_config", errors={
    404: "No project, sample or experiment with this accession"})
def nextflow_settings(accession: str):
    """Nextflow settings for the sheet's s3:// paths: our endpoint, path-style; credentials by env var"""
    st = state()
    with st.read_engine.connect() as conn:
        try:
            lookup.find_record(conn, accession, ("project", "sample", "experiment"), viewer=viewer(conn))
        except lookup.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    if st.settings.storage != "minio":  # a valid config that needs nothing: sheets use https/local paths
        return Response("// Local storage: NFDP sample sheets use https:// or local paths here;\n"
                        "// Nextflow needs no settings for them.\n", status=200,
                        content_type="text/plain; charset=utf-8")
    storage = st.storage
    body = nextflow_config(storage.public_url, st.settings.minio.region, storage.raw_bucket)
    return Response(body, status=200, content_type="text/plain; charset=utf-8")


_QUERY = [
    {"name": "paths", "in": "query", "description": "s3 (MinIO mode, default there), https (default in "
     "local mode: our /runs/{acc}/files/{name} URLs) or local (local mode: absolute paths)",
     "schema": {"type": "string", "enum": ["s3", "https", "local"]}},
    {"name": "numeric_ids", "in": "query", "description": "ids nf-schema would cast to numbers: prefix "
     "(S123) or refuse (422)", "schema": {"type": "string", "enum": ["prefix", "refuse"], "default": "prefix"}},
]
_HEADERS = {
    "X-Skipped-Runs": {"description": "ACC=reason for runs the pipeline cannot take (first 200)",
                       "schema": {"type": "string"}},
    "X-Skipped-Count": {"description": "Number of skipped runs", "schema": {"type": "integer"}},
    "X-Row-Count": {"description": "Number of rows after the header", "schema": {"type": "integer"}},
}
spec._EXAMPLES["samplesheets"] = "NFDP-PRJ-000001"  # path examples (api/spec.py)
spec._EXTRA.update({
    "samplesheet": {
        "parameters": _QUERY,
        "responses": {"200": {"description": "The sheet", "headers": _HEADERS,
                              "content": {"text/csv": {"schema": {"type": "string"}}}}},
    },
    "samplesheet_nextflow_config": {
        "responses": {"200": {"description": "Nextflow config text",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}},
    },
})
