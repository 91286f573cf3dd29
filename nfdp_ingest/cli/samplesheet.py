"""``nfdp-ingest samplesheet ACC --pipeline P [-o FILE] [--paths s3|https|local]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..export import lookup
from ..export.samplesheets import PIPELINES
from ..export.samplesheets.sheet import prepare
from ..registry.db import open_registry
from ..registry.visibility import EVERYONE
from .common import settings_options


def write_sheet(sheet, output: Path | None) -> None:
    """To stdout, or to FILE through FILE.part renamed at the end (never half a sheet)."""
    if output is None:
        for chunk in sheet.chunks():
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    part = output.with_name(output.name + ".part")
    try:
        with open(part, "w", encoding="utf-8", newline="") as fh:
            for chunk in sheet.chunks():
                fh.write(chunk)
        part.replace(output)
    finally:
        part.unlink(missing_ok=True)


def register(main: click.Group) -> None:
    @main.command("samplesheet")
    @click.argument("accession")
    @click.option("--pipeline", "-p", required=True, type=click.Choice(list(PIPELINES)),
                  help="The nf-core pipeline whose input sheet to write.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Write here (default: stdout). The name should end in .csv.")
    @click.option("--paths", type=click.Choice(["s3", "https", "local"]), default=None,
                  help="File references: s3:// (MinIO mode, its default), https:// /files/ URLs "
                       "(local mode's default) or local absolute paths (local mode).")
    @click.option("--public-url", default=None, metavar="URL",
                  help="Base URL of the API for --paths https (default: $NFDP_PUBLIC_URL, else http://127.0.0.1:8000).")
    @click.option("--numeric-ids", type=click.Choice(["prefix", "refuse"]), default="prefix", show_default=True,
                  help="Ids nf-schema would read as numbers: prefix them (S123) or stop with an error.")
    @settings_options
    def samplesheet_cmd(accession, pipeline, output, paths, public_url, numeric_ids, settings):
        """Write the nf-core sample sheet of a project, sample or experiment.

        Runs the pipeline cannot take (BAM, long reads where unsupported …) are listed on stderr.
        Exit codes: 0 written, 1 the scope cannot be written for this pipeline or no such
        accession, 2 bad option, 3 database unreachable."""
        engine = open_registry(settings.db_url, immediate=False)
        base = public_url or settings.public_url or "http://127.0.0.1:8000"
        try:
            sheet = prepare(engine, accession, pipeline, storage_mode=settings.storage, base_url=base,
                            paths=paths, numeric_ids=numeric_ids, viewer=EVERYONE)  # the operator
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except lookup.UnknownAccession as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        for skipped in sheet.skipped:
            click.echo(skipped.line(), err=True)
        write_sheet(sheet, output)
        if output is not None:
            click.echo(f"{sheet.rows_count} rows written to {output} ({len(sheet.skipped)} runs skipped)", err=True)
