"""/api/v1/filereport?accession=ACC[&format=json|tsv][&fields=a,b] — one row per run file, streamed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.engine import Engine

from ..registry import queries
from .common import ApiError, route, state

bp = Blueprint("filereport", __name__)

FIELDS = queries.FILEREPORT_FIELDS
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


def download_base(public_url: str | None, host_url: str) -> str:
    return (public_url or host_url).rstrip("/") + "/api/v1/runs/"


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


@route(bp, "/filereport", methods=["GET"])
def filereport():
    accession = (request.args.get("accession") or "").strip()
    if not accession:
        raise ApiError(400, "the accession parameter is required (a project, sample, experiment or run)")
    fmt = (request.args.get("format") or "json").strip().lower()
    if fmt not in ("json", "tsv"):
        raise ApiError(400, f"format must be json or tsv (got {fmt[:40]!r})")
    try:
        fields = parse_fields(request.args.get("fields"))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    st = state()
    engine = st.read_engine
    with engine.connect() as conn:
        try:
            what, scope_id = queries.filereport_scope(conn, accession)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    base = download_base(st.settings.public_url, request.host_url)
    body = render(report_rows(engine, what, scope_id, base), fmt, fields)
    mimetype = "text/tab-separated-values" if fmt == "tsv" else "application/json"
    return Response(body, status=200, content_type=f"{mimetype}; charset=utf-8")
