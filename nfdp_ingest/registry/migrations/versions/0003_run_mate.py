"""Each paired FASTQ run records its mate (the other file of its sheet row).

Runs registered before this revision are paired from their names and their
submission history (registry.mates); new submissions take it from the sheet.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from nfdp_ingest.registry.mates import RegisteredRun, pair_registered

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch (copy-and-move) on SQLite would drop the expression indexes.
    op.add_column("run", sa.Column("mate_accession", sa.String(32), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT accession, experiment_id, submission_id, read_direction, filename FROM run "
        "WHERE read_direction IN ('forward', 'reverse')"
    ))
    found = pair_registered(RegisteredRun(*row) for row in rows)
    if found:
        update = sa.text("UPDATE run SET mate_accession = :mate WHERE accession = :acc")
        conn.execute(update, [p for f, r in found for p in ({"acc": f, "mate": r}, {"acc": r, "mate": f})])


def downgrade() -> None:
    op.execute("ALTER TABLE run DROP COLUMN mate_accession")  # SQLite >= 3.35 and PostgreSQL
