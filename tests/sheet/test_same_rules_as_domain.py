"""The sheet validator and ``domain.check_experiment`` speak with one voice.

The same bad value gives the same message in a sheet cell and in a record
checked alone (as POST /experiments/ does); the API side of this test sits
with the API.
"""

from __future__ import annotations

import csv

import pytest

from nfdp_ingest.domain import check_experiment
from nfdp_ingest.domain.experiment import SELECTION_DEFAULTED
from nfdp_ingest.sheet import validate_sheet

GOOD = {"sample_alias": "S1", "organism": "Bos taurus", "tax_id": "9913", "platform": "ILLUMINA",
        "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS", "library_source": "GENOMIC",
        "library_selection": "RANDOM", "library_layout": "PAIRED", "insert_size": "350",
        "filename_forward": "s1_R1.fastq.gz", "filename_reverse": "s1_R2.fastq.gz"}
EXPERIMENT = ("platform", "instrument_model", "library_strategy", "library_source", "library_selection",
              "library_layout", "insert_size")


def _sheet(tmp_path, row: dict):
    path = tmp_path / "s.tsv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(list(GOOD))
        writer.writerow([row.get(h, "") for h in GOOD])
    return validate_sheet(path, "ERC000011")


CASES = [
    # (field, bad value, bucket)
    ("library_strategy", "WGSS", "errors"),  # unknown term, with a suggestion
    ("platform", "Illumna", "errors"),
    ("instrument_model", "MinION", "errors"),  # an instrument of another platform
    ("insert_size", "350bp", "errors"),
    ("insert_size", "0", "errors"),
    ("insert_size", "99999999999999", "errors"),  # more than the registry's integer holds
    ("library_strategy", "", "errors"),  # required
    ("instrument_model", "", "errors"),  # required
    ("library_selection", "", "warnings"),  # defaulted
    ("library_source", "", "warnings"),  # derived from the strategy
    ("library_source", "TRANSCRIPTOMIC", "warnings"),  # unusual for WGS
    ("platform", "illumina", "warnings"),  # corrected spelling
]


@pytest.mark.parametrize("field,value,bucket", CASES, ids=[f"{f}={v!r}" for f, v, _ in CASES])
def test_a_bad_value_gets_the_same_message(tmp_path, field, value, bucket):
    row = {**GOOD, field: value}
    _, errors, warnings = check_experiment({k: (row[k] or None) for k in EXPERIMENT})
    domain = sorted(p["message"] for p in (errors if bucket == "errors" else warnings) if p["column"] == field)
    assert domain, "the domain rule must object"
    report = _sheet(tmp_path, row)
    problems = report.errors if bucket == "errors" else report.warnings
    sheet = sorted(p["message"] for p in problems if p["column"] == field and p["row"] == 2)
    assert sheet == domain


def test_the_default_selection_message_comes_from_the_domain(tmp_path):
    report = _sheet(tmp_path, {**GOOD, "library_selection": ""})
    assert {"row": 2, "column": "library_selection", "value": None, "message": SELECTION_DEFAULTED} in report.warnings
    assert report.rows[0].experiment["library_selection"] == "unspecified"


def test_distinct_tuples_are_checked_once_and_mapped_back(tmp_path):
    """Rows that repeat a bad tuple each get the error, on their own line."""
    path = tmp_path / "many.tsv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(list(GOOD))
        for i in range(6):
            row = {**GOOD, "sample_alias": f"S{i}", "filename_forward": f"s{i}_R1.fq", "filename_reverse": f"s{i}_R2.fq",
                   "library_strategy": "WGSS" if i % 2 else "WGS"}
            writer.writerow([row[h] for h in GOOD])
    report = validate_sheet(path, "ERC000011")
    assert [p["row"] for p in report.errors if p["column"] == "library_strategy"] == [3, 5, 7]
    assert [r.experiment["library_strategy"] for r in report.rows] == ["WGS", None] * 3
    assert [r.experiment["insert_size"] for r in report.rows] == [350] * 6


def test_absent_columns_get_one_note_each_and_rows_keep_their_own_errors(tmp_path):
    path = tmp_path / "absent.tsv"
    path.write_text("sample_alias\torganism\ttax_id\tcollection_date\tgeographic_location\tinstrument_model\t"
                    "library_strategy\tfilename_forward\n"
                    "S1\tBos taurus\t9913\t2020\tSaudi Arabia\tMinION\tWGS\ta.fq\n"
                    "S2\tBos taurus\t9913\t2020\tSaudi Arabia\tunspecified\tWGSS\tb.fq\n")
    report = validate_sheet(path, "ERC000011")
    notes = {w["column"] for w in report.warnings if w["row"] is None}
    assert notes == {"platform", "library_source", "library_selection", "library_layout"}
    assert all(w["row"] is None for w in report.warnings)  # no per-row flood for a column the sheet lacks
    assert sorted((e["row"], e["column"]) for e in report.errors) == [(3, "library_strategy"), (3, "platform")]
    row = report.rows[0].experiment
    assert (row["platform"], row["library_source"], row["library_selection"], row["library_layout"]) == \
        ("OXFORD_NANOPORE", "GENOMIC", "unspecified", "SINGLE")
