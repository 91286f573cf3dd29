"""Order lists by accession number: expression indexes on (length(accession), accession).

NFDP-RUN-1000000 must sort after NFDP-RUN-999999; as text it would not. The
API orders by (length(accession), accession); these indexes serve that order,
alone and after the columns the lists filter on.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ORDER = [sa.text("length(accession)"), sa.text("accession")]


def upgrade() -> None:
    for table in ("project", "sample", "experiment", "run"):
        op.create_index(f"ix_{table}_accession_order", table, ORDER)
    op.drop_index("ix_experiment_platform", table_name="experiment")
    op.drop_index("ix_experiment_strategy", table_name="experiment")
    op.drop_index("ix_run_file_type", table_name="run")
    op.create_index("ix_experiment_platform", "experiment", [sa.text("platform"), *ORDER])
    op.create_index("ix_experiment_strategy", "experiment", [sa.text("library_strategy"), *ORDER])
    op.create_index("ix_run_file_type", "run", [sa.text("file_type"), *ORDER])


def downgrade() -> None:
    for name, table in (("ix_experiment_platform", "experiment"), ("ix_experiment_strategy", "experiment"),
                        ("ix_run_file_type", "run")):
        op.drop_index(name, table_name=table)
    for table in ("project", "sample", "experiment", "run"):
        op.drop_index(f"ix_{table}_accession_order", table_name=table)
    op.create_index("ix_experiment_platform", "experiment", ["platform", "accession"])
    op.create_index("ix_experiment_strategy", "experiment", ["library_strategy", "accession"])
    op.create_index("ix_run_file_type", "run", ["file_type", "accession"])
