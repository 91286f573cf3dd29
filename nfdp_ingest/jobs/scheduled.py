"""The nightly scan as a procrastinate periodic task (``NFDP_NIGHTLY_SCHEDULE``, cron syntax,
an optional 6th field for seconds): every worker carries the schedule, procrastinate defers
each tick once however many workers run, so a deployment with workers needs no crontab."""

from __future__ import annotations

import logging

from ..errors import UsageError

log = logging.getLogger("nfdp_ingest.nightly")


class QueueRunner:
    """``enqueue`` inside a job: one short transaction per job (procrastinate's SQL function)."""

    def __init__(self, settings):
        from ..registry.db import open_registry

        self.engine = open_registry(settings.db_url)

    def enqueue(self, name: str, *, _queueing_lock: str | None = None, _lock: str | None = None, **args):
        from ..registry.db import transaction
        from .distributed import defer_in

        with transaction(self.engine) as session:
            return True if defer_in(session, name, args, queueing_lock=_queueing_lock, lock=_lock) else None


def check_schedule(settings) -> None:
    from croniter import croniter

    if not croniter.is_valid(settings.nightly_schedule):
        raise UsageError(f"NFDP_NIGHTLY_SCHEDULE={settings.nightly_schedule!r} is not a cron expression "
                         "(e.g. '0 2 * * *': every day at 02:00)")
    if settings.nightly_inbox is None:
        raise UsageError("NFDP_NIGHTLY_SCHEDULE needs NFDP_NIGHTLY_INBOX (the inbox folder the workers scan)")


def add_nightly_schedule(app, settings) -> None:
    check_schedule(settings)

    @app.periodic(cron=settings.nightly_schedule, periodic_id="nightly")
    @app.task(name="nfdp.nightly_scan", queue="nightly", queueing_lock="nightly-scan")
    def nightly_scan(timestamp: int) -> int:
        from .nightly import scan_and_enqueue

        rows = scan_and_enqueue(settings, QueueRunner(settings), settings.nightly_inbox,
                                settle_seconds=settings.nightly_settle)
        queued = sum(1 for r in rows if r["status"] == "queued")
        log.info("scheduled nightly scan of %s: %d sheet(s) queued", settings.nightly_inbox, queued)
        return queued
