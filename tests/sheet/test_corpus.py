"""The bad-sheet corpus: every file produces the messages listed in expectations.json."""

from __future__ import annotations

import json

import pytest

from nfdp_ingest.errors import UsageError
from nfdp_ingest.sheet import validate_sheet

from .conftest import DATA, problem_matches

CASES = json.loads((DATA / "expectations.json").read_text(encoding="utf-8"))


def test_corpus_is_big_enough():
    bad = [c for c in CASES if c.get("usage_error") or not c.get("valid", False)]
    assert len(bad) >= 40
    for c in CASES:
        assert (DATA / "bad" / c["file"]).is_file(), c["file"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_sheet(case):
    path = DATA / "bad" / case["file"]
    if case.get("usage_error"):
        with pytest.raises(UsageError) as exc:
            validate_sheet(path, case.get("checklist"))
        assert case["usage_error"] in exc.value.message
        return
    report = validate_sheet(path, case.get("checklist"))
    text = report.to_text()
    assert report.valid is case["valid"], text
    for line, column, needle in case["errors"]:
        assert problem_matches(report.errors, line, column, needle), (line, column, needle, text)
    for line, column, needle in case["warnings"]:
        assert problem_matches(report.warnings, line, column, needle), (line, column, needle, text)
    # every problem names its place: a line, or a column, or both; and carries a message
    for p in report.errors + report.warnings:
        assert set(p) >= {"row", "column", "value", "message"}
        assert p["message"]
    # the text report has one line per problem, prefixed with its location
    for line, column, needle in case["errors"]:
        where = ", ".join(x for x in (f"line {line}" if line else None, f"column {column}" if column else None) if x)
        assert any(ln.strip().startswith(where) and needle in ln for ln in text.splitlines()), (where, needle)
