"""Commands: db upgrade, project create|list."""

from __future__ import annotations

import click

from ..registry import db as registry_db
from ..registry.projects import create_project, list_projects
from .common import echo_json, handle_errors, iso_date, settings_options


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@settings_options
@handle_errors
def upgrade(settings) -> None:
    """Create the schema, or upgrade it to the latest revision."""
    engine = registry_db.engine_for(settings.db_url)
    revision = registry_db.upgrade(engine)
    click.echo(f"database {engine.url.render_as_string(hide_password=True)} is at revision {revision}")
    if engine.dialect.name == "postgresql":  # the workers' queue lives beside the registry
        from ..jobs.distributed import apply_schema

        made = apply_schema(settings)
        click.echo("job queue schema (procrastinate) " + ("created" if made else "present"))


@click.group("project")
def project_group() -> None:
    """Projects (the top of the hierarchy)."""




@project_group.command("create")
@click.option("--title", required=True, help="Project title.")
@click.option("--description", default=None, help="Free-text description.")
@click.option("--project-type", default=None, help="e.g. 'genome sequencing', 'transcriptomics'.")
@click.option("--release-date", callback=iso_date, default=None, metavar="YYYY-MM-DD",
              help="Date the project's data may be made public.")
@click.option("--center-name", default=None,
              help="Institute that produced the data, sent to ENA as center_name (default: $NFDP_ENA_CENTER_NAME).")
@settings_options
@handle_errors
def create(title, description, project_type, release_date, center_name, settings) -> None:
    """Create a project and print its accession."""
    engine = registry_db.open_registry(settings.db_url)
    project = create_project(engine, title, description, project_type, release_date, center_name)
    click.echo(project["accession"])


@project_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@settings_options
@handle_errors
def list_(fmt, settings) -> None:
    """List projects."""
    projects = list_projects(registry_db.open_registry(settings.db_url))
    if fmt == "json":
        echo_json(projects)
        return
    for p in projects:
        click.echo(f"{p['accession']}\t{p['created_at']}\t{p['title']}")
    if not projects:
        click.echo("no projects yet (create one with `nfdp-ingest project create --title ...`)", err=True)


def register(group: click.Group) -> None:
    group.add_command(db_group)
    group.add_command(project_group)
