"""`nfdp-ingest ena export`: every document valid against ENA's own XSDs (as shipped in the PyPI
package ena-upload-cli, loaded by path), in the shape ENA-FACTS §1 describes."""

from __future__ import annotations

import filecmp
from datetime import date, timedelta

from lxml import etree

from nfdp_ingest.ena import schemas

from .helpers import CENTER, brokerable, ena_upload_xsd_dir, md5, upstream_schema

SET_SCHEMAS = {"SUBMISSION_SET": "SRA.submission.xsd", "PROJECT_SET": "ENA.project.xsd",
               "SAMPLE_SET": "SRA.sample.xsd", "EXPERIMENT_SET": "SRA.experiment.xsd", "RUN_SET": "SRA.run.xsd"}


def test_shipped_xsds_are_enas_own(tmp_path):
    for name in schemas.FILES.values():
        assert filecmp.cmp(schemas.SHIPPED / name, ena_upload_xsd_dir() / name, shallow=False), name
    assert filecmp.cmp(schemas.SHIPPED / "SRA.common.xsd", ena_upload_xsd_dir() / "SRA.common.xsd", shallow=False)


def test_every_document_validates_against_the_ena_upload_cli_xsds(engine, cli, tmp_path):
    b = brokerable(engine)
    out = tmp_path / "ena"
    res = cli("ena", "export", b.project, "-o", out)
    assert res.exit_code == 0, res.output
    assert "add: 1 project, 2 samples, 3 experiments, 3 runs" in res.output
    assert f"run {b.runs[-1]} (VCF calls.vcf.gz) is not reads" in res.stderr
    for name, xsd in (("submission.xml", "SRA.submission.xsd"), ("project.xml", "ENA.project.xsd"),
                      ("sample.xml", "SRA.sample.xsd"), ("experiment.xml", "SRA.experiment.xsd"),
                      ("run.xml", "SRA.run.xsd")):
        schema = upstream_schema(xsd)
        assert schema.validate(etree.parse(str(out / name))), (name, schema.error_log)
    webin = etree.parse(str(out / "webin.xml")).getroot()
    assert webin.tag == "WEBIN" and [c.tag for c in webin] == list(SET_SCHEMAS)
    for child in webin:  # no XSD for WEBIN: each set on its own (ENA-FACTS §5)
        schema = upstream_schema(SET_SCHEMAS[child.tag])
        assert schema.validate(etree.ElementTree(etree.fromstring(etree.tostring(child)))), schema.error_log


def test_shapes_enas_documents_take(engine, cli, tmp_path):
    b = brokerable(engine, release_in_days=100)
    out = tmp_path / "ena"
    assert cli("ena", "export", b.project, "-o", out).exit_code == 0
    runs = etree.parse(str(out / "run.xml")).getroot()
    assert [r.get("alias") for r in runs] == [b.runs[0], b.runs[2], b.runs[4]]  # one RUN per pair, VCF left out
    first = runs[0]
    assert first.get("center_name") == CENTER
    files = first.findall("DATA_BLOCK/FILES/FILE")
    assert [f.get("filename") for f in files] == [f"{b.project}/{b.runs[0]}/COW_000_R1.fastq.gz",
                                                  f"{b.project}/{b.runs[1]}/COW_000_R2.fastq.gz"]
    assert [f.get("checksum") for f in files] == [md5(b.data[b.runs[0]]), md5(b.data[b.runs[1]])]
    assert all(f.get("checksum") == f.get("checksum").lower() and f.get("checksum_method") == "MD5" for f in files)
    assert first.find("EXPERIMENT_REF").get("refname") == b.experiments[0]
    assert runs[2].find("DATA_BLOCK/FILES/FILE").get("filetype") == "bam"

    exps = etree.parse(str(out / "experiment.xml")).getroot()
    paired, single = exps[0], exps[-1]
    assert paired.find("DESIGN/LIBRARY_DESCRIPTOR/LIBRARY_LAYOUT/PAIRED").get("NOMINAL_LENGTH") == "350"
    assert single.find("DESIGN/LIBRARY_DESCRIPTOR/LIBRARY_LAYOUT/SINGLE") is not None
    assert single.findtext("DESIGN/LIBRARY_DESCRIPTOR/LIBRARY_SELECTION") == "unspecified"  # never left out
    assert paired.find("STUDY_REF").get("refname") == b.project

    sample = etree.parse(str(out / "sample.xml")).getroot()[0]
    tags = {a.findtext("TAG"): a.findtext("VALUE") for a in sample.iter("SAMPLE_ATTRIBUTE")}
    assert tags["ENA-CHECKLIST"] == "ERC000011"
    assert tags["tissue_type"] == "blood" and tags["strain"] == "Boran"  # ENA's names (tissue → tissue_type)
    assert tags["collection date"] == "2025-03-14"
    assert tags["geographic location (country and/or sea)"] == "Kenya"
    assert tags["geographic location (region and locality)"] == "Nairobi"
    assert sample.findtext("SAMPLE_NAME/TAXON_ID") == "9913"

    hold = etree.parse(str(out / "submission.xml")).find(".//HOLD")
    assert hold.get("HoldUntilDate") == (date.today() + timedelta(days=100)).isoformat()
    assert all(e.get("center_name") == CENTER for e in etree.parse(str(out / "webin.xml")).iter(
        "SUBMISSION", "PROJECT", "SAMPLE", "EXPERIMENT", "RUN"))


def test_a_run_is_exported_with_its_mate_and_parents(engine, cli, tmp_path):
    b = brokerable(engine)
    out = tmp_path / "ena"
    res = cli("ena", "export", b.runs[3], "-o", out)  # the reverse file of the second pair
    assert res.exit_code == 0, res.output
    assert "add: 1 project, 1 sample, 1 experiment, 1 run" in res.output
    run = etree.parse(str(out / "run.xml")).getroot()[0]
    assert run.get("alias") == b.runs[2] and len(run.findall(".//FILE")) == 2


def test_hold_more_than_two_years_ahead_is_refused(engine, cli, tmp_path):
    b = brokerable(engine, release_in_days=900)
    res = cli("ena", "export", b.project, "-o", tmp_path / "ena")
    assert res.exit_code == 1
    assert "more than two years ahead" in res.stderr
    assert not (tmp_path / "ena").exists()
    ok = cli("ena", "export", b.project, "-o", tmp_path / "ena", "--hold-until",
             (date.today() + timedelta(days=30)).isoformat())
    assert ok.exit_code == 0


def test_unknown_accession(cli, tmp_path):
    res = cli("ena", "export", "NFDP-PRJ-999999", "-o", tmp_path / "x")
    assert res.exit_code == 1 and "no project with accession 'NFDP-PRJ-999999'" in res.stderr


def test_release_date_passed_means_release_and_none_means_two_years(engine, cli, tmp_path):
    b = brokerable(engine, release_in_days=-10)
    out = tmp_path / "ena"
    assert cli("ena", "export", b.project, "-o", out).exit_code == 0
    actions = etree.parse(str(out / "submission.xml")).find(".//ACTIONS")
    assert [a[0].tag for a in actions] == ["ADD", "RELEASE"]
    assert cli("ena", "validate", b.project).exit_code == 0
    unset = brokerable(engine, release_date=None)
    assert cli("ena", "export", unset.project, "-o", out).exit_code == 0
    hold = etree.parse(str(out / "submission.xml")).find(".//HOLD")
    assert hold.get("HoldUntilDate") == (date.today() + timedelta(days=730)).isoformat()


def test_a_sample_or_experiment_is_exported_with_its_parents(engine, cli, tmp_path):
    b = brokerable(engine)
    res = cli("ena", "export", b.samples[1], "-o", tmp_path / "s")
    assert res.exit_code == 0, res.output
    assert "add: 1 project, 1 sample, 2 experiments, 2 runs" in res.output
    assert [e.get("alias") for e in etree.parse(str(tmp_path / "s" / "sample.xml")).getroot()] == [b.samples[1]]
    res = cli("ena", "export", b.experiments[0], "-o", tmp_path / "e")
    assert "add: 1 project, 1 sample, 1 experiment, 1 run" in res.output
    assert [e.get("alias") for e in etree.parse(str(tmp_path / "e" / "run.xml")).getroot()] == [b.runs[0]]


def test_export_never_deletes_what_is_not_its_own(engine, cli, tmp_path):
    b = brokerable(engine)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    res = cli("ena", "export", b.project, "-o", tmp_path / "mine")
    assert res.exit_code == 2 and "holds files that are not ENA documents (notes.txt)" in res.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    assert cli("ena", "export", b.project, "-o", tmp_path / "out").exit_code == 0
    assert cli("ena", "export", b.project, "-o", tmp_path / "out").exit_code == 0  # an earlier export is replaced
