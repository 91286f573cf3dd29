"""Render a :class:`SheetReport` as one self-contained HTML page (jinja2)."""

from __future__ import annotations

from functools import cache

import jinja2

from ..resources import jinja_env
from .report import HTML_ROW_LIMIT

PROBLEM_LIMIT = 2000  # problems listed in full; the JSON report has them all


@cache
def _env() -> jinja2.Environment:
    return jinja_env()  # the package's one environment (autoescape: every value from the sheet is escaped)


def render_report(report) -> str:
    many = report.total_rows > HTML_ROW_LIMIT
    rows = report.row_views(only_problems=many, limit=HTML_ROW_LIMIT)
    problem_lines = {p["row"] for p in report.errors + report.warnings if p.get("row") is not None}
    template = _env().get_template("validation_report.html.j2")
    return template.render(
        report=report,
        summary=report.summary(),
        headers=[h for h in report.headers if h in report.table],
        rows=rows,
        truncated=many,
        row_limit=HTML_ROW_LIMIT,
        rows_with_problems=len(problem_lines),
        problem_line=report.problem_line,
        errors=report.errors[:PROBLEM_LIMIT],
        warnings=report.warnings[:PROBLEM_LIMIT],
        more_errors=max(0, len(report.errors) - PROBLEM_LIMIT),
        more_warnings=max(0, len(report.warnings) - PROBLEM_LIMIT),
    )
