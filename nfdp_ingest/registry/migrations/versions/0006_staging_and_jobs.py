"""Remote submissions: staged files per token, and submissions run as jobs.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch (copy-and-move) on SQLite would drop the expression indexes.
    op.add_column("submission", sa.Column("token_id", sa.Integer(), nullable=True))
    op.add_column("submission", sa.Column("job", sa.JSON(), nullable=True))
    op.add_column("submission", sa.Column("progress", sa.JSON(), nullable=True))
    op.add_column("submission", sa.Column("outcome", sa.JSON(), nullable=True))
    op.create_table(
        "staged_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("file_type", sa.String(16), nullable=True),
        sa.Column("location", sa.String(2000), nullable=False),
        sa.Column("upload_id", sa.String(1000), nullable=True),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "name", name="uq_staged_file_owner_id"),
    )
    op.create_index("ix_staged_file_owner_id", "staged_file", ["owner_id"])
    op.create_index("ix_staged_file_claimed_by", "staged_file", ["claimed_by"])


def downgrade() -> None:
    op.drop_table("staged_file")
    for column in ("outcome", "progress", "job", "token_id"):
        op.execute(f"ALTER TABLE submission DROP COLUMN {column}")  # SQLite >= 3.35 and PostgreSQL
