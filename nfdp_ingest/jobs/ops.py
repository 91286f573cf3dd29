"""Operations on the workers' queue: list, retry, cancel, counts per state (CLI, /health)."""

from __future__ import annotations

from sqlalchemy import text

from ..errors import InvalidInput
from .distributed import TASK, make_app

STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")


def _row(job) -> dict:
    args = job.task_kwargs or {}
    return {"id": job.id, "queue": job.queue, "status": job.status, "job": args.get("name", job.task_name),
            "args": args.get("args", {}), "attempts": job.attempts,
            "scheduled_at": job.scheduled_at.isoformat(timespec="seconds") if job.scheduled_at else None}


def list_jobs(settings, *, status: str | None = None, queue: str | None = None, limit: int = 100) -> list[dict]:
    app = make_app(settings, sync=True)
    with app.open():
        jobs = app.job_manager.list_jobs(task=TASK, status=status, queue=queue)
    return [_row(j) for j in sorted(jobs, key=lambda j: j.id or 0, reverse=True)[:limit]]


def _one(app, job_id: int):
    found = app.job_manager.list_jobs(id=job_id)
    if not found:
        raise InvalidInput(f"no job {job_id}")
    return found[0]


def retry(settings, job_id: int) -> dict:
    """Put a failed (or cancelled) job back in its queue, attempts counted afresh."""
    from ..registry.db import open_registry, transaction

    app = make_app(settings, sync=True)
    with app.open():
        job = _one(app, job_id)
        if job.status not in ("failed", "cancelled", "aborted"):
            raise InvalidInput(f"job {job_id} is {job.status}; only failed, cancelled or aborted jobs are retried")
    with transaction(open_registry(settings.db_url)) as session:
        session.execute(text("UPDATE procrastinate_jobs SET status = 'todo', attempts = 0, scheduled_at = NULL "
                             "WHERE id = :id"), {"id": job_id})
    return {**_row(job), "status": "todo", "attempts": 0}


def cancel(settings, job_id: int) -> dict:
    """Cancel a waiting job; a running one is asked to abort."""
    app = make_app(settings, sync=True)
    with app.open():
        job = _one(app, job_id)
        if job.status not in ("todo", "doing"):
            raise InvalidInput(f"job {job_id} is {job.status}; only waiting or running jobs are cancelled")
        app.job_manager.cancel_job_by_id(job_id, abort=job.status == "doing")
        job = _one(app, job_id)
    return _row(job)


def counts(engine) -> dict[str, int] | None:
    """Jobs per state over every queue, or None where there is no queue (SQLite, no schema)."""
    queue = queue_counts(engine)
    if queue is None:
        return None
    totals = dict.fromkeys(STATES, 0)
    for _queue, state, n in queue["jobs"]:
        totals[state] += n
    return totals


def queue_counts(engine) -> dict | None:
    """``{"jobs": [(queue, state, n)…], "workers": n}``: every queue and state, zeros
    included, and the registered workers; None where there is no queue."""
    if engine.dialect.name != "postgresql":
        return None
    from .distributed import QUEUES

    with engine.connect() as conn:
        if not conn.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar():
            return None
        rows = {(q, s): int(n) for q, s, n in conn.execute(text(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY queue_name, status"))}
        workers = int(conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar())
    queues = sorted(set(QUEUES) | {q for q, _ in rows})
    return {"jobs": [(q, s, rows.get((q, s), 0)) for q in queues for s in STATES], "workers": workers}
