"""Accessions: NFDP-<TYPE>-NNNNNN, sequential per type, never reused.

Numbers are reserved with one atomic ``UPDATE … RETURNING`` on a counter row,
which PostgreSQL serialises with a row lock and SQLite with its write lock, so
concurrent writers never get the same number. Gaps are allowed, duplicates never.
"""

from __future__ import annotations

import re

from sqlalchemy import func, text
from sqlalchemy.orm import Session

KINDS = ("PRJ", "SAM", "EXP", "RUN", "SUB")
ACCESSION_RE = re.compile(r"^NFDP-(PRJ|SAM|EXP|RUN|SUB)-(\d{6,})$")


def format_accession(kind: str, number: int) -> str:
    return f"NFDP-{kind}-{number:06d}"


def parse_accession(accession: str) -> tuple[str, int] | None:
    match = ACCESSION_RE.match(accession or "")
    return (match.group(1), int(match.group(2))) if match else None


def accession_order(column, descending: bool = False) -> tuple:
    """ORDER BY terms that sort accessions by number: NFDP-RUN-999999 before
    NFDP-RUN-1000000 (shorter first, then as text). Backed by the
    ``ix_*_accession_order`` expression indexes."""
    length = func.length(column)
    return (length.desc(), column.desc()) if descending else (length, column)


def reserve(session: Session, kind: str, count: int = 1) -> list[str]:
    """Reserve ``count`` new accessions of ``kind`` inside the session's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown accession kind {kind!r}")
    if count <= 0:
        return []
    last = session.execute(
        text("UPDATE accession_counter SET last_value = last_value + :n WHERE kind = :k RETURNING last_value"),
        {"n": count, "k": kind},
    ).scalar_one()
    first = last - count + 1
    return [format_accession(kind, n) for n in range(first, last + 1)]
