"""The two ways a submission is refused after it started, as exceptions carrying exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidInput, NfdpError

if TYPE_CHECKING:  # the sheet package pulls in pandas; these classes must stay cheap to import
    from ..sheet import SheetReport


class SheetInvalid(InvalidInput):
    """The sheet failed validation; ``report`` says where."""

    def __init__(self, report: SheetReport):
        first = report.to_text().splitlines()
        super().__init__("\n".join(first[:50]) + ("\n…" if len(first) > 50 else ""))
        self.report = report


class SubmissionFailed(NfdpError):
    """Files or plan were refused after the sheet validated; ``problems`` lists each."""

    def __init__(self, message: str, problems: list[dict], submission: str | None, exit_code: int = 1):
        super().__init__(message)
        self.problems = problems
        self.submission = submission
        self.exit_code = exit_code


def problem_dict(line: int | None, column: str | None, value: str, message: str) -> dict:
    """One entry of ``SubmissionFailed.problems``: where in the sheet, and what."""
    return {"row": line, "column": column, "value": value, "message": message}


def problems_message(what: str, problems: list[dict]) -> str:
    """``"3 file problems; nothing was committed:"`` and the first 50, one a line."""
    lines = [f"{len(problems)} {what} problem{'s' if len(problems) != 1 else ''}; nothing was committed:"]
    for p in problems[:50]:
        where = f"line {p['row']}, column {p['column']}: " if p.get("row") else ""
        lines.append(f"  {where}{p['message']}")
    if len(problems) > 50:
        lines.append(f"  … and {len(problems) - 50} more")
    return "\n".join(lines)
