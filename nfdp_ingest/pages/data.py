"""What each page shows, as plain dicts read from the registry for one viewer.

Records come from ``registry.queries`` (the API's reads, with the embargo filter), the
extra facts from ``registry.overview``; nothing here knows HTTP. A record the viewer may
not see raises ``queries.UnknownAccession``, as in the API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from ..api.serializers import iso, report_url
from ..ena.state import summary as ena_summary
from ..export.names import files_url
from ..export.samplesheets import PIPELINES
from ..registry import overview, queries
from ..registry import search as registry_search
from ..registry.visibility import Viewer, hidden_projects, is_embargoed

PER_PAGE = 50

SAMPLE_FIELDS = (  # (column, label) in the order a person reads them
    ("alias", "Alias"), ("organism", "Organism"), ("tax_id", "Taxon id"), ("breed", "Breed"),
    ("sex", "Sex"), ("tissue", "Tissue"), ("developmental_stage", "Developmental stage"),
    ("host", "Host"), ("collection_date", "Collection date"),
    ("geographic_location", "Geographic location"), ("checklist_id", "Checklist"),
    ("ena_accession", "ENA accession"), ("biosample_accession", "BioSample accession"),
    ("created_at", "Registered"),
)


class PastLastPage(LookupError):
    """A page number after the last page of a table."""

    def __init__(self, name: str, page: int, last: int):
        super().__init__(f"{name} page {page} is past the last page ({last})")


def pages(total: int, page: int, name: str) -> dict[str, int]:
    last = max(1, -(-total // PER_PAGE))
    if page > last:
        raise PastLastPage(name, page, last)
    return {"page": page, "last": last, "total": total, "first_row": (page - 1) * PER_PAGE + 1}


def _dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: iso(v) for k, v in row.items()}


def index(conn: Connection, viewer: Viewer, page: int) -> dict:
    rows, total = queries.list_page(conn, "projects", None, page, PER_PAGE, viewer=viewer)
    counts = overview.project_counts(conn, [r["id"] for r in rows])
    projects = [{**_dict(r), **counts[r["id"]], "embargoed": is_embargoed(r["release_date"])} for r in rows]
    return {"projects": projects, "pages": pages(total, page, "projects")}


def search(conn: Connection, viewer: Viewer, q: str, kinds: tuple[str, ...], page: int) -> dict:
    """Raises registry_search.SearchQueryError for a query without words."""
    hidden = hidden_projects(conn, viewer).ids
    hits, total, exact = registry_search.search(conn, q, kinds=kinds, page=page, per_page=PER_PAGE,
                                                hidden_project_ids=hidden or None)
    return {"hits": hits, "pages": pages(total, page, "results"), "capped": not exact}


def _run_rows(conn: Connection, rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A page of run records with their latest QC status and download link."""
    qc = overview.latest_qc(conn, [r["id"] for r in rows])
    return [{**_dict(r), "qc": qc.get(r["id"]), "download": download_url(r)} for r in rows]


def _runs(conn: Connection, filters: dict, viewer: Viewer, page: int) -> dict:
    rows, total = queries.list_page(conn, "runs", filters, page, PER_PAGE, viewer=viewer)
    return {"rows": _run_rows(conn, rows), "pages": pages(total, page, "runs")}


def project(conn: Connection, viewer: Viewer, accession: str, samples_page: int, runs_page: int) -> dict:
    """The project page: counts by index-only queries, one page of samples and one of runs
    (a 100,000-run project costs what a small one does, bench/bench_pages.py)."""
    record = queries.get_record(conn, "projects", accession, viewer=viewer)
    counts = overview.project_counts(conn, [record["id"]])[record["id"]]
    samples, total_samples = queries.list_page(conn, "samples", {"project": accession}, samples_page,
                                               PER_PAGE, viewer=viewer)
    experiments = overview.experiments_of(conn, [s["id"] for s in samples])
    runs_pages = pages(counts["runs"], runs_page, "runs")  # checked before the walk
    runs = overview.project_runs_page(conn, record["id"], runs_page, PER_PAGE, counts["runs"])
    ena = None
    if record["ena_accession"] or overview.brokered(conn, record["id"]):  # counting costs a pass
        found = ena_summary(conn, accession)
        ena = {"brokered": found["brokered"], "exchanges": len(found["exchanges"]),
               "last_exchange": _dict(found["last_exchange"]) if found["last_exchange"] else None}
    return {
        "project": {**_dict(record), "embargoed": is_embargoed(record["release_date"])},
        "counts": counts,
        "samples": [{**_dict(s), "experiments": [_dict(e) for e in experiments[s["id"]]]} for s in samples],
        "samples_pages": pages(total_samples, samples_page, "samples"),
        "runs": {"rows": _run_rows(conn, runs), "pages": runs_pages},
        "pipelines": list(PIPELINES),
        "ena": ena,
    }


def sample(conn: Connection, viewer: Viewer, accession: str, runs_page: int) -> dict:
    record = queries.get_record(conn, "samples", accession, viewer=viewer)
    values = _dict(record)
    attributes = sorted((str(k), v) for k, v in (record["attributes"] or {}).items())
    return {
        "sample": values,
        "fields": [(label, values[name]) for name, label in SAMPLE_FIELDS],
        "attributes": attributes,
        "experiments": [_dict(e) for e in overview.experiments_of(conn, [record["id"]])[record["id"]]],
        "runs": _runs(conn, {"sample": accession}, viewer, runs_page),
    }


def run(conn: Connection, viewer: Viewer, accession: str) -> dict:
    record = queries.get_record(conn, "runs", accession, viewer=viewer)
    reports = [{**_dict(r), "url": report_url(accession, r["report_path"])}
               for r in queries.qc_reports(conn, accession, viewer=viewer)]
    fastqc = next((r for r in reports if r["tool"] == "FastQC" and r["url"]), None)
    return {"run": {**_dict(record), "download": download_url(record)}, "reports": reports,
            "latest": reports[0] if reports else None, "fastqc": fastqc}


def download_url(run: Mapping[str, Any]) -> str:
    """The run's file under its own name (api/runfiles.py): the file itself locally, a
    presigned redirect in MinIO mode."""
    return files_url("", run["accession"], run["filename"])


def nightly(summaries: list[dict], hidden_accessions: frozenset[str]) -> list[dict]:
    """The summaries as this viewer may read them: sheets of projects under embargo that it
    may not see are left out (and their numbers with them), only counted as withheld."""
    out = []
    for s in summaries:
        sheets = [x for x in s.get("sheets") or [] if x.get("project") not in hidden_accessions]
        created = {k: sum((x.get("created") or {}).get(k, 0) for x in sheets)
                   for k in ("samples", "experiments", "runs")}
        statuses = dict(Counter(x.get("status", "?") for x in sheets))
        out.append({**s, "sheets": sheets, "created": created, "statuses": statuses,
                    "bytes": sum(x.get("bytes") or 0 for x in sheets),
                    "withheld": len(s.get("sheets") or []) - len(sheets)})
    return out
