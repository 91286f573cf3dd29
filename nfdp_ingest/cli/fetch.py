"""``nfdp-ingest fetch ACC --server URL -o DIR [--threads N] [--pipeline P]``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..export.samplesheets import PIPELINES
from ..fetch import fetch_scope
from .common import handle_errors


def register(main: click.Group) -> None:
    @main.command("fetch")
    @click.argument("accession")
    @click.option("--server", required=True, metavar="URL", help="The NFDP API, e.g. https://nfdp.example.org")
    @click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Folder for the files (DIR/RUN/FILENAME) and the sheet.")
    @click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
                  help="Files downloaded at once.")
    @click.option("--pipeline", type=click.Choice(list(PIPELINES)), default=None,
                  help="Also write DIR/samplesheet_P.csv with the local paths (when every file is verified).")
    @click.option("--retries", type=click.IntRange(1, 50), default=6, show_default=True,
                  help="Attempts per file (a cut connection resumes where it stopped).")
    @click.option("--progress/--no-progress", default=None,
                  help="Live bar (default: on a terminal) or plain log lines.")
    @handle_errors
    def fetch_cmd(accession, server, out_dir, threads, pipeline, retries, progress):
        """Download and verify every file of a project, sample, experiment or run.

        Files go to DIR/RUN/FILENAME.part and are renamed only when MD5 and SHA-256 match; a
        re-run skips verified files and resumes partial ones. A bearer token for embargoed data
        is read from $NFDP_TOKEN. Exit codes: 0 all verified, 1 a mismatch or a missing file
        (never left under its final name), 2 bad option, 3 server unreachable."""
        report = fetch_scope(server, accession, out_dir, threads=threads, pipeline=pipeline,
                             token=os.environ.get("NFDP_TOKEN") or None, attempts=retries, tty=progress)
        for o in report.outcomes:
            if o.status in ("mismatch", "missing", "unreachable"):
                click.echo(f"error: {o.job.run} {o.job.filename}: {o.message}", err=True)
        if report.sheet_problem:
            click.echo(f"error: {report.sheet_problem}", err=True)
        if report.skipped_runs:
            click.echo(f"the sheet leaves out: {report.skipped_runs}", err=True)
        if report.sheet:
            click.echo(f"sheet: {report.sheet}", err=True)
        click.echo(f"fetch {accession}: {report.summary()}", err=True)
        sys.exit(report.exit_code)
