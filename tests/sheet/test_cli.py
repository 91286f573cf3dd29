"""`nfdp-ingest checklists | template | validate`: output and exit codes (0 valid, 1 invalid, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nfdp_ingest.cli import main

from .conftest import DATA


@pytest.fixture
def run():
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return _run


def test_checklists(run):
    res = run("checklists")
    assert res.exit_code == 0
    for cid in ("ERC000011", "ERC000020", "ERC000028", "ERC000033", "ERC000043", "ERC000055", "nfdp_livestock",
                "snpchip_livestock"):
        assert cid in res.output
    # since 2023 ENA makes collection date and country mandatory in every checklist, ERC000011 included
    assert "required: organism, tax_id, collection_date, geographic_location" in res.output
    js = json.loads(run("checklists", "--format", "json").output)
    assert js[0] == {"id": "ERC000011", "title": "ENA default sample checklist", "ena_checklist": "ERC000011",
                     "required": ["organism", "tax_id", "collection_date", "geographic_location"]}
    assert {c["id"]: c["ena_checklist"] for c in js}["snpchip_livestock"] is None


def test_checklist_fields_listed(run):
    res = run("checklists", "ERC000043")
    assert res.exit_code == 0
    assert "ERC000043  ENA Marine Microalgae Checklist  (brokered as: ERC000043)" in res.output
    assert "mandatory    strain = ENA 'strain'" in res.output
    assert "units DD" in res.output
    js = json.loads(run("checklists", "nfdp_livestock", "--format", "json").output)
    assert js["ena_checklist"] == "ERC000055"
    assert {f["name"]: f["required"] for f in js["fields"]}["breed"] is True


def test_template_to_stdout_and_file(run, tmp_path):
    res = run("template", "ERC000055")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].startswith("# checklist: ERC000055")
    assert lines[1].split("\t")[0] == "sample_alias" and len(lines) == 4
    out = tmp_path / "t.csv"
    res = run("template", "ERC000020", "-o", out)
    # CSV: the header comes first (a spreadsheet shows no stray comment row); a checklist column names it
    assert res.exit_code == 0 and out.read_text().splitlines()[0].startswith("checklist,sample_alias,organism,")
    res = run("validate", out)
    assert res.exit_code == 0, res.output
    assert "valid (ERC000020)" in res.output


def test_template_unknown_checklist_is_usage_error(run):
    res = run("template", "NOPE")
    assert res.exit_code == 2
    assert "unknown checklist 'NOPE'" in res.output


def test_validate_invalid_sheet_exit_1_and_text(run):
    res = run("validate", DATA / "bad" / "bad_platform.tsv")
    assert res.exit_code == 1
    assert "INVALID" in res.output.splitlines()[0]
    assert "line 2, column platform: 'Illumna' is not a platform; did you mean ILLUMINA?" in res.output


def test_validate_json_format(run):
    res = run("validate", DATA / "bad" / "alias_conflict.tsv", "--format", "json")
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["valid"] is False and data["checklist"] == "ERC000011" and data["total_rows"] == 3
    assert data["required_fields"] == ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location"]
    row = next(r for r in data["rows"] if r["row_num"] == 4)
    assert row["sample_alias"] == "S1"
    assert row["cells"]["organism"]["status"] == "invalid"
    assert "on line 2" in row["cells"]["organism"]["message"]
    assert row["cells"]["tax_id"] == {"value": "9913", "status": "ok"}
    assert row["errors"][0]["row"] == 4 and row["errors"][0]["column"] == "organism"


def test_validate_writes_reports(run, tmp_path):
    html = tmp_path / "r.html"
    js = tmp_path / "r.json"
    sheet = DATA / "bad" / "formula_injection.csv"
    assert run("validate", sheet, "--report", html).exit_code == 1
    assert run("validate", sheet, "--report", js).exit_code == 1
    assert "<!DOCTYPE html>" in html.read_text()
    assert json.loads(js.read_text())["valid"] is False


@pytest.mark.parametrize("args,needle", [
    (["validate", DATA / "bad" / "empty.tsv"], "is empty"),
    (["validate", "/nonexistent/sheet.tsv"], "does not exist"),
    (["validate", DATA / "bad", ], "is a folder"),
    (["validate", DATA / "bad" / "bad_platform.tsv", "--checklist", "ERC0"], "unknown checklist"),
    (["validate", DATA / "bad" / "bad_platform.tsv", "--report", "out.txt"], "must end in .html or .json"),
    (["validate", DATA / "bad" / "binary_gzip.tsv"], "binary"),
    (["validate", DATA / "bad" / "broken.xlsx"], "not a readable .xlsx"),
])
def test_usage_errors_exit_2_with_one_message(run, args, needle):
    res = run(*args)
    assert res.exit_code == 2
    assert needle in res.output
    assert "Traceback" not in res.output
    assert len([ln for ln in res.output.splitlines() if ln.startswith("error:")]) == 1


def test_valid_with_warnings_exits_0(run):
    res = run("validate", DATA / "bad" / "case_insensitive_terms.tsv")
    assert res.exit_code == 0
    assert "corrected to 'ILLUMINA'" in res.output


def test_console_script_in_a_subprocess(tmp_path):
    """The real entry point: stdout/stderr split, exit code from the process."""
    res = subprocess.run([sys.executable, "-m", "nfdp_ingest", "validate", str(DATA / "bad" / "empty.tsv")],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("error:") and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "nfdp_ingest", "validate", str(DATA / "bad" / "bad_md5.tsv")],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 1 and "column md5_forward" in res.stdout
