"""GET /api/v1/metrics: the job queue and the submissions in Prometheus' text format."""

from __future__ import annotations

from sqlalchemy import func, select


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(engine) -> str:
    """Metrics as text (exposition format 0.0.4). The queue's only on PostgreSQL with the
    workers' schema; the submissions (our own table) everywhere."""
    from ..jobs.ops import queue_counts
    from ..registry.models import Submission

    lines: list[str] = []

    def metric(name: str, help_text: str, samples: list[tuple[dict[str, str], int]]) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} gauge"])
        for labels, value in samples:
            inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{inner}}} {value}" if inner else f"{name} {value}")

    with engine.connect() as conn:
        subs = conn.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
    metric("nfdp_submissions", "Submissions in the registry by status.",
           [({"status": s}, int(n)) for s, n in sorted(subs)])
    queue = queue_counts(engine)
    if queue is not None:
        metric("nfdp_jobs", "Jobs in the workers' queue (procrastinate) by queue and state.",
               [({"queue": q, "state": s}, n) for q, s, n in queue["jobs"]])
        metric("nfdp_workers", "Workers registered in the queue (live, or not yet pruned).",
               [({}, queue["workers"])])
    return "\n".join(lines) + "\n"
