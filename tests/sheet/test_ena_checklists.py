"""ENA's checklist rules through the sheet validator: every mandatory field, every regex, choice and unit rule
of the six ENA checklists, each error naming its line, column, value and the rule; the short-column mapping,
ENA names as headers, units, the livestock profile and the ERC000020/43 misuse message."""

from __future__ import annotations

import csv
import io

import pytest

from nfdp_ingest.domain.checklists import get_checklist
from nfdp_ingest.domain.ena_checklists import ena_checklists
from nfdp_ingest.sheet import validate_sheet
from nfdp_ingest.sheet.template import render_template

ENA_IDS = ["ERC000011", "ERC000020", "ERC000028", "ERC000033", "ERC000043", "ERC000055"]


def _template_rows(checklist_id: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(render_template(checklist_id, "csv"))))
    return rows[0], rows[1:]


def _sheet(tmp_path, header: list[str], rows: list[list[str]], name="s.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    return path


def _bad_rows(checklist_id: str, cases: list[tuple[str, str]]):
    """The template's first row once per case, each with one column set to a bad value (new columns appended)."""
    header, rows = _template_rows(checklist_id)
    header = list(header)
    for column, _ in cases:
        if column not in header:
            header.append(column)
    out = []
    for k, (column, value) in enumerate(cases):
        row = dict(zip(header, rows[0] + [""] * (len(header) - len(rows[0]))))
        row.update(sample_alias=f"s{k}", filename_forward=f"reads/s{k}_R1.fastq.gz",
                   filename_reverse=f"reads/s{k}_R2.fastq.gz", md5_forward="", md5_reverse="")
        row[column] = value
        out.append([row[h] for h in header])
    return header, out


def _errors_at(report, line, column):
    return [e for e in report.errors if e["row"] == line and e["column"] == column]


def _column(checklist_id: str, ena_name: str) -> str:
    return next(f.name for f in get_checklist(checklist_id).fields if f.ena is not None and f.ena.name == ena_name)


@pytest.mark.parametrize("checklist_id", ENA_IDS)
def test_every_regex_choice_and_unit_rule(tmp_path, checklist_id):
    ena = ena_checklists()[checklist_id]
    cases, rules = [], []
    for f in ena.fields:
        column = _column(checklist_id, f.name)
        if f.units:
            cases.append((column, "12 furlongs"))
            rules.append(("unit", f, "furlongs", f"allowed units are {', '.join(repr(u) for u in f.units)}"))
        if f.regex:
            bad = "!!not-valid!!" + (" " + f.units[0] if f.units else "")
            cases.append((column, bad))
            rules.append(("regex", f, "!!not-valid!!", f.regex))
        if f.choices:
            cases.append((column, "Nowhere at all"))
            rules.append(("choice", f, "Nowhere at all", repr(f.choices[0]) if len(f.choices) <= 30
                          else f"one of ENA's {len(f.choices)} values"))
    assert any(kind == "regex" for kind, *_ in rules) and any(kind == "choice" for kind, *_ in rules)
    if checklist_id in ("ERC000020", "ERC000033", "ERC000043", "ERC000055"):
        assert any(kind == "unit" for kind, *_ in rules)
    header, rows = _bad_rows(checklist_id, cases)
    report = validate_sheet(_sheet(tmp_path, header, rows), checklist_id)
    for k, ((column, value), (kind, f, shown, rule)) in enumerate(zip(cases, rules)):
        line = k + 2
        found = _errors_at(report, line, column)
        assert len(found) == 1, (kind, f.name, line, column, report.to_text())
        e = found[0]
        assert e["value"] == value  # the cell as written
        assert f"{shown!r}" in e["message"] and repr(f.name) in e["message"], e["message"]
        assert rule in e["message"], (kind, e["message"])
        assert f"(ENA checklist {checklist_id})" in e["message"]
    text = report.to_text()
    assert f"line 2, column {cases[0][0]}:" in text


@pytest.mark.parametrize("checklist_id", ENA_IDS)
def test_every_mandatory_field_missing_is_an_error(tmp_path, checklist_id):
    ena = ena_checklists()[checklist_id]
    cases = [(_column(checklist_id, name), "") for name in ena.mandatory]
    header, rows = _bad_rows(checklist_id, cases)
    report = validate_sheet(_sheet(tmp_path, header, rows), checklist_id)
    for k, ((column, _), name) in enumerate(zip(cases, ena.mandatory)):
        found = _errors_at(report, k + 2, column)
        assert [e["message"] for e in found] == [
            f"required value {column} is empty (ENA checklist {checklist_id} field {name!r} is mandatory)"]
    # and a whole mandatory column absent: one sheet-level error naming ENA's field
    header, rows = _template_rows(checklist_id)
    i = header.index("collection_date")
    report = validate_sheet(_sheet(tmp_path, header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows],
                                   "absent.csv"))
    assert [e["message"] for e in report.errors] == [
        f"required column 'collection_date' is missing (checklist {checklist_id}; ENA checklist {checklist_id} "
        "field 'collection date' is mandatory)"]


def test_recommended_missing_is_a_warning(tmp_path):
    header, rows = _template_rows("ERC000043")
    report = validate_sheet(_sheet(tmp_path, header + ["collected_by"], [r + [""] for r in rows]))
    assert report.valid
    assert [(w["row"], w["column"]) for w in report.warnings] == [(None, None), (2, "collected_by"),
                                                                  (3, "collected_by")]
    assert report.warnings[0]["message"] == ("ENA checklist ERC000043 recommends 3 fields this sheet does not give: "
                                             "'geographic location (latitude)', 'geographic location (longitude)', "
                                             "'depth'")
    assert report.warnings[1]["message"] == "'collected_by' is recommended by ENA checklist ERC000043: the value is empty"


def test_short_columns_and_ena_names_reach_the_same_fields(tmp_path):
    """tissue / tissue_type, developmental_stage / dev_stage, host / 'host scientific name', and any ENA field
    written verbatim or with '_' for spaces; the sample stores ENA names for fields without a short column."""
    base = "sample_alias,organism,tax_id,{cols},platform,instrument_model,library_strategy,filename_forward\n"
    tail = ",ILLUMINA,Illumina MiSeq,WGS,a.fq\n"
    short = _sheet_text(tmp_path, "short.csv", base.format(cols="collection_date,geographic_location,tissue,"
                                                                "developmental_stage,host,cell_type")
                        + "S1,Bos taurus,9913,2023-05-14,Saudi Arabia:Riyadh,blood,adult,Bos taurus,T cell" + tail)
    long = _sheet_text(tmp_path, "long.csv", base.format(
        cols="collection date,geographic location (country and/or sea),geographic location (region and locality),"
             "tissue_type,dev_stage,host scientific name,Cell_Type")
        + "S1,Bos taurus,9913,2023-05-14,Saudi Arabia,Riyadh,blood,adult,Bos taurus,T cell" + tail)
    a, b = validate_sheet(short), validate_sheet(long)
    assert a.valid and b.valid, (a.to_text(), b.to_text())
    assert a.rows[0].sample == {"organism": "Bos taurus", "tax_id": 9913, "collection_date": "2023-05-14",
                                "geographic_location": "Saudi Arabia:Riyadh", "tissue": "blood",
                                "developmental_stage": "adult", "host": "Bos taurus", "cell_type": "T cell"}
    assert b.rows[0].sample == {**a.rows[0].sample, "geographic_location": "Saudi Arabia",
                                "geographic location (region and locality)": "Riyadh"}
    # the report names the columns as the sheet wrote them
    assert b.headers[3:9] == ["collection_date", "geographic_location_(country_and/or_sea)",
                              "geographic_location_(region_and_locality)", "tissue_type", "dev_stage",
                              "host_scientific_name"]
    bad = _sheet_text(tmp_path, "bad.csv", base.format(cols="collection date,geographic location (country and/or sea)")
                      + "S1,Bos taurus,9913,2023-05-14,Saudi Arabai" + tail)
    report = validate_sheet(bad)
    assert [(e["row"], e["column"], e["value"]) for e in report.errors] == [
        (2, "geographic_location_(country_and/or_sea)", "Saudi Arabai")]
    assert "did you mean 'Saudi Arabia'?" in report.errors[0]["message"]
    both = _sheet_text(tmp_path, "both.csv", base.format(cols="collection_date,geographic_location,tissue,tissue_type")
                       + "S1,Bos taurus,9913,2023,Saudi Arabia,blood,liver" + tail)
    assert [e["message"] for e in validate_sheet(both).errors] == [
        "column 'tissue_type' is the ENA name of column 'tissue': give the field once"]


def _sheet_text(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_units_inline_separate_or_the_only_one(tmp_path):
    base = ("sample_alias,organism,tax_id,collection_date,geographic_location,strain,{cols},platform,"
            "instrument_model,library_strategy,filename_forward\n")
    rows = ["S1,Chlorella vulgaris,3077,2024,Saudi Arabia,RS1,{v},ILLUMINA,Illumina MiSeq,WGS,s{i}.fq"]
    cases = [("depth", "12 mm"), ("depth", "12mm"), ("depth", "12"), ("water_temperature", "25 ºC"),
             ("sample_storage_temperature", "4 °C"), ("depth", "12 m"), ("water_temperature", "25 °C")]
    header = sorted({c for c, _ in cases})
    body = []
    for i, (column, value) in enumerate(cases):
        cells = ["" for _ in header]
        cells[header.index(column)] = value
        body.append(rows[0].format(v=",".join(cells), i=i).replace("S1,", f"S{i},", 1))
    path = _sheet_text(tmp_path, "u.csv", base.format(cols=",".join(header)) + "\n".join(body) + "\n")
    report = validate_sheet(path, "ERC000043")
    errors = {(e["row"], e["column"]): e["message"] for e in report.errors}
    assert set(errors) == {(7, "depth"), (8, "water_temperature")}, report.to_text()
    assert errors[(7, "depth")] == "'m' is not an allowed unit for 'depth' (ENA checklist ERC000043): allowed units are 'mm'"
    # U+00B0 (°) is not U+00BA (º): ENA's unit strings are byte-exact
    assert errors[(8, "water_temperature")] == ("'°C' is not an allowed unit for 'water temperature' (ENA checklist ERC000043): "
                                                "allowed units are 'ºC'")
    assert report.rows[2].sample["depth"] == "12"  # the only unit ENA allows is attached on export
    # a <column>_units column gives the unit of its column
    path = _sheet_text(tmp_path, "uc.csv", base.format(cols="depth,depth_units")
                       + "S1,Chlorella vulgaris,3077,2024,Saudi Arabia,RS1,12,mm,ILLUMINA,Illumina MiSeq,WGS,a.fq\n"
                       + "S2,Chlorella vulgaris,3077,2024,Saudi Arabia,RS1,12,ft,ILLUMINA,Illumina MiSeq,WGS,b.fq\n")
    report = validate_sheet(path, "ERC000043")
    assert [(e["row"], e["column"]) for e in report.errors] == [(3, "depth")]
    assert "'ft' is not an allowed unit for 'depth'" in report.errors[0]["message"]
    assert report.rows[0].sample["depth"] == "12 mm" and "depth_units" not in report.rows[0].sample
    assert not [w for w in report.warnings if w["column"] == "depth_units"]  # a known column, not unknown


def test_missing_terms_in_mandatory_fields_and_not_elsewhere(tmp_path):
    header, rows = _template_rows("ERC000011")
    header = header + ["cell_type"]
    rows = [rows[0] + ["not collected"], rows[1] + [""]]
    rows[0][header.index("collection_date")] = "missing: endangered species"
    rows[1][header.index("collection_date")] = "missing: no reason"
    rows[1][header.index("geographic_location")] = "missing: human-identifiable"
    report = validate_sheet(_sheet(tmp_path, header, rows))
    assert [(e["row"], e["column"]) for e in report.errors] == [(3, "collection_date")], report.to_text()
    assert "does not match ENA's regular expression for 'collection date'" in report.errors[0]["message"]
    warned = [w for w in report.warnings if w["column"] == "cell_type"]
    assert [w["row"] for w in warned] == [2]
    assert "missing-value term, which ENA accepts in mandatory fields only" in warned[0]["message"]
    assert report.rows[1].sample["geographic_location"] == "missing: human-identifiable"


def test_choices_are_corrected_to_enas_spelling(tmp_path):
    header, rows = _template_rows("ERC000033")
    rows[0][header.index("host_sex")] = "Female"
    rows[1][header.index("geographic_location")] = "saudi arabia:Qassim"
    report = validate_sheet(_sheet(tmp_path, header, rows))
    assert report.valid, report.to_text()
    notes = {(w["row"], w["column"]): w["message"] for w in report.warnings if w["row"]}
    assert notes == {(2, "host_sex"): "'Female' corrected to 'female' (ENA's values are case-exact)",
                     (3, "geographic_location"): "'saudi arabia' corrected to 'Saudi Arabia' (ENA's values are "
                                                 "case-exact)"}
    assert report.rows[0].sample["host sex"] == "female"  # fields without a short column: under ENA's name
    assert report.rows[1].sample["geographic_location"] == "Saudi Arabia:Qassim"


def test_collection_date_calendar_and_future(tmp_path):
    import datetime as dt

    header, rows = _template_rows("ERC000055")
    rows = [list(rows[0]) for _ in range(4)]
    for i, (value, fname) in enumerate([("2023-02-30", "a"), ("2031-01", "b"), ("2008-01-23T19:23:10Z", "c"),
                                        ("2020/2022", "d")]):
        rows[i][header.index("collection_date")] = value
        rows[i][header.index("sample_alias")] = fname
        rows[i][header.index("filename_forward")] = f"{fname}_1.fq"
        rows[i][header.index("filename_reverse")] = f"{fname}_2.fq"
    report = validate_sheet(_sheet(tmp_path, header, rows), today=dt.date(2026, 1, 1))
    assert {e["row"]: e["message"] for e in report.errors} == {
        2: "'2023-02-30' is not a calendar date", 3: "'2031-01' is in the future (today is 2026-01-01)"}


def test_livestock_profile_requires_breed_and_sex_and_brokers_erc000055(tmp_path):
    header, rows = _template_rows("nfdp_livestock")
    assert {"breed", "sex", "tissue", "developmental_stage", "host"} <= set(header)
    report = validate_sheet(_sheet(tmp_path, header, rows))
    assert report.valid and report.checklist == "nfdp_livestock"
    rows[0][header.index("breed")] = ""
    rows[1][header.index("sex")] = "hermaphrodite"
    report = validate_sheet(_sheet(tmp_path, header, rows))
    assert [(e["row"], e["column"]) for e in report.errors] == [(2, "breed"), (3, "sex")]
    assert report.errors[0]["message"] == "required value breed is empty"
    assert "'hermaphrodite' is not one of male, female, unknown" in report.errors[1]["message"]
    # the same sheet under ENA's own ERC000055: breed and sex are plain attributes, nothing is required of them
    report = validate_sheet(_sheet(tmp_path, header, rows), "ERC000055")
    assert report.errors == []
    assert get_checklist("nfdp_livestock").ena_id == "ERC000055"


@pytest.mark.parametrize("checklist_id,column,fits", [
    ("ERC000020", "serotype", "ERC000028"), ("ERC000020", "isolation_source", "ERC000028"),
    ("ERC000043", "virus_identifier", "ERC000033"), ("ERC000043", "host", "ERC000033")])
def test_pathogen_and_virus_columns_under_erc000020_and_erc000043(tmp_path, checklist_id, column, fits):
    header, rows = _template_rows(checklist_id)
    report = validate_sheet(_sheet(tmp_path, header + [column], [r + ["x"] for r in rows]))
    misuse = [e for e in report.errors if e["column"] == column]
    assert len(misuse) == 1 and misuse[0]["row"] is None
    title = ena_checklists()[checklist_id].title
    assert misuse[0]["message"] == (f"{column} is a column of the seed system's pathogen/virus use of {checklist_id}, "
                                    f"but at ENA {checklist_id} is {title!r}: use {fits} "
                                    f"({ena_checklists()[fits].title}) for such samples")
    # a plant sheet with a host is fine: 'host scientific name' is a field of ERC000020
    if checklist_id == "ERC000020":
        assert validate_sheet(_sheet(tmp_path, header, rows, "plain.csv")).valid
