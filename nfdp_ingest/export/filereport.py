"""The file report: one row per run file under a project, sample, experiment or run.

``file_report`` is the one operation behind ``GET /api/v1/filereport`` and the
``nfdp-ingest filereport`` command: it checks the fields and the format, resolves
the accession at once (so an unknown one fails before any byte is written), and
returns the rendered report as an iterator of text chunks, streamed from one
database connection that is closed when the consumer stops.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from ..registry import queries
from ..registry.visibility import ANONYMOUS, Viewer
from .names import API_PREFIX  # download_url points under it

FIELDS = queries.FILEREPORT_FIELDS
FORMATS = ("json", "tsv")
CHUNK = 64 * 1024


def parse_fields(raw: str | None) -> tuple[str, ...]:
    """``a,b`` → the chosen fields in that order; unknown names raise ValueError naming them."""
    if raw is None or not raw.strip():
        return FIELDS
    chosen = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FIELDS]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    return tuple(dict.fromkeys(chosen)) or FIELDS


def download_base(base_url: str) -> str:
    """``https://host/`` → ``https://host/api/v1/runs/`` (each row's download_url is under it)."""
    return base_url.rstrip("/") + API_PREFIX + "/runs/"


def file_report(engine: Engine, accession: str, base_url: str, *, fmt: str = "json",
                fields: str | None = None, viewer: Viewer = ANONYMOUS) -> Iterator[str]:
    """The report of ``accession`` as chunks of JSON or TSV, as ``viewer`` may see it.

    An accession in a project under embargo for ``viewer`` is unknown; every row of a
    scope belongs to the scope's project, so a visible scope needs no row filter.

    ``base_url`` is where clients reach the API (for ``download_url``). Raises
    ValueError for an unknown format or field and ``queries.UnknownAccession`` for an
    accession that names nothing; both before the first chunk.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be json or tsv (got {fmt[:40]!r})")
    chosen = parse_fields(fields)
    with engine.connect() as conn:
        what, scope_id = queries.filereport_scope(conn, accession, viewer=viewer)
    return render(report_rows(engine, what, scope_id, download_base(base_url)), fmt, chosen)


def report_rows(engine: Engine, what: str, scope_id: int, base: str) -> Iterator[dict[str, Any]]:
    """Rows with ``download_url``, streamed from one connection (closed when the consumer stops)."""
    with engine.connect() as conn:
        for row in queries.filereport_rows(conn, what, scope_id):
            out = dict(row)
            out["download_url"] = f"{base}{row['run_accession']}/download"
            yield out


def _tsv_cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def render(rows: Iterable[Mapping[str, Any]], fmt: str, fields: tuple[str, ...]) -> Iterator[str]:
    """JSON array or TSV with a header line, in chunks of about 64 KiB."""
    buf: list[str] = []
    size = 0
    if fmt == "tsv":
        buf.append("\t".join(fields) + "\n")
        for row in rows:
            line = "\t".join(_tsv_cell(row[f]) for f in fields) + "\n"
            buf.append(line)
            size += len(line)
            if size >= CHUNK:
                yield "".join(buf)
                buf, size = [], 0
        yield "".join(buf)
        return
    first = True
    buf.append("[")
    for row in rows:
        item = json.dumps({f: row[f] for f in fields}, ensure_ascii=False, separators=(",", ":"))
        buf.append(item if first else ",\n" + item)
        first = False
        size += len(item)
        if size >= CHUNK:
            yield "".join(buf)
            buf, size = [], 0
    buf.append("]\n")
    yield "".join(buf)
