"""What one nightly run did: an outcome per sheet, the run's verdict and exit code,
as plain data, as text and as an HTML page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import EXIT_INFRA, EXIT_INVALID, EXIT_OK
from ..pipeline.report import KINDS
from ..progress import human_bytes
from ..resources import jinja_env

# statuses of one sheet
INGESTED, FAILED, DUPLICATE, WAITING, DEFERRED, SKIPPED = (
    "ingested", "failed", "duplicate", "waiting", "deferred", "skipped")


@dataclass
class SheetOutcome:
    sheet: str  # path relative to the inbox, as found
    project: str | None
    status: str
    reason: str | None = None  # waiting: why; failed / deferred: the first error
    submission: str | None = None
    created: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    bytes: int = 0
    seconds: float = 0.0
    moved_to: str | None = None  # relative to the inbox
    report_json: str | None = None
    report_html: str | None = None
    removed_source: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "project": self.project, "status": self.status, "reason": self.reason,
                "submission": self.submission, "created": dict(self.created), "bytes": self.bytes,
                "seconds": round(self.seconds, 3), "moved_to": self.moved_to, "report_json": self.report_json,
                "report_html": self.report_html, "removed_source": list(self.removed_source)}


@dataclass
class NightlySummary:
    inbox: str
    started: datetime
    settle_seconds: float
    lock: str | None = None
    sheets: list[SheetOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    infrastructure_error: str | None = None
    seconds: float = 0.0

    def by_status(self, status: str) -> list[SheetOutcome]:
        return [s for s in self.sheets if s.status == status]

    @property
    def created(self) -> dict[str, int]:
        return {k: sum(s.created[k] for s in self.sheets) for k in KINDS}

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.sheets)

    @property
    def exit_code(self) -> int:
        if self.infrastructure_error or self.by_status(DEFERRED):
            return EXIT_INFRA
        if self.by_status(FAILED):
            return EXIT_INVALID
        return EXIT_OK

    @property
    def verdict(self) -> str:
        code = self.exit_code
        if code == EXIT_INFRA:
            return "infrastructure failure: sheets left in the inbox for the next run"
        if code == EXIT_INVALID:
            return "at least one sheet failed"
        if not self.sheets:
            return "nothing to do"
        return "ok"

    def counts(self) -> dict[str, int]:
        return {"found": len(self.sheets), **{st: len(self.by_status(st)) for st in
                                              (INGESTED, FAILED, DUPLICATE, WAITING, DEFERRED, SKIPPED)}}

    def to_dict(self) -> dict:
        return {
            "inbox": self.inbox,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 3),
            "settle_seconds": self.settle_seconds,
            "lock": self.lock,
            "exit_code": self.exit_code,
            "verdict": self.verdict,
            "sheets_found": len(self.sheets),
            "counts": self.counts(),
            "created": self.created,
            "bytes": self.bytes,
            "infrastructure_error": self.infrastructure_error,
            "ignored": list(self.ignored),
            "sheets": [s.to_dict() for s in self.sheets],
            "failed": [{"sheet": s.sheet, "first_error": s.reason, "report": s.report_json}
                       for s in self.by_status(FAILED)],
        }

    def to_text(self) -> str:
        c = self.counts()
        created = self.created
        head = (f"nightly ingest of {self.inbox} at {self.started.isoformat(timespec='seconds')}: "
                f"{c['found']} sheet{'s' if c['found'] != 1 else ''} found, {c[INGESTED]} ingested, "
                f"{c[FAILED]} failed, {c[DUPLICATE]} duplicate, {c[WAITING]} waiting"
                + (f", {c[DEFERRED]} deferred" if c[DEFERRED] else "")
                + (f", {c[SKIPPED]} not tried" if c[SKIPPED] else ""))
        lines = [
            head,
            (f"created {created['samples']} samples, {created['experiments']} experiments, "
             f"{created['runs']} runs; {human_bytes(self.bytes)} in {self.seconds:.1f} s"),
        ]
        for s in self.sheets:
            line = f"  {s.status:<10}{s.sheet}"
            if s.status == INGESTED:
                line += (f": submission {s.submission}, {s.created['samples']} samples, "
                         f"{s.created['experiments']} experiments, {s.created['runs']} runs")
            elif s.status == DUPLICATE:
                line += f": already committed{' as ' + s.submission if s.submission else ''}; nothing ingested"
            elif s.reason:
                line += f": {s.reason}"
            if s.moved_to:
                line += f" → {s.moved_to}"
            lines.append(line)
            if s.removed_source:
                lines.append(f"            removed {len(s.removed_source)} source file(s) after the commit")
        for name in self.ignored:
            lines.append(f"  ignored   {name}")
        if self.infrastructure_error:
            lines.append(f"infrastructure failure: {self.infrastructure_error}")
        lines.append(f"exit {self.exit_code}: {self.verdict}")
        return "\n".join(lines)


def render_summary_html(summary: NightlySummary) -> str:
    data = summary.to_dict()
    inbox = Path(summary.inbox)
    for s in data["sheets"]:
        s["report_url"] = (inbox / s["report_html"]).as_uri() if s.get("report_html") else None
    return jinja_env().get_template("nightly_summary.html.j2").render(s=data)
