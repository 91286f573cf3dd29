"""Full-text search over projects, samples and runs (the ``search_doc`` table).

The documents are written by the database itself (triggers of migration 0007), so
this module only reads. A query is reduced to its words (runs of letters and
digits, lower case: the same reduction the index applies), every word must match,
and hits are ranked: PostgreSQL by ``ts_rank`` over the weighted ``tsvector``
(titles weigh most), SQLite by FTS5's ``bm25`` with the same weighting. A query that
is one file name is first looked up as the whole name. Above RANK_LIMIT hits the
order is the registration order (ranking them all would cost seconds). Hits are counted
up to COUNT_LIMIT and pages stop there (above it, PostgreSQL pages through the first
COUNT_LIMIT hits its scan meets, in registration order): counting the million runs a word like "fastq"
matches costs half a second, and nobody pages through 10,000 hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

KINDS = ("project", "sample", "run")
MAX_WORDS = 16
# Above this many hits, ranking them all costs more than a reader waits (a word every run
# has: a million ranks for one page); they come in the order they were registered instead.
RANK_LIMIT = 5000
# Hits counted, and reachable by paging, at most (Elasticsearch stops at the same number).
COUNT_LIMIT = 10_000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NAME = re.compile(r"^[^\W_]+(?:[_.\-/]+[^\W_]+)+$", re.UNICODE)  # a file name: words joined by _ . - /


class SearchQueryError(ValueError):
    """A query that cannot be searched (no words, an unknown type)."""


def query_words(q: str) -> list[str]:
    """The words of a query, as the index holds them; at most MAX_WORDS, duplicates dropped."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(q or "")))
    return words[:MAX_WORDS]


def joined_name(q: str) -> str | None:
    """A query that looks like one file name, as the index holds whole names (its letters and
    digits joined); None for anything else."""
    q = (q or "").strip().lower()
    if len(q) > 500 or not _NAME.match(q):
        return None
    return "".join(_WORD.findall(q))


def parse_kinds(raw: str | None) -> tuple[str, ...]:
    """``type=project,sample`` → ("project", "sample"); empty → every kind."""
    if not raw or not raw.strip():
        return KINDS
    kinds = tuple(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise SearchQueryError(f"unknown type {unknown[0]!r}: use one or more of {', '.join(KINDS)}")
    return kinds or KINDS


def search(conn: Connection, q: str, *, kinds: Sequence[str] = KINDS, page: int = 1, per_page: int = 20,
           project_ids: Iterable[int] | None = None, hidden_project_ids: Iterable[int] | None = None,
           count_limit: int = COUNT_LIMIT) -> tuple[list[Mapping[str, Any]], int, bool]:
    """One page of hits ``{type, accession, title, summary, project_accession}``, the total
    and whether it is exact: above ``count_limit`` hits the total is ``count_limit``, ``False``,
    and pages past it are empty.

    ``hidden_project_ids``: projects the reader may not see (embargo) — their records
    are neither returned nor counted. ``project_ids`` narrows to those projects.
    """
    words = query_words(q)
    if not words:
        raise SearchQueryError("the query has no words to search for (letters or digits)")
    whole = joined_name(q)
    if whole is not None and "run" in kinds:  # a whole file name first: one posting list
        found = _search(conn, [whole], kinds, page, per_page, project_ids, hidden_project_ids, count_limit)
        if found[1]:
            return found
    return _search(conn, words, kinds, page, per_page, project_ids, hidden_project_ids, count_limit)


def _search(conn, words, kinds, page, per_page, project_ids, hidden_project_ids, count_limit):
    postgres = conn.dialect.name == "postgresql"
    match, rank, params = (_postgres if postgres else _sqlite)(words)
    where, expanding = [match], []
    if set(kinds) != set(KINDS):  # every kind: no filter for the planner to walk past
        where.append("d.kind IN :kinds")
        params["kinds"] = list(kinds)
        expanding.append("kinds")
    for name, ids, negate in (("only", project_ids, False), ("hidden", hidden_project_ids, True)):
        if ids is not None:
            ids = list(ids)
            if not ids and not negate:
                return [], 0, True
            if ids:
                where.append(f"d.project_id {'NOT IN' if negate else 'IN'} :{name}")
                params[name] = ids
                expanding.append(name)
    source = "search_doc d" if postgres else "search_fts f JOIN search_doc d ON d.id = f.rowid"
    condition = " AND ".join(where)

    def bound(sql: str):
        return text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding))

    # the hits' ids, up to one past the cap: the count, and for many hits the page's order.
    # One aggregated value, not 10,000 rows: row objects by the thousand set off the
    # cycle collector's full passes over the server's heap (40 ms each, every fifth query)
    agg = "array_agg(h.id)" if postgres else "group_concat(h.id)"
    found = conn.execute(bound(f"SELECT {agg} FROM (SELECT d.id FROM {source} WHERE {condition} LIMIT :most) h"),
                         {**params, "most": count_limit + 1}).scalar_one()
    if not found:
        ids = []
    else:
        ids = found if postgres else [int(i) for i in found.split(",")]
    exact = len(ids) <= count_limit
    total = min(len(ids), count_limit)
    offset = (page - 1) * per_page
    if total == 0 or offset >= total:
        return [], total, exact
    limit = min(per_page, total - offset)  # the last reachable page ends at the cap
    columns = ("SELECT d.kind AS type, d.accession, d.title, d.summary, p.accession AS project_accession "
               "FROM {source} JOIN project p ON p.id = d.project_id WHERE {condition} ")
    if total <= RANK_LIMIT:
        rows = conn.execute(bound(
            columns.format(source=source, condition=condition)
            + f"ORDER BY {rank}, length(d.accession), d.accession LIMIT :limit OFFSET :offset"
        ), {**params, "limit": limit, "offset": offset}).mappings().all()
    else:
        # registration order over the ids found (SQLite: the lowest, as FTS5 yields rowids
        # ascending; PostgreSQL: the first its scan met), the page picked here: a walk of the
        # primary key instead would pass every document that does not match
        page_ids = sorted(ids[:count_limit])[offset:offset + limit]
        rows = conn.execute(
            text(columns.format(source="search_doc d", condition="d.id IN :ids") + "ORDER BY d.id")
            .bindparams(bindparam("ids", expanding=True)), {"ids": page_ids}).mappings().all()
    return [dict(r) for r in rows], total, exact


def _postgres(words: list[str]) -> tuple[str, str, dict]:
    # to_tsquery over words we reduced ourselves: no operator of the user's reaches it
    tsquery = " & ".join(f"'{w}'" for w in words)
    return ("d.tsv @@ to_tsquery('simple', :tsq)",
            "ts_rank(d.tsv, to_tsquery('simple', :tsq)) DESC", {"tsq": tsquery})


def _sqlite(words: list[str]) -> tuple[str, str, dict]:
    fts = " ".join(f'"{w}"' for w in words)  # quoted: FTS5 syntax in a word is only text
    return "search_fts MATCH :fts", "bm25(search_fts, 10.0, 1.0)", {"fts": fts}
