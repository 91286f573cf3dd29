"""Commands: remote submit | status | validate (a lab submitting to an NFDP server over HTTP)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import NfdpError
from .common import echo_json, handle_errors, setup_logging

SERVER = click.option("--server", envvar="NFDP_SERVER", required=True, metavar="URL",
                      help="The NFDP server, e.g. https://nfdp.example.org (default: $NFDP_SERVER).")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


def _client(server: str):
    from ..remote.client import Client

    return Client(server, os.environ.get("NFDP_TOKEN"))


def _report_text(body: dict) -> str:
    report = body.get("report") or {}
    head = f"{report.get('sheet') or body.get('sheet')}: {body['status']} (submission {body['accession']})"
    if report.get("duplicate_of"):
        head += f"; nothing new: every entity was registered by {report['duplicate_of']}"
    lines = [head + f", project {body.get('project')}"]
    for kind, label in (("samples", "sample"), ("experiments", "experiment"), ("runs", "run")):
        for item in report.get(kind) or []:
            what = item.get("alias") or item.get("filename") or item.get("sample_alias") or ""
            lines.append(f"  {item.get('accession') or '?':<18}{label:<12}{what}")
    return "\n".join(lines)


@click.group("remote")
def remote_group() -> None:
    """Submit to an NFDP server over HTTP (the token comes from $NFDP_TOKEN)."""


@remote_group.command("submit")
@click.argument("sheet", type=click.Path(dir_okay=False, path_type=Path))
@SERVER
@click.option("--project", required=True, metavar="NFDP-PRJ-…", help="Project to submit to.")
@click.option("--checklist", metavar="ID", default=None, help="Checklist (default: the sheet's, else ERC000011).")
@click.option("--files", "files_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder the sheet's filenames are relative to (default: the sheet's folder).")
@click.option("--multipart-mib", type=click.IntRange(5, 5 * 1024 * 1024), default=256, show_default=True,
              help="Files this big or bigger go straight to storage in parts (MinIO servers), resumable.")
@FORMAT
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no log lines, only the result.")
@handle_errors
def remote_submit(sheet, server, project, checklist, files_root, multipart_mib, fmt, quiet):
    """Validate SHEET here, upload the files the server lacks, submit, and follow the job.

    Exit 0 when committed, 1 when the sheet or its files are refused, 2 for a refused token
    or bad option, 3 when the server cannot be reached or fails; running it again uploads
    nothing twice and resumes.
    """
    from ..pipeline.report import failure_dict
    from ..remote.submit import remote_submit as run

    if not quiet:
        setup_logging()
    client = _client(server)
    try:
        outcome = run(client, sheet, project, checklist=checklist, files_root=files_root, show_progress=not quiet,
                      multipart_min=multipart_mib * 1024 * 1024)
    except NfdpError as exc:
        if fmt == "json":
            echo_json(failure_dict(str(sheet), exc))
            sys.exit(exc.exit_code)
        raise
    finally:
        client.close()
    if fmt == "json":
        echo_json({**outcome.body, "uploaded": outcome.uploaded, "skipped": outcome.skipped})
    else:
        click.echo(_report_text(outcome.body))
        click.echo(f"  files uploaded: {len(outcome.uploaded)}, already on the server: {len(outcome.skipped)}")


@remote_group.command("status")
@click.argument("accession")
@SERVER
@FORMAT
@handle_errors
def remote_status(accession, server, fmt):
    """Show a submission's status (exit 1 when it failed)."""
    client = _client(server)
    try:
        body = client.status(accession)
    finally:
        client.close()
    if fmt == "json":
        echo_json(body)
    elif body["status"] == "committed":
        click.echo(_report_text(body))
    else:
        p = body.get("progress") or {}
        click.echo(f"{accession}: {body['status']}, {p.get('files_done', 0)} of {p.get('files_total') or '?'} "
                   f"files, {p.get('bytes_done', 0)} of {p.get('bytes_total') or '?'} bytes")
        for e in body.get("errors") or []:
            where = f"line {e['row']}, column {e['column']}: " if e.get("row") else ""
            click.echo(f"  {where}{e['message']}")
    if body["status"] == "failed":
        sys.exit(body.get("exit_code") or 1)


@remote_group.command("validate")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@SERVER
@click.option("--checklist", metavar="ID", default=None)
@FORMAT
@handle_errors
def remote_validate(sheet, server, checklist, fmt):
    """Validate SHEET on the server (exit 1 when invalid)."""
    client = _client(server)
    try:
        report = client.validate(sheet, checklist)
    finally:
        client.close()
    if fmt == "json":
        echo_json(report)
    else:
        click.echo(f"{sheet}: {'valid' if report['valid'] else 'INVALID'} ({report['error_count']} errors, "
                   f"{report['warning_count']} warnings, checklist {report.get('checklist')})")
        for e in report.get("all_errors") or []:
            where = f"line {e.get('row')}, column {e.get('column')}: " if e.get("row") else ""
            click.echo(f"  error: {where}{e.get('message')}")
    if not report["valid"]:
        sys.exit(1)


def register(group: click.Group) -> None:
    group.add_command(remote_group)
