"""Migration 0004 on a database with rows: new columns empty, the expression indexes kept
(a SQLite batch copy would have dropped them), and back down to 0003."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from nfdp_ingest.registry import db


def _indexes(engine) -> set[str]:
    """Every index, expression indexes included (SQLAlchemy's inspector skips those on SQLite)."""
    query = ("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
             if engine.dialect.name == "sqlite" else
             "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'ix_%'")
    with engine.connect() as conn:
        return set(conn.execute(sa.text(query)).scalars())


def test_0004_up_and_down_keeps_rows_and_indexes(database_url):
    engine = db.make_engine(database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    before = _indexes(engine)
    assert {"ix_project_accession_order", "ix_sample_accession_order", "ix_run_accession_order"} <= before
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert "archive_submission" not in sa.inspect(engine).get_table_names()
    assert "ena_accession" not in {c["name"] for c in sa.inspect(engine).get_columns("sample")}
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO project (accession, title, created_at) VALUES ('P', 't', '2024-01-01')"))
    db.upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT accession, ena_accession, ena_secondary_accession, center_name "
                                   "FROM project")).one()
    assert tuple(row) == ("P", None, None, None)
    columns = {t: {c["name"] for c in sa.inspect(engine).get_columns(t)} for t in ("sample", "experiment")}
    assert {"ena_accession", "biosample_accession"} <= columns["sample"] and "ena_accession" in columns["experiment"]
    assert "archive_submission" in sa.inspect(engine).get_table_names()
    assert _indexes(engine) == before
    engine.dispose()
