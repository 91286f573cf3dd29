"""The OpenAPI 3.0 document of every endpoint (served at /api/v1/openapi.json)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from .. import __version__
from ..registry.queries import FILEREPORT_FIELDS
from .common import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE

# Exactly what the endpoint accepts: comma-separated known field names, blanks
# around them and empty items ignored.
_FIELD_NAME = "(" + "|".join(FILEREPORT_FIELDS) + ")?"
_FIELDS_PATTERN = rf"^\s*{_FIELD_NAME}\s*(,\s*{_FIELD_NAME}\s*)*$"

P = "/api/v1"


def _s(type_: str, nullable: bool = False, **kw) -> dict:
    out = {"type": type_, **kw}
    if nullable:
        out["nullable"] = True
    return out


STR, STR_N = _s("string"), _s("string", True)
INT_N = _s("integer", True)
# ISO 8601 in UTC without an offset, as the seed shows ("2026-01-15T10:30:00"); RFC 3339's
# "date-time" format requires an offset, so the shape is given as a pattern instead.
TS = _s("string", pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", description="ISO 8601, UTC",
        example="2026-01-15T10:30:00")

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["detail"],
        "properties": {"detail": STR, "errors": {"type": "array", "items": {
            "type": "object", "properties": {"field": STR, "message": STR, "value": STR_N}}}},
    },
    "Project": {
        "type": "object",
        "required": ["accession", "title", "description", "project_type", "release_date", "created_at"],
        "properties": {"accession": STR, "title": STR, "description": STR_N, "project_type": STR_N,
                       "release_date": _s("string", True, format="date"), "created_at": TS},
    },
    "Sample": {
        "type": "object",
        "required": ["accession", "project_accession", "alias", "organism", "tax_id", "attributes", "created_at"],
        "properties": {
            "accession": STR, "project_accession": STR, "alias": STR, "organism": STR_N, "tax_id": INT_N,
            "checklist_id": STR_N, "collection_date": STR_N, "geographic_location": STR_N, "breed": STR_N,
            "host": STR_N, "tissue": STR_N, "sex": STR_N, "developmental_stage": STR_N,
            "attributes": {"type": "object", "additionalProperties": True}, "created_at": TS,
        },
    },
    "Experiment": {
        "type": "object",
        "required": ["accession", "sample_accession", "project_accession", "platform", "instrument_model",
                     "library_strategy", "library_source", "library_layout", "insert_size", "created_at"],
        "properties": {
            "accession": STR, "sample_accession": STR, "project_accession": STR, "platform": STR,
            "instrument_model": STR, "library_strategy": STR, "library_source": STR,
            "library_layout": STR, "insert_size": INT_N, "library_selection": STR_N,
            "library_name": STR_N, "created_at": TS,
        },
    },
    "ExperimentCreate": {
        "type": "object",
        "required": ["sample_accession", "platform", "instrument_model", "library_strategy",
                     "library_source", "library_layout"],
        "additionalProperties": False,
        "properties": {
            "sample_accession": _s("string", example="NFDP-SAM-000001"),
            "platform": _s("string", example="ILLUMINA", description="ILLUMINA, OXFORD_NANOPORE, PACBIO_SMRT, …"),
            "instrument_model": _s("string", example="Illumina NovaSeq 6000"),
            "library_strategy": _s("string", example="WGS", description="WGS, WXS, RNA-Seq, AMPLICON, …"),
            "library_source": _s("string", example="GENOMIC"),
            "library_layout": _s("string", example="PAIRED", description="PAIRED or SINGLE"),
            # optional fields may also be sent as null ("not given"), as the API accepts
            "insert_size": _s("integer", True, minimum=1, example=350, description="Insert size in bp"),
            "library_selection": _s("string", True, example="RANDOM"),
            "library_name": _s("string", True),
        },
    },
    "Run": {
        "type": "object",
        "required": ["accession", "ena_accession", "file_type", "file_size", "checksum_md5", "created_at",
                     "experiment_accession", "sample_accession", "project_accession", "filename",
                     "file_path", "checksum_sha256", "read_direction"],
        "properties": {
            "accession": STR, "ena_accession": STR_N, "file_type": STR, "file_size": _s("integer"),
            "checksum_md5": STR, "created_at": TS, "experiment_accession": STR, "sample_accession": STR,
            "project_accession": STR, "filename": STR, "file_path": STR, "checksum_sha256": STR,
            "read_direction": _s("string", enum=["forward", "reverse", "single"]),
        },
    },
    "DevDownload": {
        "type": "object", "required": ["accession", "file_path", "file_size", "checksum_md5", "message"],
        "properties": {"accession": STR, "file_path": STR, "file_size": _s("integer"),
                       "checksum_md5": STR, "message": STR},
    },
    "QCReport": {
        "type": "object", "required": ["tool", "status", "summary"],
        "properties": {"tool": STR, "status": STR, "summary": {"type": "object"},
                       "report_url": STR_N, "created_at": TS},
    },
    "QC": {
        "type": "object", "required": ["status", "reports"],
        "properties": {
            "status": _s("string", description="passed / warn / failed, or pending when QC has not run"),
            "tool": STR, "summary": {"type": "object"}, "report_url": STR_N,
            "reports": {"type": "array", "items": {"$ref": "#/components/schemas/QCReport"}},
        },
    },
    "FileReportRow": {
        "type": "object", "description": "All fields unless `fields=` chose some.",
        "properties": {f: (INT_N if f in ("tax_id",) else _s("integer") if f == "file_size" else STR_N)
                       for f in FILEREPORT_FIELDS},
    },
    "Health": {
        "type": "object", "required": ["status", "database", "storage"],
        "properties": {"status": _s("string", enum=["ok", "unavailable"]), "database": STR, "storage": STR,
                       "detail": STR},
    },
}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(ref_or_schema: Any, description: str = "OK", headers: dict | None = None) -> dict:
    schema = {"$ref": f"#/components/schemas/{ref_or_schema}"} if isinstance(ref_or_schema, str) else ref_or_schema
    out = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


LIST_HEADERS = {
    "X-Total-Count": {"description": "Number of records matching the filters",
                      "schema": {"type": "integer", "minimum": 0}},
    "Link": {"description": "RFC 8288 links: first, prev, next, last", "schema": {"type": "string"}},
}
PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {"name": "per_page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}},
]


def _acc_param(example: str) -> dict:
    return {"name": "accession", "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "example": example}}


def _filter(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string"}}


def _list_op(tag: str, ref: str, filters: list[dict], summary: str) -> dict:
    return {"get": {
        "tags": [tag], "summary": summary, "operationId": f"list_{tag}",
        "parameters": deepcopy(PAGE_PARAMS) + filters,
        "responses": {
            "200": _json({"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
                         "A page of records ordered by accession", LIST_HEADERS),
            "400": _error("Bad page or per_page"),
            "404": _error("A filter names an accession that does not exist"),
        },
    }}


def _get_op(tag: str, ref: str, example: str) -> dict:
    return {"get": {
        "tags": [tag], "summary": f"One {ref.lower()}", "operationId": f"get_{ref.lower()}",
        "parameters": [_acc_param(example)],
        "responses": {"200": _json(ref), "404": _error("No such accession")},
    }}


def build() -> dict[str, Any]:
    parent = "accession of a {} (404 when it does not exist)".format
    paths: dict[str, Any] = {
        f"{P}/projects/": _list_op("projects", "Project", [], "List projects"),
        f"{P}/projects/{{accession}}": _get_op("projects", "Project", "NFDP-PRJ-000001"),
        f"{P}/samples/": _list_op("samples", "Sample", [_filter("project", parent("project"))], "List samples"),
        f"{P}/samples/{{accession}}": _get_op("samples", "Sample", "NFDP-SAM-000001"),
        f"{P}/experiments/": _list_op("experiments", "Experiment", [
            _filter("sample", parent("sample")), _filter("project", parent("project")),
            _filter("platform", "e.g. ILLUMINA (matched like the sheet validator)"),
            _filter("library_strategy", "e.g. WGS"),
        ], "List experiments"),
        f"{P}/experiments/{{accession}}": _get_op("experiments", "Experiment", "NFDP-EXP-000001"),
        f"{P}/runs/": _list_op("runs", "Run", [
            _filter("experiment", parent("experiment")), _filter("sample", parent("sample")),
            _filter("project", parent("project")), _filter("file_type", "FASTQ, BAM, CRAM or VCF"),
        ], "List runs"),
        f"{P}/runs/{{accession}}": _get_op("runs", "Run", "NFDP-RUN-000001"),
        f"{P}/runs/{{accession}}/download": {"get": {
            "tags": ["runs"], "operationId": "download_run",
            "summary": "307 to a presigned URL (24 h) in MinIO mode; the file's metadata in local mode",
            "parameters": [_acc_param("NFDP-RUN-000001")],
            "responses": {
                "200": _json("DevDownload", "Local (dev) mode: where the file lies"),
                "307": {"description": "Redirect to the presigned download URL",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                "404": _error("No such run"),
            },
        }},
        f"{P}/runs/{{accession}}/qc": {"get": {
            "tags": ["runs"], "operationId": "run_qc", "summary": "QC reports of a run (most recent first)",
            "parameters": [_acc_param("NFDP-RUN-000001")],
            "responses": {"200": _json("QC"), "404": _error("No such run")},
        }},
        f"{P}/filereport": {"get": {
            "tags": ["filereport"], "operationId": "filereport",
            "summary": "One row per run file under a project, sample, experiment or run (streamed)",
            "parameters": [
                {"name": "accession", "in": "query", "required": True,
                 "schema": {"type": "string", "minLength": 1, "example": "NFDP-PRJ-000001"}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "tsv"],
                                                              "default": "json"}},
                {"name": "fields", "in": "query", "description": "comma-separated subset of: "
                 + ", ".join(FILEREPORT_FIELDS),
                 "schema": {"type": "string", "pattern": _FIELDS_PATTERN}},
            ],
            "responses": {
                "200": {"description": "Rows (an empty list when the accession has no runs)", "content": {
                    "application/json": {"schema": {"type": "array",
                                                    "items": {"$ref": "#/components/schemas/FileReportRow"}}},
                    "text/tab-separated-values": {"schema": {"type": "string"}},
                }},
                "400": _error("Missing accession, unknown format or field"),
                "404": _error("No project, sample, experiment or run with this accession"),
            },
        }},
        f"{P}/health": {"get": {
            "tags": ["meta"], "operationId": "health", "summary": "Database and storage reachability",
            "responses": {"200": _json("Health"), "503": _json("Health", "Database or storage unreachable")},
        }},
        f"{P}/openapi.json": {"get": {
            "tags": ["meta"], "operationId": "openapi", "summary": "This document",
            "responses": {"200": _json({"type": "object"})},
        }},
        "/qc/{accession}/{name}": {"get": {
            "tags": ["runs"], "operationId": "qc_report_file", "summary": "A QC report file (report_url)",
            "parameters": [_acc_param("NFDP-RUN-000001"),
                           {"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string", "minLength": 1, "example": "fastqc_report.html"}}],
            "responses": {
                "200": {"description": "The report", "content": {"text/html": {"schema": {"type": "string"}}}},
                "307": {"description": "Redirect to the stored report (MinIO mode)",
                        "headers": {"Location": {"schema": {"type": "string"}}}},
                "404": _error("No such run or report"),
            },
        }},
    }
    paths[f"{P}/experiments/"]["post"] = {
        "tags": ["experiments"], "operationId": "create_experiment", "summary": "Create an experiment",
        "security": [{"bearerAuth": []}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ExperimentCreate"}}}},
        "responses": {
            "201": _json("Experiment", "Created", {"Location": {"schema": {"type": "string"}}}),
            "400": _error("The body is not a JSON object"),
            "401": _error("Missing, unknown or revoked bearer token"),
            "404": _error("No sample with this accession"),
            "422": _error("A field is missing or invalid (named in detail and errors)"),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "NFDP ingest API", "version": __version__,
                 "description": "Projects, samples, experiments, runs, QC and file reports."},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
