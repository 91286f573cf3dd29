"""A submission's outcome: as plain data (one shape for success, refusal and duplicate),
as text for the terminal, and as a self-contained HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NfdpError
from ..resources import jinja_env
from .errors import SheetInvalid, SubmissionFailed

if TYPE_CHECKING:
    from .submit import SubmitResult

KINDS = ("samples", "experiments", "runs")


def outcome_dict(*, submission: str | None, status: str, sheet: str, project: str | None = None,
                 new: dict[str, list] | None = None, reused: dict[str, list] | None = None,
                 **extra: Any) -> dict:
    """The JSON shape every submission outcome has; ``extra`` adds keys (warnings, error, …)."""
    new = new or {}
    reused = reused or {}
    out: dict[str, Any] = {"submission": submission, "status": status, "project": project, "sheet": sheet}
    out.update({k: list(new.get(k, [])) for k in KINDS})
    out["reused"] = {k: list(reused.get(k, [])) for k in KINDS}
    out.update(extra)
    return out


def failure_dict(sheet: str, exc: NfdpError) -> dict:
    """The JSON shape of a refused or failed submission (same keys as a success)."""
    if isinstance(exc, SheetInvalid):
        errors, more = exc.report.errors, {"warnings": exc.report.warnings, "validation": exc.report.to_dict()}
    elif isinstance(exc, SubmissionFailed):
        errors, more = exc.problems, {}
    else:
        errors, more = [{"row": None, "column": None, "value": None, "message": exc.message}], {}
    outcome = outcome_dict(submission=getattr(exc, "submission", None),
                           status="invalid" if isinstance(exc, SheetInvalid) else "failed",
                           sheet=sheet, exit_code=exc.exit_code, error=exc.message, errors=errors, **more)
    del outcome["project"]  # unknown here; callers that know it (nightly) set it
    return outcome


def render_submission_html(outcome: dict, banner: dict | None = None) -> str:
    """``banner``: ``{"status", "note"}`` shown above the report (the nightly job's verdict)."""
    return jinja_env().get_template("submission_report.html.j2").render(o=outcome, banner=banner)


def submit_text(result: SubmitResult) -> str:
    """What ``nfdp-ingest submit`` prints for a submission that went through."""
    plan = result.plan
    verb = {"committed": "committed", "unchanged": "nothing new", "dry-run": "dry run"}[result.status]
    head = f"{result.sheet}: {verb}"
    if result.submission:
        head += f" (submission {result.submission})"
    lines = [head + f", project {result.project}"]
    for kind in KINDS:
        label = "would create" if result.status == "dry-run" else "created"
        lines.append(f"  {kind + ':':<13}{len(plan.new(kind))} {label}, {len(plan.reused(kind))} already registered")
    if result.status == "unchanged":
        lines.append("  every sample, experiment and run of this sheet is already registered; nothing was written")
    for s in plan.new("samples"):
        lines.append(f"  {s.accession or '(new sample)':<18}sample      {s.alias}")
    for e in plan.new("experiments"):
        f = e.fields
        lines.append(f"  {e.accession or '(new experiment)':<18}experiment  {e.sample_alias}: "
                     f"{f.get('platform')} {f.get('instrument_model')}, {f.get('library_strategy')}, "
                     f"{f.get('library_layout')}")
    for r in result.run_rows(plan.new("runs")):
        size = r["file_size"]
        lines.append(f"  {r['accession'] or '(new run)':<18}run         {r['filename']} "
                     f"{r['file_type']} {size if size is not None else '?'} bytes md5 {r['checksum_md5']}")
    for w in result.warnings:
        where = f"line {w['row']}, column {w['column']}: " if w.get("row") else ""
        lines.append(f"  warning: {where}{w['message']}")
    return "\n".join(lines)
