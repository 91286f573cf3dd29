"""Command: submit SHEET."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import NfdpError
from .common import echo_json, handle_errors, settings_options, setup_logging, write_report_file


@click.command("submit")
@click.argument("sheet", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", metavar="NFDP-PRJ-…", default=None,
              help="Project to submit to (else the sheet's project_accession column).")
@click.option("--checklist", metavar="ID", default=None, help="Checklist to validate against (default ERC000011).")
@click.option("--files", "files_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder the sheet's filenames are relative to (default: the sheet's folder).")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Files processed in parallel (default: $NFDP_THREADS, else the number of cores).")
@click.option("--deep", is_flag=True, help="Also check gzip integrity, FASTQ records, read counts and mates.")
@click.option("--dry-run", is_flag=True, help="Do every check, print what would be created, write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the outcome to FILE (.json or .html).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no log lines, only the result.")
@settings_options
@handle_errors
def submit(sheet, project, checklist, files_root, threads, deep, dry_run, fmt, report_path, quiet, settings):
    """Validate SHEET, check its files, and register everything in one transaction.

    Exit 0 when committed (or nothing new), 1 when the sheet or its files are
    refused, 3 when the database or storage failed; nothing is committed then,
    and running the same command again resumes with the same accessions.
    """
    # imported here: pandas and pandera would slow every other command's start
    from ..pipeline.report import failure_dict, render_submission_html, submit_text
    from ..pipeline.submit import submit_sheet

    if not quiet:
        setup_logging()
    try:
        result = submit_sheet(
            sheet, settings, project=project, checklist=checklist, files_root=files_root,
            threads=threads, deep=deep, dry_run=dry_run, show_progress=not quiet,
        )
    except NfdpError as exc:
        outcome = failure_dict(str(sheet), exc)
        if report_path:
            write_report_file(report_path, outcome, render_submission_html(outcome))
        if fmt == "json":
            echo_json(outcome)
            sys.exit(exc.exit_code)
        raise
    outcome = result.to_dict()
    if report_path:
        write_report_file(report_path, outcome, render_submission_html(outcome))
    if fmt == "json":
        echo_json(outcome)
    else:
        click.echo(submit_text(result))


def register(group: click.Group) -> None:
    group.add_command(submit)
