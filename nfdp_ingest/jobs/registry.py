"""Job functions by name. A job gets the settings and its JSON arguments as keywords."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

JOBS: dict[str, Callable] = {}
# modules that define jobs, imported before the first lookup (a worker starts cold)
JOB_MODULES = ("nfdp_ingest.jobs.submission", "nfdp_ingest.jobs.batches", "nfdp_ingest.jobs.qc",
               "nfdp_ingest.jobs.nightly")


def job(name: str):
    def register(func: Callable) -> Callable:
        if JOBS.get(name, func) is not func:
            raise ValueError(f"two jobs named {name!r}")
        JOBS[name] = func
        return func
    return register


def lookup(name: str) -> Callable:
    for module in JOB_MODULES:
        importlib.import_module(module)
    try:
        return JOBS[name]
    except KeyError:
        raise KeyError(f"no job named {name!r} (known: {', '.join(sorted(JOBS))})") from None


def check_args(name: str, args: dict) -> dict:
    """The arguments as they would arrive at a distributed worker (JSON round trip)."""
    try:
        return json.loads(json.dumps(args))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job {name!r}: arguments must be JSON-serialisable ({exc})") from None


def run_job(settings, name: str, args: dict):
    return lookup(name)(settings, **args)
