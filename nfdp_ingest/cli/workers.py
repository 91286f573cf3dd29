"""Commands: worker, jobs list|retry|cancel (jobs on PostgreSQL, procrastinate)."""

from __future__ import annotations

import click

from .common import echo_json, settings_options, setup_logging


def _queues(_ctx, _param, value: str | None) -> list[str] | None:
    from ..jobs.distributed import QUEUES

    if not value:
        return None
    names = [q.strip() for q in value.split(",") if q.strip()]
    unknown = sorted(set(names) - set(QUEUES))
    if unknown:
        raise click.BadParameter(f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    return names


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Jobs this worker runs at once.")
@click.option("--queues", callback=_queues, default=None, metavar="Q1,Q2",
              help="Queues to take jobs from (default: all of submissions,files,qc,nightly).")
@click.option("-v", "--verbose", is_flag=True, help="Log every job (DEBUG).")
@settings_options
def worker(concurrency, queues, verbose, settings) -> None:
    """Run jobs from PostgreSQL until SIGTERM (the current jobs finish first)."""
    from ..jobs.distributed import conninfo, run_worker
    from ..registry.db import check_schema, open_registry

    setup_logging(verbose)
    conninfo(settings.db_url)  # exit 2 on SQLite, before touching it
    check_schema(open_registry(settings.db_url))
    run_worker(settings, concurrency=concurrency, queues=queues)


@click.group("jobs")
def jobs_group() -> None:
    """The workers' job queue (PostgreSQL)."""


@jobs_group.command("list")
@click.option("--status", type=click.Choice(["todo", "doing", "succeeded", "failed", "cancelled", "aborted"]),
              default=None)
@click.option("--queue", default=None, callback=lambda c, p, v: (_queues(c, p, v) or [None])[0])
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@settings_options
def list_cmd(status, queue, limit, fmt, settings) -> None:
    """Jobs, newest first."""
    from ..jobs.ops import list_jobs

    rows = list_jobs(settings, status=status, queue=queue, limit=limit)
    if fmt == "json":
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['status']}\t{r['queue']}\t{r['job']}\t{r['attempts']}\t{r['args'].get('accession', '')}")


@jobs_group.command("retry")
@click.argument("job_id", type=int)
@settings_options
def retry_cmd(job_id, settings) -> None:
    """Put a failed or cancelled job back in its queue."""
    from ..jobs.ops import retry

    echo_json(retry(settings, job_id))


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
@settings_options
def cancel_cmd(job_id, settings) -> None:
    """Cancel a waiting job (a running one is asked to abort)."""
    from ..jobs.ops import cancel

    echo_json(cancel(settings, job_id))


def register(group: click.Group) -> None:
    group.add_command(worker)
    group.add_command(jobs_group)
