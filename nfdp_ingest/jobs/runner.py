"""Runners: where a job runs. ``enqueue(name, **args)`` is the whole interface."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from .registry import check_args, lookup, run_job

log = logging.getLogger("nfdp_ingest.jobs")


class Runner(Protocol):
    def enqueue(self, name: str, **args) -> object: ...


class EmbeddedRunner:
    """A thread pool in this process (the embedded default). Jobs outlive no crash here:
    what makes them durable is the journal they write, read again at start-up."""

    def __init__(self, settings, threads: int = 2):
        self.settings = settings
        self.pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="nfdp-job")
        self._lock = threading.Lock()
        self.futures: list[Future] = []

    def enqueue(self, name: str, **args) -> Future:
        lookup(name)
        args = check_args(name, args)
        future = self.pool.submit(self._run, name, args)
        with self._lock:
            self.futures = [f for f in self.futures if not f.done()] + [future]
        return future

    def _run(self, name: str, args: dict):
        log.info("job %s %s started", name, args)
        try:
            out = run_job(self.settings, name, args)
        except BaseException:
            log.exception("job %s %s failed", name, args)
            raise
        log.info("job %s %s done", name, args)
        return out

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the jobs enqueued so far (tests, shutdown)."""
        with self._lock:
            futures = list(self.futures)
        for future in futures:
            future.exception(timeout=timeout)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)


class InlineRunner:
    """Runs a job at once in the caller's thread (CLI, tests)."""

    def __init__(self, settings):
        self.settings = settings

    def enqueue(self, name: str, **args):
        return run_job(self.settings, name, check_args(name, args))
