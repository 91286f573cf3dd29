"""Commands: ena export | validate | submit (brokering to the European Nucleotide Archive)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from ..errors import EXIT_INVALID
from .common import echo_json, handle_errors, iso_date, settings_options, setup_logging


def _counts(label: str, counts: dict[str, int]) -> str:
    if not counts:
        return f"{label}: nothing"
    return f"{label}: " + ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())


@click.group("ena")
def ena_group() -> None:
    """Brokering to ENA: export documents, validate them, submit them to Webin."""


@ena_group.command("export")
@click.argument("accession")
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the documents (emptied first).")
@click.option("--hold-until", callback=iso_date, default=None, metavar="YYYY-MM-DD",
              help="Keep the data private until then (default: the project's release date).")
@click.option("--test", is_flag=True, help="Documents for ENA's test server (everything added anew).")
@settings_options
@handle_errors
def export_cmd(accession, folder, hold_until, test, settings) -> None:
    """Write ACCESSION's ENA documents (a project, or a sample/experiment/run with its parents)."""
    from ..ena.export import export, require_exportable
    from ..ena.state import last_digests
    from ..registry import db as registry_db

    engine = registry_db.open_registry(settings.db_url, immediate=False)
    with engine.connect() as conn:
        result = export(conn, accession, folder, settings.ena, test=test, hold_until=hold_until,
                        last_digests={} if test else last_digests(conn, accession))
    require_exportable(result)
    for notice in result.notices:
        click.echo(f"notice: {notice}", err=True)
    click.echo(_counts(f"{folder}: add", result.added))
    if result.modified:
        click.echo(_counts(f"{folder / 'modify'}: modify", result.modified))
    if result.unchanged:
        click.echo(_counts("already at ENA, unchanged", result.unchanged))
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s): run `nfdp-ingest ena validate {accession}`", err=True)


@ena_group.command("validate")
@click.argument("accession", required=False)
@click.option("--dir", "folder", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Validate the documents already in this folder instead (e.g. an edited export).")
@click.option("--hold-until", callback=iso_date, default=None, metavar="YYYY-MM-DD")
@click.option("--test", is_flag=True, help="As for ENA's test server.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@settings_options
@handle_errors
def validate_cmd(accession, folder, hold_until, test, fmt, settings) -> None:
    """Check ACCESSION's documents against ENA's XSDs and rules; every problem at once, exit 1 if any."""
    from ..ena.state import last_digests
    from ..ena.validate import check_accession, validate_folder
    from ..registry import db as registry_db

    if (accession is None) == (folder is None):
        raise click.UsageError("give an ACCESSION or --dir FOLDER")
    notices: list[str] = []
    if folder is not None:
        problems = validate_folder(folder)
    else:
        engine = registry_db.open_registry(settings.db_url, immediate=False)
        with tempfile.TemporaryDirectory(prefix="nfdp-ena-") as tmp, engine.connect() as conn:
            result, problems = check_accession(conn, accession, settings.ena, Path(tmp) / "ena", test=test,
                                               hold_until=hold_until,
                                               last_digests={} if test else last_digests(conn, accession))
            notices = result.notices
    errors = [p for p in problems if p.severity == "error"]
    if fmt == "json":
        echo_json({"valid": not errors, "problems": [p.as_dict() for p in problems], "notices": notices})
    else:
        for notice in notices:
            click.echo(f"notice: {notice}")
        for problem in problems:
            click.echo(problem.line())
        click.echo(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)" if problems
                   else "valid: ENA's XSDs and rules find nothing to reject")
    if errors:
        sys.exit(EXIT_INVALID)


@ena_group.command("submit")
@click.argument("accession")
@click.option("--test", is_flag=True, help="Send to ENA's test server (its accessions are archived, never shown).")
@click.option("--dry-run", is_flag=True, help="Validate and tell what would be sent; send nothing.")
@click.option("--hold-until", callback=iso_date, default=None, metavar="YYYY-MM-DD",
              help="Keep the data private until then (default: the project's release date).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no log lines, only the result.")
@settings_options
@handle_errors
def submit_cmd(accession, test, dry_run, hold_until, fmt, quiet, settings) -> None:
    """Validate ACCESSION, upload its run files over FTPS, submit it to Webin, write the accessions back.

    Exit 0 when ENA accepted it (or there was nothing to send), 1 when it is invalid or ENA
    rejected it (every ERROR printed, nothing written), 2 for missing or refused credentials,
    3 when Webin, the upload area or the database could not be reached. Running it again is safe.
    """
    from dataclasses import asdict

    from ..ena.submit import submit
    from ..progress import make_progress
    from ..registry import db as registry_db
    from ..storage import open_storage

    if not quiet:
        setup_logging()
    engine = registry_db.open_registry(settings.db_url)
    storage = None if dry_run else open_storage(settings)
    result = submit(engine, accession, settings, storage, test=test, dry_run=dry_run, hold_until=hold_until,
                    progress_factory=lambda total, files: make_progress(total, files, "uploading",
                                                                       enabled=not quiet))
    if fmt == "json":
        echo_json(asdict(result))
        return
    for notice in result.notices:
        click.echo(f"notice: {notice}")
    where = f"{result.server}{' (TEST server: accessions archived only)' if test else ''}"
    if dry_run:
        click.echo(f"dry run for {where}, nothing sent")
        for action, counts in result.would.items():
            click.echo("  " + _counts(action, counts))
        return
    if result.applied_earlier:
        click.echo(f"applied {result.applied_earlier} receipt(s) an interrupted run had archived")
    click.echo(f"upload area: {result.uploaded} file(s) uploaded, {result.skipped_uploads} already there")
    if not result.sent:
        click.echo("nothing to send: ENA has everything, unchanged")
    for exchange in result.sent:
        click.echo(f"{exchange['action']} to {where}: {'accepted' if exchange['success'] else 'refused'}")
        for line in exchange["infos"]:
            click.echo(f"  INFO: {line}")
        for line in exchange["errors"]:
            click.echo(f"  ERROR: {line}")
    for kind, entries in result.accessions.items():
        for alias, acc in entries.items():
            click.echo(f"  {kind} {alias} → {acc}")


def register(main: click.Group) -> None:
    main.add_command(ena_group)
