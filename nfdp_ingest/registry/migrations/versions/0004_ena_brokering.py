"""ENA brokering: the accessions ENA gives back, and every exchange with Webin.

project: ena_accession (PRJEB…), ena_secondary_accession (ERP…), center_name (override);
sample: ena_accession (ERS…), biosample_accession (SAMEA…); experiment: ena_accession (ERX…);
runs had ena_accession (ERR…) already. archive_submission keeps what was sent and the receipt.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("project", "ena_accession", 32), ("project", "ena_secondary_accession", 32),
    ("project", "center_name", 500),
    ("sample", "ena_accession", 32), ("sample", "biosample_accession", 32),
    ("experiment", "ena_accession", 32),
)


def upgrade() -> None:
    # Plain ADD COLUMN: a batch (copy-and-move) on SQLite would drop the expression indexes.
    for table, column, length in _COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(length), nullable=True))
    op.create_table(
        "archive_submission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("project.id"), nullable=False, index=True),
        sa.Column("server", sa.String(500), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("receipt_xml", sa.Text(), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("accessions", sa.JSON(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("archive_submission")
    for table, column, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # SQLite >= 3.35 and PostgreSQL
