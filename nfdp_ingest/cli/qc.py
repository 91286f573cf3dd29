"""``nfdp-ingest qc run|import``: FastQC on FASTQ runs, MultiQC general statistics import."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_INVALID, EXIT_OK, UsageError
from .common import echo_json, handle_errors, settings_options

THRESHOLDS_HELP = ("QC thresholds file (TOML or JSON) overriding the shipped defaults key by key "
                   "(default: $NFDP_QC_THRESHOLDS).")


def _fmt_int(value) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _fmt_gc(value) -> str:
    return f"{value:g}%" if isinstance(value, (int, float)) else "?"


@click.group("qc")
def qc() -> None:
    """QC reports: run FastQC on FASTQ runs, import MultiQC statistics."""


@qc.command("run")
@click.argument("run_accessions", nargs=-1, metavar="[RUN_ACC]...")
@click.option("--project", metavar="ACC", default=None,
              help="Only the FASTQ runs of this project that have no FastQC report yet.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Files analysed at once, one FastQC process each (default: $NFDP_THREADS, else cores).")
@click.option("--thresholds", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="NFDP_QC_THRESHOLDS", help=THRESHOLDS_HELP)
@click.option("--fastqc", "fastqc_cmd", metavar="PATH", default=None, envvar="NFDP_FASTQC",
              help="The fastqc executable (default: $NFDP_FASTQC, else `fastqc` on PATH).")
@click.option("--queue", "queue", is_flag=True,
              help="Enqueue one FastQC job per run for the workers (PostgreSQL) instead of running here.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
@settings_options
def run_cmd(run_accessions, project, threads, thresholds, fastqc_cmd, queue, fmt, settings) -> None:
    """Run FastQC on FASTQ runs and store a QC report for each.

    With no RUN_ACC: every FASTQ run without a FastQC report (of --project if
    given). With RUN_ACCs: exactly those runs, checked again even if they already
    have a report (the newest report is the one /runs/{acc}/qc shows first).

    Exit status: 0 every run checked (whatever its QC verdict), 1 FastQC could not
    analyse at least one file or a run is unknown, 2 usage (fastqc not installed,
    bad thresholds file), 3 database or storage failure.
    """
    from ..qc import FastqcMissing, find_fastqc, run_fastqc

    if run_accessions and project:
        raise UsageError("give either --project or run accessions, not both")
    if queue:
        _queue_fastqc(settings, list(run_accessions), project, thresholds, fastqc_cmd, fmt)
        return
    try:
        fastqc_cmd = find_fastqc(fastqc_cmd)
    except FastqcMissing as exc:
        raise UsageError(f"{exc.message}, or point --fastqc / NFDP_FASTQC at it") from None

    def progress(res) -> None:
        if fmt == "text":
            if res.ok:
                s = res.summary
                click.echo(f"{res.run_accession}  {res.status:<6}  {_fmt_int(s.get('total_sequences'))} reads  "
                           f"GC {_fmt_gc(s.get('gc_content'))}  {res.filename}")
            else:
                click.echo(f"{res.run_accession}  error   {res.error}", err=True)

    results = run_fastqc(settings, run_accessions=list(run_accessions), project=project, threads=threads,
                         thresholds=thresholds, fastqc=fastqc_cmd, progress=progress)
    errors = [r for r in results if not r.ok]
    if fmt == "json":
        echo_json([r.as_dict() for r in results])
    elif not results:
        click.echo("FastQC: no FASTQ runs need checking")
    else:
        counts = {s: sum(1 for r in results if r.ok and r.status == s) for s in ("passed", "warn", "failed")}
        stored = sum(1 for r in results if r.stored)
        click.echo(f"FastQC: {len(results)} run(s): {counts['passed']} passed, {counts['warn']} warn, "
                   f"{counts['failed']} failed, {len(errors)} error(s); {stored} report(s) stored")
    if errors:
        raise SystemExit(max(r.error_exit or EXIT_INVALID for r in errors))
    raise SystemExit(EXIT_OK)


def _queue_fastqc(settings, run_accessions, project, thresholds, fastqc_cmd, fmt) -> None:
    from ..jobs.distributed import DistributedRunner, conninfo
    from ..jobs.qc import enqueue_fastqc

    conninfo(settings.db_url)  # exit 2 on SQLite: workers need PostgreSQL
    runner = DistributedRunner(settings)
    try:
        queued = enqueue_fastqc(settings, runner, run_accessions, project,
                                thresholds=str(thresholds) if thresholds else None, fastqc=fastqc_cmd)
    finally:
        runner.close()
    if fmt == "json":
        echo_json([{"run": run, "job": job_id} for run, job_id in queued])
        return
    for run, job_id in queued:
        click.echo(f"{run}  " + (f"job {job_id}" if job_id is not None else "already queued"))
    click.echo(f"FastQC: {sum(1 for _, j in queued if j is not None)} job(s) queued")


@qc.command("import")
@click.argument("multiqc_json", type=click.Path(dir_okay=False, path_type=Path), metavar="MULTIQC_DATA_JSON")
@click.option("--project", metavar="ACC", default=None,
              help="Match sample names only against the runs of this project.")
@click.option("--thresholds", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="NFDP_QC_THRESHOLDS", help=THRESHOLDS_HELP)
@click.option("--strict", is_flag=True, help="Exit 1 when any sample name is left unmatched.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
@settings_options
def import_cmd(multiqc_json, project, thresholds, strict, fmt, settings) -> None:
    """Store MultiQC general statistics as QC reports (tool MultiQC).

    Each sample name is matched to one run: by file name stem, then without a
    _R1/_R2/_1/_2 suffix, then by sample alias — only when exactly one run fits.
    Names that fit no run, or several, are listed and not stored.

    Exit status: 0 at least one name matched (unmatched ones are listed on stderr),
    1 nothing matched (or any unmatched with --strict) or not MultiQC data,
    2 unreadable file or bad thresholds, 3 database failure.
    """
    from ..qc import import_multiqc

    res = import_multiqc(settings, multiqc_json, project=project, thresholds=thresholds)
    if fmt == "json":
        echo_json(res.as_dict())
    else:
        for m in res.matched:
            note = "stored" if m.created else "already stored"
            click.echo(f"{m.name}  →  {m.run_accession}  {m.status:<6}  {_fmt_int(m.summary.get('total_sequences'))} "
                       f"reads  GC {_fmt_gc(m.summary.get('gc_content'))}  (by {m.how}; {note})")
        for u in res.unmatched:
            extra = f" ({', '.join(u.candidates)})" if u.candidates else ""
            click.echo(f"unmatched: {u.name}: {u.reason}{extra}", err=True)
        total = len(res.matched) + len(res.unmatched)
        click.echo(f"MultiQC: {len(res.matched)} of {total} sample name(s) matched, {res.created} report(s) stored, "
                   f"{len(res.unmatched)} unmatched")
    if not res.matched or (strict and res.unmatched):
        if not res.matched and fmt == "text":
            click.echo("error: no sample name matched a run; nothing stored", err=True)
        raise SystemExit(EXIT_INVALID)
    raise SystemExit(EXIT_OK)


def register(group: click.Group) -> None:
    group.add_command(qc)
