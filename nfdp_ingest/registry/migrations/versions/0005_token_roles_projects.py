"""Tokens get a role, an expiry and the projects they may act on; projects index their release date.

Tokens made before this revision keep every power they had: they become ``admin``.

Revision ID: 0005
Revises: 0004 (re-chained after 0004 when the branches meet)
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE TABLE: a batch (copy-and-move) on SQLite would drop the
    # expression indexes. The server default fills the existing rows with 'admin'.
    op.add_column("api_token", sa.Column("role", sa.String(16), nullable=False, server_default="admin"))
    op.add_column("api_token", sa.Column("expires_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # New tokens always name their role (registry/tokens.py); no silent admin default.
        # SQLite cannot drop a column default without a table copy, so there it stays.
        op.alter_column("api_token", "role", server_default=None)
    op.create_table(
        "api_token_project",
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_api_token_project_project_id", "api_token_project", ["project_id"])
    op.create_index("ix_project_release_date", "project", ["release_date"])


def downgrade() -> None:
    op.drop_index("ix_project_release_date", table_name="project")
    op.drop_index("ix_api_token_project_project_id", table_name="api_token_project")
    op.drop_table("api_token_project")
    op.execute("ALTER TABLE api_token DROP COLUMN expires_at")  # SQLite >= 3.35 and PostgreSQL
    op.execute("ALTER TABLE api_token DROP COLUMN role")
