"""Command: staging clean."""

from __future__ import annotations

import click

from .common import echo_json, handle_errors, settings_options, setup_logging


@click.group("staging")
def staging_group() -> None:
    """Files remote labs staged (PUT /api/v1/staging/…) before submitting."""


@staging_group.command("clean")
@click.option("--days", type=click.IntRange(0, 100000), default=None,
              help="Remove staged files unused this many days (default $NFDP_STAGING_DAYS, else 30).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@settings_options
@handle_errors
def staging_clean(days, fmt, settings) -> None:
    """Remove staged files unused for DAYS days; never one a running submission uses."""
    from ..registry.db import open_registry
    from ..staging.area import open_area
    from ..staging.service import clean

    setup_logging()
    days = settings.staging_days if days is None else days
    removed = clean(open_registry(settings.db_url), open_area(settings), days)
    if fmt == "json":
        echo_json({"days": days, "removed": removed})
    else:
        click.echo(f"staging clean: removed {len(removed)} file(s) unused for {days} days "
                   f"({sum(r['size'] or 0 for r in removed)} bytes)")


def register(group: click.Group) -> None:
    group.add_command(staging_group)
