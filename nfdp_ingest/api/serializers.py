"""Rows → the seed's JSON records (field names and order as documented)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

PROJECT_FIELDS = ("accession", "title", "description", "project_type", "release_date", "created_at")
SAMPLE_FIELDS = (
    "accession", "project_accession", "alias", "organism", "tax_id", "checklist_id",
    "collection_date", "geographic_location", "breed", "host", "tissue", "sex",
    "developmental_stage", "attributes", "created_at",
)
# The seed's create fields plus accession, the project, and the other stored library fields.
EXPERIMENT_FIELDS = (
    "accession", "sample_accession", "project_accession", "platform", "instrument_model",
    "library_strategy", "library_source", "library_layout", "insert_size",
    "library_selection", "library_name", "created_at",
)
# The seed's run fields first, then the parents, then what the file needs.
RUN_FIELDS = (
    "accession", "ena_accession", "file_type", "file_size", "checksum_md5", "created_at",
    "experiment_accession", "sample_accession", "project_accession",
    "filename", "file_path", "checksum_sha256", "read_direction",
)
FIELDS = {"projects": PROJECT_FIELDS, "samples": SAMPLE_FIELDS,
          "experiments": EXPERIMENT_FIELDS, "runs": RUN_FIELDS}


def iso(value: Any) -> Any:
    """ISO 8601: ``2026-01-15T10:30:00`` (UTC, as stored) or ``2026-01-15``."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def record(resource: str, row: Mapping[str, Any]) -> dict[str, Any]:
    out = {name: iso(row[name]) for name in FIELDS[resource]}
    if resource == "samples" and out["attributes"] is None:
        out["attributes"] = {}
    return out


def qc_entry(row: Mapping[str, Any], run_accession: str) -> dict[str, Any]:
    return {
        "tool": row["tool"],
        "status": row["status"],
        "summary": row["summary"] or {},
        "report_url": report_url(run_accession, row["report_path"]),
        "created_at": iso(row["created_at"]),
    }


def report_url(run_accession: str, report_path: str | None) -> str | None:
    """``/qc/NFDP-RUN-000001/fastqc_report.html`` (served by the qc files route)."""
    if not report_path:
        return None
    name = report_path.replace("\\", "/").rsplit("/", 1)[-1]
    return f"/qc/{run_accession}/{name}"


def qc_document(run_accession: str, rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The seed's QC shape; top-level fields from the most recent report."""
    if not rows:
        return {"status": "pending", "reports": []}
    reports = [qc_entry(r, run_accession) for r in rows]
    top = reports[0]
    return {"status": top["status"], "tool": top["tool"], "summary": top["summary"],
            "report_url": top["report_url"], "reports": reports}
