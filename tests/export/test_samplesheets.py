"""nf-core sample sheets per pipeline and project shape, validated as nf-schema would."""

from __future__ import annotations

import csv
import io

import pytest

from nfdp_ingest.export.samplesheets import PIPELINES
from nfdp_ingest.export.samplesheets.sheet import SheetError, prepare

from .nfschema import validate
from .trees import LAYOUTS, build

BASE = "https://nfdp.example.org"

# pipeline → layouts whose sheet is refused (SheetError), with a word of the message.
REFUSED = {
    "sarek": {"single": "single-end", "mixed": "single-end"},
    "mag": {"mixed": "--single_end"},
    "ampliseq": {"mixed": "--single_end"},
}
# pipeline → does it take long reads?
LONG_OK = {"fetchngs", "taxprofiler", "mag", "ampliseq"}
FILE_COLUMNS = {name: tuple(p.patterns) for name, p in PIPELINES.items()}


def _sheet(engine, acc, pipeline, **kw):
    kw.setdefault("storage_mode", "local")
    kw.setdefault("base_url", BASE)
    sheet = prepare(engine, acc, pipeline, **kw)
    return sheet, "".join(sheet.chunks())


def _refs_to_runs(text: str, pipeline: str, tree: dict) -> list[list[str]]:
    """Per row, the run accessions its file cells name (by file name)."""
    by_name = {name: acc for acc, (name, _path) in tree["runs"].items()}
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        accs = [by_name[row[c].rsplit("/", 1)[-1]] for c in FILE_COLUMNS[pipeline] if row.get(c)]
        out.append(accs)
    return out


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_sheet_is_valid_and_loses_no_run(engine, pipeline, layout):
    tree = build(engine, LAYOUTS[layout])
    refused = REFUSED.get(pipeline, {}).get(layout)
    if refused:
        with pytest.raises(SheetError) as exc:
            _sheet(engine, tree["project"], pipeline)
        assert refused in exc.value.message
        return
    sheet, text = _sheet(engine, tree["project"], pipeline)
    header = text.splitlines()[0].replace('"', "").split(",")
    assert header == list(PIPELINES[pipeline].columns)
    if pipeline != "fetchngs":
        assert validate(pipeline, text) == []
    else:  # fetchngs' output is fed to rnaseq/taxprofiler/viralrecon: its core is the template's
        assert validate("generic", text) == []
        assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines())
    if pipeline == "viralrecon":  # 2.6.0's Python checker: positional header, endswith
        assert text.startswith("sample,fastq_1,fastq_2")
    rows = _refs_to_runs(text, pipeline, tree)
    named = [acc for row in rows for acc in row]
    skipped = [s.accession for s in sheet.skipped]
    assert len(named) == len(set(named)), "a run appears twice"
    assert sorted(named + skipped) == sorted(tree["runs"]), "a run was lost"
    assert sheet.rows_count == len(rows)
    for fwd, rev in tree["pairs"]:  # the mates share a row, forward first
        if fwd in named:
            assert [fwd, rev] in rows
    for s in sheet.skipped:
        name = tree["runs"][s.accession][0]
        if name.endswith((".bam", ".vcf.gz")):
            assert s.code == "not-fastq"
        else:
            # ampliseq takes PacBio (--pacbio) but not Nanopore
            assert s.code == "long-reads" and (pipeline not in LONG_OK or pipeline == "ampliseq")


@pytest.mark.parametrize("paths", ["https", "local", "s3"])
def test_references_per_mode_pass_the_patterns(engine, paths):
    tree = build(engine, LAYOUTS["lanes"], root="/srv/nfdp/raw")
    storage = "minio" if paths == "s3" else "local"
    if paths == "s3":
        tree = build(engine, LAYOUTS["paired"], path_of=lambda n: f"nfdp-raw/P/S/R/{n}")
    for pipeline in ("rnaseq", "sarek", "taxprofiler", "mag", "ampliseq", "viralrecon", "generic"):
        _sheet_, text = _sheet(engine, tree["project"], pipeline, storage_mode=storage, paths=paths)
        assert validate(pipeline, text) == [], pipeline
        cells = [row[c] for row in csv.DictReader(io.StringIO(text)) for c in FILE_COLUMNS[pipeline] if row.get(c)]
        assert cells
        prefix = {"https": f"{BASE}/api/v1/runs/NFDP-RUN-", "local": "/srv/nfdp/raw/",
                  "s3": "s3://nfdp-raw/P/S/R/"}[paths]
        assert all(c.startswith(prefix) for c in cells), cells[:2]


def test_paths_that_do_not_fit_the_storage_are_refused(engine):
    tree = build(engine, LAYOUTS["paired"])
    with pytest.raises(ValueError, match="needs MinIO"):
        _sheet(engine, tree["project"], "rnaseq", paths="s3")
    with pytest.raises(ValueError, match="needs local storage"):
        _sheet(engine, tree["project"], "rnaseq", storage_mode="minio", paths="local")


def test_lanes_per_pipeline(engine):
    tree = build(engine, LAYOUTS["lanes"])
    _s, text = _sheet(engine, tree["project"], "sarek")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["sample"], r["lane"]) for r in rows] == [("S_E", "L1"), ("S_E", "L2"), ("S_E", "L3"),
                                                        ("S_F", "L1"), ("S_F", "L2")]
    _s, text = _sheet(engine, tree["project"], "rnaseq")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["sample"] for r in rows] == ["S_E"] * 3 + ["S_F"] * 2  # repeated rows, concatenated by rnaseq
    assert {r["strandedness"] for r in rows} == {"auto"}
    _s, text = _sheet(engine, tree["project"], "ampliseq")
    assert [r["sampleID"] for r in csv.DictReader(io.StringIO(text))] == [
        "S_E", "S_E_L2", "S_E_L3", "S_F", "S_F_L2"]
    _s, text = _sheet(engine, tree["project"], "taxprofiler")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len({(r["sample"], r["run_accession"]) for r in rows}) == 5
    assert {r["instrument_platform"] for r in rows} == {"ILLUMINA"}


def test_long_reads_in_mag_and_taxprofiler(engine):
    tree = build(engine, LAYOUTS["mixed"])
    _s, text = _sheet(engine, tree["project"], "taxprofiler")
    rows = list(csv.DictReader(io.StringIO(text)))
    ont = [r for r in rows if r["instrument_platform"] == "OXFORD_NANOPORE"]
    assert len(ont) == 2 and all(r["fastq_1"] and not r["fastq_2"] for r in ont)
    tree = build(engine, LAYOUTS["long"])
    _s, text = _sheet(engine, tree["project"], "mag")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["long_reads_platform"] for r in rows] == ["OXFORD_NANOPORE", "PACBIO_HIFI"]
    assert all(r["long_reads"] and not r["short_reads_1"] for r in rows)


def test_strandedness_from_the_sample(engine):
    tree = build(engine, LAYOUTS["paired"], attributes={"S_A": {"strandedness": "reverse"}})
    _s, text = _sheet(engine, tree["project"], "rnaseq")
    assert [r["strandedness"] for r in csv.DictReader(io.StringIO(text))] == ["reverse", "auto"]


def test_numeric_ids_are_prefixed_or_refused(engine):
    tree = build(engine, [("123", [("ILLUMINA", ["pair"])]), ("1e5", [("ILLUMINA", ["pair"])]),
                          ("true", [("ILLUMINA", ["pair"])])])
    for pipeline in ("rnaseq", "sarek", "mag", "generic", "viralrecon", "taxprofiler"):
        _s, text = _sheet(engine, tree["project"], pipeline)
        assert validate(pipeline, text) == [], pipeline
        samples = [r["sample"] for r in csv.DictReader(io.StringIO(text))]
        assert samples == ["S123", "S1e5", "Strue"], pipeline
    _s, text = _sheet(engine, tree["project"], "ampliseq")
    assert [r["sampleID"] for r in csv.DictReader(io.StringIO(text))] == ["S123", "S1e5", "Strue"]
    with pytest.raises(SheetError) as exc:
        _sheet(engine, tree["project"], "rnaseq", numeric_ids="refuse")
    assert "'123'" in exc.value.message and "int" in exc.value.message and tree["samples"][0] in exc.value.message


def test_sarek_single_end_message_names_the_run(engine):
    tree = build(engine, LAYOUTS["single"])
    with pytest.raises(SheetError) as exc:
        _sheet(engine, tree["samples"][0], "sarek")
    first = next(iter(tree["runs"]))
    assert first in exc.value.message and "paired-end FASTQ only" in exc.value.message
    assert exc.value.exit_code == 1


def test_scopes_and_unknowns(engine):
    from nfdp_ingest.export.lookup import UnknownAccession

    tree = build(engine, LAYOUTS["lanes"])
    sheet, _t = _sheet(engine, tree["samples"][1], "generic")
    assert sheet.rows_count == 2
    sheet, _t = _sheet(engine, tree["experiments"][0], "generic")
    assert sheet.rows_count == 3
    with pytest.raises(UnknownAccession):
        _sheet(engine, "NFDP-PRJ-999999", "generic")
    with pytest.raises(UnknownAccession):
        _sheet(engine, next(iter(tree["runs"])), "generic")  # a run is not a sheet scope
    with pytest.raises(ValueError, match="unknown pipeline"):
        _sheet(engine, tree["project"], "nanoseq")


def test_odd_runs_are_kept_or_listed(engine):
    tree = build(engine, [("S_M", [("ILLUMINA", ["pair", "plain"])]), ("S_N", [("ILLUMINA", ["reverse"])])])
    sheet, text = _sheet(engine, tree["project"], "generic")
    assert {s.code for s in sheet.skipped} == {"file-name"}  # uncompressed: not the template's .fastq.gz
    assert len(sheet.skipped) == 2 and "pattern" in sheet.skipped[0].reason
    rows = _refs_to_runs(text, "generic", tree)
    assert [len(r) for r in rows] == [2, 1]  # the lone reverse file: a single-end row
    assert validate("generic", text) == []
    sheet, text = _sheet(engine, tree["project"], "rnaseq")  # rnaseq >= 3.23 takes plain .fastq
    assert not sheet.skipped and sheet.rows_count == 3
    assert validate("rnaseq", text) == []


def test_mixed_endedness_in_one_sample_is_refused_where_the_pipeline_would_stop(engine):
    tree = build(engine, [("S_O", [("ILLUMINA", ["pair", "single"])])])
    for pipeline in ("rnaseq", "generic", "viralrecon"):
        with pytest.raises(SheetError, match="mixes single-end and paired-end"):
            _sheet(engine, tree["project"], pipeline)
    sheet, text = _sheet(engine, tree["project"], "taxprofiler")
    assert sheet.rows_count == 2 and validate("taxprofiler", text) == []
