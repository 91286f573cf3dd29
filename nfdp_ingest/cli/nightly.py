"""Command: nightly --inbox DIR (unattended ingest of an inbox, for cron / systemd timers)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ..errors import UsageError
from .common import echo_json, handle_errors, settings_options, setup_logging

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_duration(text: str) -> float:
    """'0', '45', '30s', '10m', '1h', '1h30m', '2d' → seconds (a bare number is seconds)."""
    value = (text or "").strip().lower().replace(" ", "")
    if not value:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    while pos < len(value):
        m = _DURATION.match(value, pos)
        if not m or m.end() == pos:
            raise ValueError(f"{text!r} is not a duration such as 0, 30s, 10m, 1h or 1h30m")
        total += float(m.group(1)) * _UNITS[m.group(2) or "s"]
        pos = m.end()
    return total


class Duration(click.ParamType):
    name = "DURATION"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("nightly")
@click.option("--inbox", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The inbox: DIR/<PROJECT_ACCESSION>/<sheet>.tsv|csv|xlsx, or sheets with a "
                   "project_accession column directly in DIR.")
@click.option("--settle", "settle", type=Duration(), default="10m", show_default=True,
              help="Leave a sheet (or a data file it names) modified more recently than this for the next run "
                   "(0, 30s, 10m, 1h, 1h30m).")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Files processed in parallel per sheet (default: $NFDP_THREADS, else the number of cores).")
@click.option("--files", "files_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder every sheet's filenames are relative to (default: the sheet's own folder).")
@click.option("--remove-source", is_flag=True,
              help="After a sheet's commit, delete the data files of the runs it created (minio storage only; "
                   "never for failed sheets).")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the run's summary as a self-contained HTML page to FILE.html.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Summary on stdout as text or JSON.")
@settings_options
@handle_errors
def nightly(inbox, settle, threads, files_root, remove_source, summary_path, fmt, settings):
    """Ingest every settled sheet of an inbox, one run at a time.

    Each sheet is submitted (all or nothing, resumable), then moved with its
    JSON and HTML report to DIR/done/<date>/ or DIR/failed/<date>/. Sheets
    still being written wait for the next run. Data files are never deleted
    unless --remove-source is given.

    Exit 0 when everything was ingested (or there was nothing to do), 1 when at
    least one sheet failed, 3 on an infrastructure failure (database or storage
    down; those sheets stay in the inbox), 75 when another nightly run holds the lock.
    """
    setup_logging()
    from ..jobs.distributed import is_postgres

    if settings.jobs == "workers" and is_postgres(settings.db_url):
        _enqueue(settings, inbox, settle, files_root, fmt)
        return
    show_progress = _isatty(sys.stdout) and _isatty(sys.stderr)
    from ..nightly import render_summary_html, run_nightly  # heavy: pandas, pandera

    if remove_source and settings.storage != "minio":
        raise UsageError("--remove-source needs minio storage: in local mode the registered run points at "
                         "the source file itself, so it must stay")

    summary = run_nightly(settings, inbox, settle_seconds=settle, threads=threads, files_root=files_root,
                          remove_source=remove_source, show_progress=show_progress)
    if summary_path:
        summary_path.parent.mkdir(parents=True, exist_ok=True)
        summary_path.write_text(render_summary_html(summary), encoding="utf-8")
    if fmt == "json":
        echo_json(summary.to_dict())
    else:
        click.echo(summary.to_text())
    sys.exit(summary.exit_code)


def _enqueue(settings, inbox, settle, files_root, fmt) -> None:
    """NFDP_JOBS=workers: one job per settled sheet for the workers (any host may scan)."""
    from ..jobs.distributed import DistributedRunner
    from ..jobs.nightly import scan_and_enqueue

    runner = DistributedRunner(settings)
    try:
        rows = scan_and_enqueue(settings, runner, inbox, settle_seconds=settle, files_root=files_root)
    finally:
        runner.close()
    if fmt == "json":
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['sheet']}\t{r['status']}" + (f"\tjob {r['job']}" if r["job"] is not None else ""))
    click.echo(f"nightly: {sum(1 for r in rows if r['status'] == 'queued')} sheet(s) queued for the workers")


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def register(group: click.Group) -> None:
    group.add_command(nightly)
