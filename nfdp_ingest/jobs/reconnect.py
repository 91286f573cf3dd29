"""Workers across a PostgreSQL restart. procrastinate's worker, left alone, stops listening
for good when its LISTEN connection cannot be re-made at once (new jobs then wait for the
next poll), stops altogether when a heartbeat or a fetch fails, and tries once to record a
job's outcome (a job that ended while the server was down would stay "doing" and, once its
worker looked dead, be run a second time). Here the job manager waits such moments out."""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger("nfdp_ingest.jobs")

OUTCOME_PATIENCE = 60.0  # seconds a finished job's outcome is retried for


def connection_lost(exc: BaseException) -> bool:
    """Whether a procrastinate error is the database being unreachable (not, say, a job
    that another worker finished first)."""
    import psycopg

    while exc is not None:
        if isinstance(exc, psycopg.OperationalError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def patient_job_manager(connector):
    """procrastinate's JobManager, patient with a lost connection: outcomes are retried, the
    listener re-made, a failed heartbeat or fetch skipped (the next one tries again)."""
    from procrastinate.manager import JobManager

    class PatientJobManager(JobManager):
        async def finish_job(self, *args, **kwargs):
            return await _patiently(super().finish_job, args, kwargs)

        async def retry_job(self, *args, **kwargs):
            return await _patiently(super().retry_job, args, kwargs)

        async def fetch_job(self, *args, **kwargs):
            try:
                return await super().fetch_job(*args, **kwargs)
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                log.warning("PostgreSQL unreachable: no job fetched (%s)", first_line(exc))
                await asyncio.sleep(0.5)
                return None  # the worker polls again

        async def update_heartbeat(self, *args, **kwargs):
            try:
                return await super().update_heartbeat(*args, **kwargs)
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                log.warning("PostgreSQL unreachable: heartbeat skipped (%s)", first_line(exc))

        async def listen_for_jobs(self, *, on_notification, queues=None):
            pause = 0.5
            while True:
                began = time.monotonic()
                try:
                    await super().listen_for_jobs(on_notification=on_notification, queues=queues)
                    return  # procrastinate could not start listening (it returns None then)
                except Exception as exc:
                    if not connection_lost(exc):
                        raise
                    if time.monotonic() - began > 30:
                        pause = 0.5  # a new outage
                    log.warning("PostgreSQL unreachable: listening again in %.1f s (%s)", pause, first_line(exc))
                await asyncio.sleep(pause)
                pause = min(5.0, pause * 2)
                # jobs deferred while nobody listened: look for them now
                await on_notification(channel="", notification={"type": "job_inserted"})

    return PatientJobManager(connector=connector)


def first_line(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


async def _patiently(call, args, kwargs):
    deadline, pause = time.monotonic() + OUTCOME_PATIENCE, 0.25
    while True:
        try:
            return await call(*args, **kwargs)
        except Exception as exc:
            if not connection_lost(exc) or time.monotonic() > deadline:
                raise
            log.info("PostgreSQL unreachable while recording a job's outcome; trying again in %.2f s", pause)
            await asyncio.sleep(pause)
            pause = min(2.0, pause * 2)


async def wait_for_database(info: str, stop: asyncio.Event) -> None:
    """Until PostgreSQL answers again (or ``stop``): tries 0.5 s apart, then up to 5 s."""
    import psycopg

    pause = 0.5
    while not stop.is_set():
        try:
            conn = await psycopg.AsyncConnection.connect(info, connect_timeout=5)
            await conn.close()
            log.info("PostgreSQL is back")
            return
        except psycopg.Error as exc:
            log.info("PostgreSQL not reachable yet: %s", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        try:
            await asyncio.wait_for(stop.wait(), timeout=pause)
        except TimeoutError:
            pause = min(5.0, pause * 2)
