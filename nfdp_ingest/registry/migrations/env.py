"""Alembic environment: runs on the connection handed in by registry.db.upgrade."""

from alembic import context
from sqlalchemy import create_engine

from nfdp_ingest.registry.models import Base

target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` run by hand: use the URL from -x url=…
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///var/nfdp.sqlite3")
        with create_engine(url).begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()


run()
