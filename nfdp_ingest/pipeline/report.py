"""A submission's outcome as plain data, and as a self-contained HTML page."""

from __future__ import annotations

from functools import cache

import jinja2

from ..errors import NfdpError
from ..resources import templates_dir


def failure_dict(sheet: str, exc: NfdpError) -> dict:
    """The JSON shape of a refused or failed submission (same keys as a success)."""
    from .submit import SheetInvalid, SubmissionFailed

    outcome = {
        "submission": getattr(exc, "submission", None),
        "status": "invalid" if isinstance(exc, SheetInvalid) else "failed",
        "sheet": sheet,
        "exit_code": exc.exit_code,
        "error": exc.message,
        "errors": [],
        "samples": [], "experiments": [], "runs": [],
        "reused": {"samples": [], "experiments": [], "runs": []},
    }
    if isinstance(exc, SheetInvalid):
        outcome["errors"] = exc.report.errors
        outcome["warnings"] = exc.report.warnings
        outcome["validation"] = exc.report.to_dict()
    elif isinstance(exc, SubmissionFailed):
        outcome["errors"] = exc.problems
    else:
        outcome["errors"] = [{"row": None, "column": None, "value": None, "message": exc.message}]
    return outcome


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def render_submission_html(outcome: dict) -> str:
    return _environment().get_template("submission_report.html.j2").render(o=outcome)
