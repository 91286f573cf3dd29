"""Accessions: format, reservation, and lists ordered by number past 999,999."""

from __future__ import annotations

from sqlalchemy import text

from nfdp_ingest.api import create_app
from nfdp_ingest.registry import db
from nfdp_ingest.registry.accessions import format_accession, parse_accession, reserve
from nfdp_ingest.registry.projects import create_project, list_projects


def test_format_and_parse():
    assert format_accession("RUN", 1) == "NFDP-RUN-000001"
    assert format_accession("RUN", 1_000_000) == "NFDP-RUN-1000000"
    assert parse_accession("NFDP-SAM-000042") == ("SAM", 42)
    assert parse_accession("NFDP-SAM-42") is None and parse_accession("NFDP-XYZ-000001") is None


def test_reserve_is_sequential_and_never_reuses(engine):
    with db.transaction(engine) as s:
        first = reserve(s, "EXP", 3)
    try:
        with db.transaction(engine) as s:
            reserve(s, "EXP", 2)
            raise RuntimeError("roll back")  # numbers never handed out may be handed out later
    except RuntimeError:
        pass
    with db.transaction(engine) as s:
        after = reserve(s, "EXP", 1)
    assert first == ["NFDP-EXP-000001", "NFDP-EXP-000002", "NFDP-EXP-000003"]
    assert after[0] not in first and parse_accession(after[0])[1] > 3


def test_lists_order_by_number_past_six_digits(engine, settings):
    with engine.begin() as conn:
        conn.execute(text("UPDATE accession_counter SET last_value = 999998 WHERE kind = 'PRJ'"))
    made = [create_project(engine, f"P{i}")["accession"] for i in range(3)]
    assert made == ["NFDP-PRJ-999999", "NFDP-PRJ-1000000", "NFDP-PRJ-1000001"]
    assert [p["accession"] for p in list_projects(engine)] == made
    client = create_app(settings).test_client()
    page = client.get("/api/v1/projects/?per_page=2&page=1")
    assert [p["accession"] for p in page.get_json()] == made[:2]
    last = client.get("/api/v1/projects/?per_page=2&page=2")
    assert [p["accession"] for p in last.get_json()] == made[2:]
