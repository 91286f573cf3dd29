"""Jobs: a job is a plain function with a name and JSON-able keyword arguments.

``registry`` maps names to functions (``@job("name")``); a runner (``runner``) is anything
with ``enqueue(name, **args)``. The embedded runner runs jobs on a thread pool in the
serving process; a distributed runner (workers on PostgreSQL) needs only the same names
and arguments, which is why arguments must survive ``json.dumps`` and jobs be idempotent
(a job may run again after a crash: it resumes from the journal).
"""

from .registry import JOBS, job, run_job
from .runner import EmbeddedRunner, InlineRunner, Runner

__all__ = ["JOBS", "EmbeddedRunner", "InlineRunner", "Runner", "job", "run_job"]
