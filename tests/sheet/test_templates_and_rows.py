"""Templates validate clean; the seed's bulk-template layout loads unchanged; rows parse as promised."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from nfdp_ingest.errors import UsageError
from nfdp_ingest.sheet import SheetFile, SheetRow, get_checklist, list_checklists, validate_sheet
from nfdp_ingest.sheet.template import render_template, template_columns

IDS = ["ERC000011", "ERC000020", "ERC000028", "ERC000033", "ERC000043", "ERC000055", "nfdp_livestock",
       "snpchip_livestock"]
SEED = Path(__file__).resolve().parents[1] / "data" / "seed_checklists"  # the seed system's own definitions


def test_list_checklists():
    items = list_checklists()
    assert [c["id"] for c in items] == IDS
    req = {c["id"]: c["required"] for c in items}
    # ENA's mandatory fields (collection date and country in every checklist since 2023), as sheet columns
    assert req["ERC000011"] == req["ERC000055"] == ["organism", "tax_id", "collection_date", "geographic_location"]
    assert req["ERC000043"] == ["organism", "tax_id", "collection_date", "geographic_location", "strain"]
    assert req["ERC000020"] == ["organism", "tax_id", "project_name", "collection_date",
                                "geographic_location_(latitude)", "geographic_location_(longitude)",
                                "broad_scale_environmental_context", "local_environmental_context",
                                "environmental_medium", "geographic_location"]
    assert req["ERC000028"] == ["organism", "tax_id", "isolation_source", "collection_date", "geographic_location",
                                "host_health_state", "host", "isolate"]
    assert req["nfdp_livestock"] == req["ERC000055"] + ["breed", "sex"]
    assert len(req["snpchip_livestock"]) == 18
    titles = {c["id"]: c["title"] for c in items}
    assert titles["ERC000020"] == "GSC MIxS plant associated"
    assert titles["ERC000043"] == "ENA Marine Microalgae Checklist"
    assert titles["ERC000055"] == "GSC MIxS agriculture"
    brokered = {c["id"]: c["ena_checklist"] for c in items}
    assert brokered["nfdp_livestock"] == "ERC000055" and brokered["snpchip_livestock"] is None
    assert all(brokered[i] == i for i in IDS[:6])


def test_checklist_field_definitions():
    snp = get_checklist("snpchip_livestock")
    assert snp.field("chip_manufacturer").allowed == ("Illumina", "Affymetrix", "Thermo Fisher")
    assert snp.field("chip_density").allowed == ("Low", "Medium", "High", "HD")
    assert snp.field("call_rate").type == "number" and (snp.field("call_rate").min, snp.field("call_rate").max) == (0, 1)
    assert snp.field("total_snps_on_chip").type == "integer"
    assert {f.name for f in snp.fields if not f.required} == {"chip_version", "cluster_file", "het_rate", "missing_rate"}
    livestock = get_checklist("nfdp_livestock")
    assert livestock.field("sex").allowed == ("male", "female", "unknown") and livestock.field("sex").required
    assert livestock.field("breed").required and livestock.field("breed").ena is None  # a plain attribute
    e55 = get_checklist("ERC000055")
    assert len([f for f in e55.fields if f.ena is not None]) == 177
    assert e55.field("sex").ena is None and not e55.field("sex").required  # no sex field in ERC000055
    assert e55.field("geographic_location").ena.name == "geographic location (country and/or sea)"
    assert e55.field("host").ena.name == "host scientific name"
    assert e55.field("humidity").ena.units == ("g/m3",)
    assert e55.field("soil_horizon").ena.choices[:2] == ("A horizon", "B horizon")
    e11 = get_checklist("ERC000011")
    assert e11.field("tissue").ena.name == "tissue_type" and e11.field("developmental_stage").ena.name == "dev_stage"
    assert e11.field("collection_date").ena.regex.startswith("(^[12][0-9]{3}")
    assert get_checklist("erc000011").id == "ERC000011"  # case-insensitive lookup
    with pytest.raises(UsageError, match="unknown checklist"):
        get_checklist("ERC123")


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
@pytest.mark.parametrize("checklist", IDS)
def test_template_validates_clean(tmp_path, checklist, fmt):
    path = tmp_path / f"template.{fmt}"
    path.write_text(render_template(checklist, fmt))
    report = validate_sheet(path)  # the checklist comes from the template: TSV's comment, CSV's column
    assert report.checklist == checklist
    assert report.valid, report.to_text()
    assert report.errors == []
    # the one note a template may get: ENA's recommended fields, which it leaves out
    assert [w["message"].split(" recommends")[0] for w in report.warnings] == (
        [f"ENA checklist {get_checklist(checklist).ena_id}"] if get_checklist(checklist).recommended_fields else [])
    assert len(report.rows) == 2
    cols = template_columns(get_checklist(checklist))
    if fmt == "csv":
        cols = ["checklist", *cols]
        assert all("checklist" not in r.sample for r in report.rows)  # it names the sheet, not a sample field
    assert report.headers == cols
    for c in ["sample_alias", "platform", "instrument_model", "library_strategy", "library_source",
              "library_selection", "library_layout", "insert_size", "library_name", "filename_forward",
              "filename_reverse", "md5_forward", "md5_reverse", "project_accession"]:
        assert c in cols


@pytest.mark.parametrize("checklist", IDS)
def test_csv_template_starts_with_its_header(checklist):
    text = render_template(checklist, "csv")
    first = next(csv.reader(io.StringIO(text)))
    assert first == ["checklist", *template_columns(get_checklist(checklist))]
    assert not text.startswith("#")


def _csv_with_checklists(tmp_path, values: list[str]):
    rows = list(csv.reader(io.StringIO(render_template("ERC000055", "csv"))))
    rows.append([*rows[-1]])
    for column, value in (("sample_alias", "demo-sample-003"), ("filename_forward", "reads/s3_R1.fq.gz"),
                          ("filename_reverse", "reads/s3_R2.fq.gz")):
        rows[-1][rows[0].index(column)] = value
    for r, value in zip(rows[1:], values):
        r[0] = value
    path = tmp_path / "t.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def test_csv_checklist_column_picks_the_checklist_and_empty_cells_follow(tmp_path):
    report = validate_sheet(_csv_with_checklists(tmp_path, ["erc000055", "", "ERC000055"]))
    assert report.checklist == "ERC000055"
    assert report.errors == [], report.to_text()


def test_csv_checklist_column_must_agree_across_rows(tmp_path):
    report = validate_sheet(_csv_with_checklists(tmp_path, ["ERC000055", "ERC000055", "ERC000011"]))
    assert report.checklist == "ERC000055" and not report.valid
    assert [(e["row"], e["column"], e["value"]) for e in report.errors] == [(4, "checklist", "ERC000011")]
    assert "differs from 'ERC000055' on line 2" in report.errors[0]["message"]


def seed_bulk_template(checklist_id: str) -> str:
    """The seed system's bulk template layout: sample_alias, the seed's checklist fields (its own definitions,
    kept in tests/data/seed_checklists), files, md5s, strategy, platform, model."""
    fields = json.loads((SEED / f"{checklist_id}.json").read_text())["fields"]
    header = (["sample_alias"] + [f["name"] for f in fields] + ["filename_forward", "filename_reverse",
                                                                 "md5_forward", "md5_reverse", "library_strategy",
                                                                 "platform", "instrument_model"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for i in (1, 2):
        row = {"sample_alias": f"seed-{i}"}
        for f in fields:
            row[f["name"]] = str(f["example"] if i == 1 or f.get("example2") is None else f["example2"])
        row.update({"filename_forward": f"seed{i}_R1.fastq.gz", "filename_reverse": f"seed{i}_R2.fastq.gz",
                    "md5_forward": f"{i:032x}", "md5_reverse": f"{i + 10:032X}", "library_strategy": "WGS",
                    "platform": "ILLUMINA", "instrument_model": "Illumina NovaSeq 6000"})
        w.writerow([row[h] for h in header])
    return buf.getvalue()


DERIVED = {"library_source", "library_selection", "library_layout"}


@pytest.mark.parametrize("checklist", ["ERC000011", "ERC000055", "nfdp_livestock"])
def test_seed_bulk_template_loads_unchanged(tmp_path, checklist):
    path = tmp_path / "bulk.csv"
    path.write_text(seed_bulk_template("ERC000055" if checklist == "nfdp_livestock" else checklist))
    report = validate_sheet(path, checklist)
    assert report.valid, report.to_text()
    # derived columns are announced once per sheet, not once per row; breed, sex, tissue... are known columns
    assert all(w["row"] is None for w in report.warnings)
    assert {w["column"] for w in report.warnings} - {None} == DERIVED
    notes = [w["message"] for w in report.warnings if w["column"] is None]
    if checklist == "ERC000011":
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith("ENA checklist ERC000055 recommends 59 fields")
    row = report.rows[0]
    assert row.experiment["library_layout"] == "PAIRED"
    assert row.experiment["library_source"] == "GENOMIC"
    assert row.experiment["library_selection"] == "unspecified"
    assert row.files[1].md5 == f"{11:032x}"  # stored lower-case
    if checklist != "ERC000011":
        assert row.sample == {"organism": "Camelus dromedarius", "tax_id": 9838, "collection_date": "2023-09-01",
                              "geographic_location": "Saudi Arabia:Al Ahsa", "breed": "Majaheem", "sex": "female",
                              "tissue": "blood", "developmental_stage": "adult", "host": "Camelus dromedarius"}


@pytest.mark.parametrize("seed,fits", [("ERC000020", "ERC000028"), ("ERC000043", "ERC000033")])
def test_seed_pathogen_and_virus_templates_are_told_which_ena_checklist_fits(tmp_path, seed, fits):
    """The seed system's ERC000020 (pathogen) and ERC000043 (virus) templates load — every column read — but at
    ENA those ids are plant-associated and marine microalgae checklists: the error names the one that fits."""
    path = tmp_path / "bulk.csv"
    path.write_text(seed_bulk_template(seed))
    report = validate_sheet(path, seed)
    assert not report.valid and report.total_rows == 2
    misuse = [e for e in report.errors if f"use {fits} (" in e["message"]]
    assert len(misuse) == 1 and misuse[0]["row"] is None
    assert "seed system's pathogen/virus use of " + seed in misuse[0]["message"]
    assert report.headers[:3] == ["sample_alias", "organism", "tax_id"]
    # under the checklist that fits, what is left are that checklist's own mandatory fields
    other = validate_sheet(path, fits)
    assert not [e for e in other.errors if "seed system" in e["message"]]
    assert {e["column"] for e in other.errors} <= {"host_health_state", "isolate", "host_common_name",
                                                   "host_subject_id", "host_sex", "collector_name",
                                                   "collecting_institution"}
    assert all(e["row"] is None and "required column" in e["message"] for e in other.errors)


def test_rows_have_the_contract_shape(tmp_path):
    path = tmp_path / "s.tsv"
    path.write_text(
        "sample_alias\tproject_accession\torganism\ttax_id\tcollection_date\tgeographic_location\tplatform\tinstrument_model\t"
        "library_strategy\tlibrary_layout\tinsert_size\tlibrary_name\tfilename_forward\tfilename_reverse\t"
        "md5_forward\tmd5_reverse\textra_note\n"
        "A\tnfdp-prj-000001\tBos taurus\t9913\t2020\tSaudi Arabia:Riyadh\tILLUMINA\tIllumina MiSeq\tWGS\tPAIRED\t300\tL1\t"
        "a_1.fq.gz\ta_2.fq.gz\tD41D8CD98F00B204E9800998ECF8427E\t\tkept\n"
        "A\tnfdp-prj-000001\tBos taurus\t9913\t2020\tSaudi Arabia:Riyadh\t\tMinION\tWGS\tSINGLE\t\t\ta.fastq\t\t\t\tkept\n"
        "B\t\tOvis aries\t9940\tnot collected\tmissing: lab stock\tILLUMINA\tunspecified\tWGS\tPAIRED\t\t\tb.bam\t\t\t\t\n")
    report = validate_sheet(path)
    assert report.valid, report.to_text()
    r1, r2, r3 = report.rows
    assert isinstance(r1, SheetRow) and dataclasses.is_dataclass(r1)
    assert (r1.line, r2.line, r3.line) == (2, 3, 4)
    assert r1.sample_alias == "A" and r1.project_accession == "NFDP-PRJ-000001"
    assert r1.sample == {"organism": "Bos taurus", "tax_id": 9913, "collection_date": "2020",
                         "geographic_location": "Saudi Arabia:Riyadh", "extra_note": "kept"}
    assert r1.experiment == {"platform": "ILLUMINA", "instrument_model": "Illumina MiSeq", "library_strategy": "WGS",
                             "library_source": "GENOMIC", "library_selection": "unspecified",
                             "library_layout": "PAIRED", "insert_size": 300, "library_name": "L1"}
    assert r1.files == (SheetFile("forward", "a_1.fq.gz", "d41d8cd98f00b204e9800998ecf8427e", "filename_forward"),
                        SheetFile("reverse", "a_2.fq.gz", None, "filename_reverse"))
    assert r2.experiment["platform"] == "OXFORD_NANOPORE"  # derived from the instrument
    assert r2.files == (SheetFile("single", "a.fastq", None, "filename_forward"),)
    assert r3.project_accession is None and r3.sample["collection_date"] == "not collected"
    assert r3.sample["geographic_location"] == "missing: lab stock"  # an INSDC missing term, from ENA's list
    assert r3.files == (SheetFile("single", "b.bam", None, "filename_forward"),)  # PAIRED BAM: one file
    # equal to what the dataclass constructor builds (rows are made with a fast path)
    assert r2 == SheetRow(**{f.name: getattr(r2, f.name) for f in dataclasses.fields(SheetRow)})
    assert hash(r1.files[0]) == hash(SheetFile("forward", "a_1.fq.gz", "d41d8cd98f00b204e9800998ecf8427e",
                                               "filename_forward"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r1.line = 5  # type: ignore[misc]


def test_snpchip_numbers_are_typed(tmp_path):
    path = tmp_path / "snp.tsv"
    path.write_text(render_template("snpchip_livestock"))
    report = validate_sheet(path)
    s = report.rows[0].sample
    assert s["total_snps_on_chip"] == 54241 and isinstance(s["total_snps_on_chip"], int)
    assert s["call_rate"] == pytest.approx(0.977) and isinstance(s["call_rate"], float)
    assert s["chip_manufacturer"] == "Illumina"
    assert report.rows[0].files[0].direction == "single"


def test_explicit_checklist_overrides_the_comment(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(render_template("ERC000011"))
    report = validate_sheet(path, "ERC000055")
    assert report.checklist == "ERC000055"
    assert any("declares checklist 'ERC000011'" in w["message"] for w in report.warnings)


def test_rows_are_a_list_built_once_on_first_use(tmp_path):
    import pickle

    path = tmp_path / "t.tsv"
    path.write_text(render_template("ERC000011"))
    report = validate_sheet(path)
    rows = report.rows
    assert isinstance(rows, list)
    assert len(rows) == 2 and bool(rows)
    assert [r.sample_alias for r in rows] == ["demo-sample-001", "demo-sample-002"]
    assert rows[-1].line == 4 and report.rows is rows  # built once
    assert pickle.loads(pickle.dumps(report)).rows == rows  # plain data: the report pickles, rows and all
    empty = validate_sheet(DATA_BAD / "header_only.tsv").rows
    assert empty == [] and not empty and len(empty) == 0


DATA_BAD = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "sheets" / "bad"
