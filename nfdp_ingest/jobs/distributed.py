"""Jobs on distributed workers: procrastinate on the registry's PostgreSQL (``NFDP_JOBS=workers``).

One procrastinate task (``nfdp.run_job``) carries every job: its arguments are our job's
name and JSON arguments, and it calls ``registry.run_job`` — so a job runs the same code
embedded or on a worker. Queues: ``submissions`` (plan, commit), ``files`` (a submission's
batches), ``qc`` (FastQC per run), ``nightly`` (one sheet). Retries: ``NFDP_JOB_ATTEMPTS``;
a worker that stops sending heartbeats is dead and its running jobs are put back in the
queue by any live worker (``retry_stalled``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from ..errors import InfrastructureError, UsageError
from ..registry.db import normalise_url
from .registry import check_args, job, lookup, run_job

log = logging.getLogger("nfdp_ingest.jobs")

TASK = "nfdp.run_job"
QUEUES = ("submissions", "files", "qc", "nightly")
# the queue of each job; a job not listed goes to "submissions"
JOB_QUEUES = {"submission": "submissions", "submission-plan": "submissions", "submission-batch": "files",
              "qc-run": "qc", "nightly-sheet": "nightly", "nightly-scan": "nightly"}
STALLED_FACTOR = 3  # heartbeats missed before a worker counts as dead


@job("ping")
def ping(settings, seconds: float = 0.0) -> str:
    """An empty job: what a job costs from enqueue to start (bench_workers.py); ``seconds``
    (at most 60): a job that takes that long, to see what happens to running jobs."""
    if seconds:
        import time

        time.sleep(min(60.0, max(0.0, float(seconds))))
    return "pong"


class WorkersNeedPostgres(UsageError):
    def __init__(self, url: str):
        super().__init__("workers need PostgreSQL: the registry is "
                         f"{make_url(url).get_backend_name()} (set NFDP_DATABASE_URL=postgresql://…); "
                         "with SQLite, jobs run inside `nfdp-ingest serve` (NFDP_JOBS=embedded)")


def is_postgres(db_url: str) -> bool:
    return make_url(normalise_url(db_url)).get_backend_name() == "postgresql"


def conninfo(db_url: str) -> str:
    """The registry URL as libpq connection info (procrastinate speaks psycopg directly)."""
    url = make_url(normalise_url(db_url))
    if url.get_backend_name() != "postgresql":
        raise WorkersNeedPostgres(db_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def queue_of(name: str) -> str:
    return JOB_QUEUES.get(name, "submissions")


def make_app(settings, *, sync: bool = False):
    """The procrastinate app with our one task. ``sync``: for deferring from sync code
    (the API, the CLI); workers use the async connector."""
    import procrastinate

    if sync:
        connector = procrastinate.SyncPsycopgConnector(conninfo=conninfo(settings.db_url))
    else:  # a worker: with PostgreSQL away, a call fails after seconds (and is waited out, see
        # reconnect.py) instead of holding the worker — a SIGTERM then — for the pool's 30 s
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.db_url), timeout=5.0,
                                                   kwargs={"connect_timeout": 5})
    app = procrastinate.App(connector=connector)
    if not sync:  # a worker: a job's outcome is recorded even across a PostgreSQL restart
        from .reconnect import patient_job_manager

        app.job_manager = patient_job_manager(connector)
    retry = procrastinate.RetryStrategy(max_attempts=max(0, settings.job_attempts - 1), wait=1)

    @app.task(name=TASK, pass_context=True, retry=retry, queue="submissions")
    def run(context, name: str, args: dict):
        return dispatch(settings, name, args, attempt=context.job.attempts + 1, job_id=context.job.id)

    return app


def dispatch(settings, name: str, args: dict, *, attempt: int, job_id: int | None = None):
    """Run one job; on its last allowed attempt, a failure is recorded on what it worked for."""
    log.info("job %s %s started (queue job %s, attempt %d of %d)", name, brief(args), job_id, attempt,
             settings.job_attempts)
    try:
        return run_job(settings, name, args)
    except Exception as exc:
        if attempt >= settings.job_attempts:
            log.error("job %s %s failed for good: %s", name, brief(args), exc)
            failed_for_good(settings, name, args, exc)
        else:
            log.warning("job %s %s failed (attempt %d): %s; it will be retried", name, brief(args), attempt, exc)
        raise


def brief(args: dict) -> str:
    """Arguments for a log line: lists as their length (a batch lists its files)."""
    return ", ".join(f"{k}={len(v)} items" if isinstance(v, list) else f"{k}={v}" for k, v in args.items())


def failed_for_good(settings, name: str, args: dict, exc: BaseException) -> None:
    accession = args.get("accession")
    if not accession or not str(accession).startswith("NFDP-SUB"):
        return
    from sqlalchemy import select

    from ..registry.db import open_registry, transaction
    from ..registry.models import Submission, utcnow
    from .submission import PENDING, _record

    message = f"job {name} failed after {settings.job_attempts} attempt(s): {type(exc).__name__}: {exc}"
    try:
        engine = open_registry(settings.db_url)
        with transaction(engine) as session:
            status = session.scalar(select(Submission.status).where(Submission.accession == accession))
        if status in PENDING:
            _record(engine, accession, status="failed", error=message[:20000], finished_at=utcnow(),
                    outcome={"submission": accession, "status": "failed", "exit_code": 3,
                             "errors": [{"row": None, "column": None, "value": None, "message": message}]})
    except Exception as record_exc:  # noqa: BLE001 - the job's own failure is what matters
        log.warning("could not record the failure of %s: %s", accession, record_exc)


def defer_in(session, name: str, args: dict, *, queueing_lock: str | None = None,
             lock: str | None = None) -> bool:
    """Enqueue a job inside the caller's SQLAlchemy transaction, so it exists exactly when the
    caller's writes do (procrastinate's own defer function, called on our connection).
    False when ``queueing_lock`` is held by a job already waiting."""
    lookup(name)
    payload = json.dumps({"name": name, "args": check_args(name, args)})
    statement = text(
        "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :qlock, CAST(:args AS jsonb), "
        "NULL)::procrastinate_job_to_defer_v1])")
    try:
        with session.begin_nested():
            session.execute(statement, {"queue": queue_of(name), "task": TASK, "lock": lock, "qlock": queueing_lock,
                                        "args": payload})
    except IntegrityError:
        if queueing_lock is None:
            raise
        return False
    return True


class DistributedRunner:
    """``enqueue(name, **args)`` on procrastinate: the job waits in PostgreSQL for a worker."""

    def __init__(self, settings):
        self.settings = settings
        self.app = make_app(settings, sync=True)
        self.app.open()

    def enqueue(self, name: str, *, _queueing_lock: str | None = None, _lock: str | None = None, **args):
        """The job's procrastinate id, or None when ``_queueing_lock`` is already waiting."""
        import procrastinate.exceptions

        lookup(name)
        args = check_args(name, args)
        task = self.app.configure_task(TASK, queue=queue_of(name), queueing_lock=_queueing_lock, lock=_lock)
        try:
            return task.defer(name=name, args=args)
        except procrastinate.exceptions.AlreadyEnqueued:
            return None
        except procrastinate.exceptions.ConnectorException as exc:  # 503 / exit 3, not a traceback
            from .reconnect import first_line

            raise InfrastructureError(f"the job queue (PostgreSQL) failed to answer: {first_line(exc)}") from exc

    def close(self) -> None:
        self.app.close()


def apply_schema(settings) -> bool:
    """Create procrastinate's tables unless they exist (``db upgrade``); True if created."""
    import psycopg

    info = conninfo(settings.db_url)
    with psycopg.connect(info, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()[0]
        if exists:
            return False
        conn.execute("SELECT pg_advisory_lock(74031513)")  # two `db upgrade` at once
        try:
            if conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()[0]:
                return False
            app = make_app(settings, sync=True)
            with app.open():
                app.schema_manager.apply_schema()
        finally:
            conn.execute("SELECT pg_advisory_unlock(74031513)")
    return True


async def retry_stalled(app, heartbeat: float) -> None:
    """Put back in the queue the running jobs of workers not heard of for STALLED_FACTOR
    heartbeats (a SIGKILLed or cut-off worker). Every worker does this; retrying is atomic."""
    while True:
        await asyncio.sleep(heartbeat)
        try:
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=heartbeat * STALLED_FACTOR):
                try:
                    await app.job_manager.retry_job(job)
                    log.warning("job %s (%s) of a dead worker put back in the queue", job.id,
                                (job.task_kwargs or {}).get("name"))
                except Exception as exc:  # noqa: BLE001 - another worker retried it first
                    log.debug("job %s not retried: %s", job.id, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the database may be restarting: try again later
            log.warning("could not look for stalled jobs: %s", exc)


def run_worker(settings, *, concurrency: int = 1, queues: Iterable[str] | None = None) -> None:
    """Run jobs until SIGTERM/SIGINT (the current jobs finish first). When PostgreSQL goes
    away (restarted, failed over), procrastinate's worker stops — its heartbeat or listener
    fails, or fetching a job does: this waits for the database and starts it again."""
    conninfo(settings.db_url)  # WorkersNeedPostgres before anything starts
    app = make_app(settings)
    heartbeat = max(0.2, settings.worker_heartbeat)
    if settings.nightly_schedule:
        from .scheduled import add_nightly_schedule

        add_nightly_schedule(app, settings)
    from .reconnect import first_line, wait_for_database

    lookup("ping")  # import every job module now, not during the first job
    names = list(queues) if queues else list(QUEUES)

    # Jobs start on LISTEN/NOTIFY; polling (NFDP_WORKER_POLL) is the safety net for a
    # notification procrastinate drops (one that arrives while a fetch is in flight).
    async def one_run(stop: asyncio.Event) -> None:
        async with app.open_async():
            side = asyncio.create_task(retry_stalled(app, heartbeat))
            work = asyncio.create_task(app.run_worker_async(
                queues=names, concurrency=max(1, concurrency), update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=heartbeat * STALLED_FACTOR, listen_notify=True,
                fetch_job_polling_interval=max(0.05, settings.worker_poll), install_signal_handlers=False))
            log.info("worker started: queues %s, concurrency %d", ",".join(names), concurrency)
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait([work, stopping], return_when=asyncio.FIRST_COMPLETED)
                if not work.done():
                    work.cancel()  # procrastinate's graceful stop: running jobs finish, no new ones
                try:
                    await work
                except asyncio.CancelledError:
                    pass
            finally:
                side.cancel()
                stopping.cancel()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            try:
                await one_run(stop)
                if not stop.is_set():  # its heartbeat or listener failed, so it stopped
                    log.warning("worker lost PostgreSQL; reconnecting")
            except Exception as exc:  # noqa: BLE001 - the database went away: wait for it
                log.warning("worker lost PostgreSQL (%s)%s", first_line(exc),
                            "" if stop.is_set() else "; reconnecting")
            if not stop.is_set():
                await wait_for_database(conninfo(settings.db_url), stop)
        log.info("worker stopped")

    asyncio.run(main())

