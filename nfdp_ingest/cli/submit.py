"""Command: submit SHEET."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import NfdpError, UsageError
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
@click.option("--queue", "queue", is_flag=True,
              help="Hand the submission to the workers (PostgreSQL); the files folder must be one they see.")
@click.option("--no-wait", is_flag=True, help="With --queue: print the accession and exit at once.")
@settings_options
@handle_errors
def submit(sheet, project, checklist, files_root, threads, deep, dry_run, fmt, report_path, quiet, queue, no_wait,
           settings):
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
    if queue:
        _queued(settings, sheet, project, checklist, files_root, fmt, quiet, no_wait)
        return
    if no_wait:
        raise UsageError("--no-wait goes with --queue")
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


def _queued(settings, sheet, project, checklist, files_root, fmt, quiet, no_wait) -> None:
    from ..jobs.queued import queue_submission, wait_submission

    accession = queue_submission(settings, sheet, project=project, checklist=checklist, files_root=files_root)
    if no_wait:
        click.echo(accession)
        return
    if not quiet:
        click.echo(f"{accession} queued for the workers", err=True)

    def show(p: dict) -> None:
        if not quiet and p.get("files_total") is not None:
            click.echo(f"{accession}: {p.get('files_done', 0)}/{p['files_total']} files, "
                       f"{p.get('bytes_done', 0):,}/{p.get('bytes_total') or 0:,} bytes", err=True)

    row = wait_submission(settings, accession, show)
    outcome = row.outcome or {"submission": accession, "status": row.status, "errors": [{"message": row.error}]}
    if fmt == "json":
        echo_json(outcome)
    elif row.status == "committed":
        counts = row.counts or {}
        click.echo(f"{accession} committed: " + ", ".join(
            f"{(counts.get(k) or {}).get('created', 0)} {k}" for k in ("samples", "experiments", "runs")))
    else:
        click.echo(f"error: {accession} failed: {(row.error or '').splitlines()[0] if row.error else ''}", err=True)
    if row.status != "committed":
        sys.exit(outcome.get("exit_code", 1))


def register(group: click.Group) -> None:
    group.add_command(submit)
