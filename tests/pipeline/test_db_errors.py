"""The one SQLAlchemy-error → one-line message helper every database caller uses."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from nfdp_ingest.errors import InfrastructureError
from nfdp_ingest.registry.db import db_errors, db_reason


def test_a_real_database_error_becomes_one_line_with_exit_3(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(InfrastructureError) as info:
        with db_errors("while reading the moon"), engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    assert info.value.message == "database error while reading the moon: no such table: no_such_table"
    assert info.value.exit_code == 3
    assert isinstance(info.value.__cause__, OperationalError)
    engine.dispose()


def test_db_reason_keeps_the_drivers_first_line_only():
    exc = OperationalError("SELECT 1", {}, Exception("connection refused\n\tIs the server running?"))
    assert db_reason(exc) == "connection refused"
