"""The nightly run on workers: the scan enqueues one job per settled sheet.

A sheet's job carries a queueing lock and a lock on the sheet's digest: a second scan (on
this host or another, at the same moment) cannot queue the same content twice while it
waits, nor run it beside the first; a job that finds its sheet filed away already (or the
content committed before) does nothing. The inbox must be one folder every worker sees
(a shared mount). Per sheet, the outcome and reports are the ones ``nightly`` files.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from ..errors import UsageError
from .registry import job

log = logging.getLogger("nfdp_ingest.nightly")


def scan_and_enqueue(settings, runner, inbox: str | Path, *, settle_seconds: float = 600,
                     files_root: str | Path | None = None, now: datetime | None = None) -> list[dict]:
    """Enqueue every settled sheet of ``inbox``; one dict per sheet seen (sheet, status, job)."""
    from ..nightly.inbox import discover, waiting_reason
    from ..pipeline.submit import sheet_digest

    inbox = Path(inbox).resolve()
    if not inbox.is_dir():
        raise UsageError(f"inbox {inbox} does not exist or is not a folder")
    now = now or datetime.now().astimezone()
    found, _ignored = discover(inbox)
    out = []
    for item in found:
        rel = str(item.path.relative_to(inbox))
        root = Path(files_root).resolve() if files_root else item.path.parent
        try:
            reason = waiting_reason(item, root, settle_seconds, now.timestamp())
            digest = None if reason else sheet_digest(item.path)
        except OSError:  # filed away by a job meanwhile
            continue
        if reason:
            out.append({"sheet": rel, "status": "waiting", "reason": reason, "job": None})
            continue
        key = f"nightly:{digest}"
        job_id = runner.enqueue("nightly-sheet", _queueing_lock=key, _lock=key, inbox=str(inbox), sheet=rel,
                                project=item.project, files_root=str(root), sha256=digest,
                                day=now.strftime("%Y-%m-%d"), run_at=now.isoformat(timespec="seconds"))
        out.append({"sheet": rel, "status": "queued" if job_id is not None else "already queued", "job": job_id})
        log.info("%s: %s", rel, out[-1]["status"])
    return out


@job("nightly-sheet")
def nightly_sheet(settings, inbox: str, sheet: str, project: str | None, files_root: str, sha256: str,
                  day: str, run_at: str) -> str:
    """Ingest one inbox sheet and file it away; its outcome (or ``gone``)."""
    from ..nightly.inbox import Found
    from ..nightly.run import _process
    from ..pipeline.submit import sheet_digest

    path = Path(inbox) / sheet
    try:
        if sheet_digest(path) != sha256:
            return "changed"  # a newer version: the next scan queues that one
    except OSError:
        return "gone"  # filed away by an earlier job of the same content
    # an infrastructure failure raises: the job is retried, the sheet stays in the inbox
    outcome = _process(Found(path, project), Path(inbox), settings, root=Path(files_root), threads=None,
                       remove_source=False, show_progress=False, day=day, run_at=run_at, rel=sheet)
    log.info("%s: %s %s", sheet, outcome.status, outcome.submission or "")
    return outcome.status
