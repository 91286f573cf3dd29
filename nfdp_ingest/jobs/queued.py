"""``submit --queue``: a local sheet handed to the workers, its files in a folder they see."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from ..errors import InvalidInput, NfdpError, UsageError
from ..registry.db import open_registry, transaction
from ..registry.models import Submission


def queue_submission(settings, sheet: Path, *, project: str | None, checklist: str | None,
                     files_root: Path | None) -> str:
    """Validate, record a queued submission and enqueue its plan job; its accession."""
    from ..pipeline.errors import SheetInvalid
    from ..pipeline.submit import _project_accession, sheet_digest
    from ..sheet import validate_sheet
    from .distributed import DistributedRunner, conninfo
    from .submission import Duplicate, create

    conninfo(settings.db_url)  # UsageError on SQLite: workers need PostgreSQL
    sheet = Path(sheet)
    report = validate_sheet(sheet, checklist)
    if not report.valid:
        raise SheetInvalid(report)
    project = _project_accession(report, project)
    root = (Path(files_root) if files_root else sheet.parent).resolve()
    if not root.is_dir():
        raise UsageError(f"files folder {root} does not exist or is not a folder")
    engine = open_registry(settings.db_url)
    try:
        accession = create(engine, settings, sheet=sheet, sheet_name=sheet.name, sheet_sha256=sheet_digest(sheet),
                           project=project, checklist=checklist, checklist_id=report.checklist, owner=None,
                           files_root=str(root))
    except Duplicate as exc:
        raise InvalidInput(exc.message) from None
    runner = DistributedRunner(settings)
    try:
        runner.enqueue("submission-plan", accession=accession)
    finally:
        runner.close()
    return accession


def wait_submission(settings, accession: str, on_progress: Callable[[dict], None] | None = None,
                    poll: float = 1.0) -> Submission:
    """Poll until the submission is committed or failed; its row."""
    engine = open_registry(settings.db_url)
    last = None
    while True:
        with transaction(engine) as session:
            row = session.scalar(select(Submission).where(Submission.accession == accession))
        if row is None:
            raise NfdpError(f"no submission {accession}")
        if on_progress and row.progress != last:
            on_progress(row.progress or {})
            last = row.progress
        if row.status in ("committed", "failed") and (row.status == "failed" or row.outcome is not None):
            return row
        time.sleep(poll)
