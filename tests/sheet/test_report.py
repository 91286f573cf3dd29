"""Report renderings: JSON shape and cell statuses, text lines, HTML escaping."""

from __future__ import annotations

import json

from nfdp_ingest.sheet import validate_sheet

from .conftest import DATA


def test_json_shape_and_cell_statuses(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("sample_alias\torganism\ttax_id\tcollection_date\tplatform\tinstrument_model\tlibrary_strategy\t"
                 "filename_forward\n"
                 "A\t\tabc\t\tillumina\tunspecified\tWGS\ta.fq\n")
    d = validate_sheet(p).to_dict()
    json.dumps(d)  # serialisable
    assert {"valid", "checklist", "total_rows", "headers", "required_fields", "errors", "warnings", "rows"} <= set(d)
    assert all(e["row"] is None for e in d["errors"])  # sheet-level only at the top
    cells = d["rows"][0]["cells"]
    assert cells["organism"]["status"] == "missing_required"
    assert cells["tax_id"] == {"value": "abc", "status": "invalid", "message": "'abc' is not a whole number"}
    assert cells["collection_date"]["status"] == "missing_required"  # mandatory at ENA since 2023
    assert cells["sample_alias"] == {"value": "A", "status": "ok"}
    assert cells["platform"]["status"] == "ok" and "corrected to 'ILLUMINA'" in cells["platform"]["message"]
    assert d["rows"][0]["row_num"] == 2
    assert {e["column"] for e in d["rows"][0]["errors"]} == {"organism", "tax_id", "collection_date"}


def test_text_report_one_line_per_problem():
    r = validate_sheet(DATA / "bad" / "bad_dates.tsv")
    lines = r.to_text().splitlines()
    assert lines[0].startswith(str(DATA / "bad" / "bad_dates.tsv")) and "INVALID" in lines[0]
    assert "3 errors" in lines[0]
    body = [ln.strip() for ln in lines if ln.startswith("  ")]
    assert len(body) == len(r.errors) + len(r.warnings)
    assert body[0].startswith("line 2, column collection_date: '2023-13-01'")


def test_html_escapes_everything():
    r = validate_sheet(DATA / "bad" / "html_in_cells.tsv")
    html = r.to_html()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;1&lt;/b&gt;" in html
    assert html.count("<script>") == 1  # only the page's own switch


def test_html_big_sheet_lists_only_problem_rows(tmp_path):
    p = tmp_path / "big.tsv"
    rows = ["sample_alias\torganism\ttax_id\tplatform\tinstrument_model\tlibrary_strategy\tfilename_forward"]
    for i in range(6000):
        rows.append(f"s{i}\tBos taurus\t{'x' if i == 4321 else 9913}\tILLUMINA\tunspecified\tWGS\tf{i}.fq")
    p.write_text("\n".join(rows) + "\n")
    r = validate_sheet(p)
    html = r.to_html()
    assert 'id="truncated"' in html
    assert html.count('data-line="') == 1 and 'data-line="4323"' in html


def test_html_lists_at_most_2000_problems_of_each_kind(tmp_path):
    p = tmp_path / "bad.tsv"
    rows = ["sample_alias\torganism\ttax_id\tcollection_date\tgeographic_location\tplatform\tinstrument_model\t"
            "library_strategy\tfilename_forward"]
    rows += [f"s{i}\tBos taurus\tx{i}\t2020\tSaudi Arabia\tILLUMINA\tunspecified\tWGS\tf{i}.fq" for i in range(2500)]
    p.write_text("\n".join(rows) + "\n")
    r = validate_sheet(p)
    assert len(r.errors) == 2500
    html = r.to_html()
    assert html.count('<li class="error">') == 2000
    assert "… and 500 more errors" in html


def test_cp1252_bytes_with_no_character_are_warned_about(tmp_path):
    """0x81, 0x8D, 0x8F, 0x90 and 0x9D mean nothing in cp1252: read as U+FFFD, and said so, with the line."""
    path = tmp_path / "s.tsv"
    header = b"sample_alias\torganism\ttax_id\n"
    path.write_bytes(header + "S1\tBos taurus é\t9913\n".encode("cp1252") + b"S2\tBos \x81taurus\x9d\t9913\n")
    report = validate_sheet(path)
    notes = [w for w in report.warnings if "U+FFFD" in w["message"]]
    assert [(w["row"], w["message"].split(" ")[0]) for w in notes] == [(3, "2")]
    assert report.table["organism"][1] == "Bos \ufffdtaurus\ufffd"


def test_an_unparsable_line_is_an_error_not_a_warning(tmp_path):
    import csv

    path = tmp_path / "s.csv"
    # a ragged row sends the reader down the csv-module path; a field over the limit stops it there
    path.write_text("sample_alias,organism,tax_id\nS1,Bos taurus,9913,extra\nS2," + "x" * 200 + ",9913\n")
    old = csv.field_size_limit(100)
    try:
        report = validate_sheet(path)
    finally:
        csv.field_size_limit(old)
    assert [(e["row"], e["message"][:22]) for e in report.errors if "cannot parse" in e["message"]] == \
        [(3, "cannot parse this line")]
    assert all("cannot parse" not in w["message"] for w in report.warnings)
    assert not report.valid
