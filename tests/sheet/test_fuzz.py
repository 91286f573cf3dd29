"""Hypothesis: arbitrary bytes and arbitrary tables give a report or a UsageError, never anything else."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nfdp_ingest.domain.checklists import checklist_ids
from nfdp_ingest.errors import UsageError
from nfdp_ingest.sheet import SheetReport, validate_sheet

COLUMNS = ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location", "platform",
           "instrument_model", "library_strategy", "library_source", "library_selection", "library_layout",
           "insert_size", "library_name", "filename_forward", "filename_reverse", "md5_forward", "md5_reverse",
           "project_accession", "sex", "call_rate", "Sample Alias", "", "#x", "tax-id"]
VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "ILLUMINA", "illumina", "unspecified", "WGS", "PAIRED", "SINGLE", "9913", "0", "-1",
                     "2023-02-30", "2999", "missing", "Saudi Arabia:Riyadh", "a.fq", "a.fq", "../a.fq", "/a.bam",
                     "=1+1", "@x", "+", "-", "\"", "\"\"", "a\tb", "a,b", "a\nb", "\r", "#", "NaN", "None", "null",
                     "1e309", "d41d8cd98f00b204e9800998ecf8427e", "\ufeff", "\x00", "é", "😀"]),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(path: Path, checklist=None) -> None:
    try:
        report = validate_sheet(path, checklist)
    except UsageError as exc:
        assert exc.message
        return
    assert isinstance(report, SheetReport)
    assert report.valid == (not report.errors)
    # every rendering works on whatever was read
    report.to_text()
    report.to_dict()
    report.to_html()
    for p in report.errors + report.warnings:
        assert isinstance(p["message"], str) and p["message"]
        assert p["row"] is None or isinstance(p["row"], int)


@SETTINGS
@given(data=st.binary(max_size=2000), ext=st.sampled_from([".csv", ".tsv", ".txt", ".xlsx", ""]))
def test_arbitrary_bytes(data, ext):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sheet{ext}"
        path.write_bytes(data)
        _check(path)


@SETTINGS
@given(header=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=10),
       rows=st.lists(st.lists(VALUES, max_size=12), max_size=8),
       delim=st.sampled_from([",", "\t", ";"]), ext=st.sampled_from([".csv", ".tsv"]),
       eol=st.sampled_from(["\n", "\r\n"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       checklist=st.sampled_from([None] + checklist_ids()))
def test_arbitrary_tables(header, rows, delim, ext, eol, encoding, checklist):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator=eol)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    data = buf.getvalue().encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sheet{ext}"
        path.write_bytes(data)
        _check(path, checklist)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8),
       rows=st.lists(st.lists(st.one_of(VALUES, st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                                        st.none(), st.booleans()), max_size=9), max_size=6))
def test_arbitrary_xlsx(header, rows):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        clean = []
        for v in r:
            if isinstance(v, str):  # openpyxl refuses control characters in cells
                v = "".join(ch for ch in v if ch >= " " or ch in "\t\n\r")
            clean.append(v)
        ws.append(clean)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheet.xlsx"
        wb.save(path)
        _check(path)
