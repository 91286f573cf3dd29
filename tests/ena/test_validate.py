"""`nfdp-ingest ena validate`: each negative case of ENA-FACTS §5 caught, every problem at once,
each naming the object, the field and the value; exit 1."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

from sqlalchemy import update

from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import Experiment, Project, Run, Sample

from .helpers import brokerable


def problems(cli, *args):
    res = cli("ena", "validate", *args, "--format", "json")
    body = json.loads(res.output)
    return res.exit_code, [p for p in body["problems"] if p["severity"] == "error"]


def _change(engine, model, accession, **values):
    with transaction(engine) as s:
        s.execute(update(model).where(model.accession == accession).values(**values))


def test_a_good_project_is_valid(engine, cli):
    b = brokerable(engine)
    res = cli("ena", "validate", b.project)
    assert res.exit_code == 0, res.output
    assert "valid: ENA's XSDs and rules find nothing to reject" in res.output
    assert "is not reads" in res.output  # the VCF notice


def test_every_problem_at_once_naming_object_field_and_value(engine, cli):
    b = brokerable(engine, title="Camels")  # PROJECT TITLE shorter than 20 characters (XSD)
    _change(engine, Sample, b.samples[0], collection_date=None)  # mandatory in every ENA checklist
    _change(engine, Sample, b.samples[1], collection_date="15/01/2026")  # fails ENA's regex
    _change(engine, Run, b.runs[0], checksum_md5="D41D8CD98F00B204E9800998ECF8427E")  # upper case
    _change(engine, Experiment, b.experiments[1], instrument_model="MinION")  # under ILLUMINA (XSD)
    _change(engine, Run, b.runs[3], mate_accession=None)  # a reverse file without its mate
    _change(engine, Run, b.runs[2], mate_accession=None)
    code, found = problems(cli, b.project)
    assert code == 1
    by = {(p["object"], p["field"]): p for p in found}
    assert by[(b.project, "TITLE")]["value"] == "Camels"
    assert "minLength" in by[(b.project, "TITLE")]["message"]
    assert (b.samples[0], "collection date") in by
    assert by[(b.samples[1], "collection date")]["value"] == "15/01/2026"
    assert by[(b.runs[0], "FILE@checksum")]["value"] == "D41D8CD98F00B204E9800998ECF8427E"
    assert "lower-case" in by[(b.runs[0], "FILE@checksum")]["message"]
    assert by[(b.experiments[1], "INSTRUMENT_MODEL")]["value"] == "MinION"
    assert "reverse FASTQ file without a mate" in by[(b.runs[3], "FILE")]["message"]
    assert "forward FASTQ file without a mate" in by[(b.runs[2], "FILE")]["message"]
    text = cli("ena", "validate", b.project)
    assert text.exit_code == 1
    assert f"error: sample.xml {b.samples[1]}: collection date = '15/01/2026':" in text.output


def test_hold_date_more_than_two_years_ahead(engine, cli):
    b = brokerable(engine, release_in_days=800)
    code, found = problems(cli, b.project)
    assert code == 1
    assert [p["field"] for p in found] == ["HoldUntilDate"]
    assert "more than two years ahead" in found[0]["message"]
    assert found[0]["value"] == (date.today() + timedelta(days=800)).isoformat()


def test_center_name_missing_on_every_object(engine, cli, monkeypatch):
    b = brokerable(engine)
    monkeypatch.delenv("NFDP_ENA_CENTER_NAME")
    code, found = problems(cli, b.project)
    assert code == 1
    objects = {p["object"] for p in found if p["field"] == "center_name"}
    assert {b.project, *b.samples, *b.experiments, b.runs[0], b.runs[2], b.runs[4]} <= objects
    with transaction(engine) as s:  # the project's own center name wins over the setting
        s.execute(update(Project).where(Project.accession == b.project).values(center_name="Other Centre"))
    assert problems(cli, b.project) == (0, [])


def test_a_checklist_ena_does_not_have(engine, cli):
    b = brokerable(engine)
    _change(engine, Sample, b.samples[0], checklist_id="snpchip_livestock")
    code, found = problems(cli, b.project)
    assert code == 1
    assert any(p["object"] == b.samples[0] and p["field"] == "ENA-CHECKLIST" and p["value"] == "snpchip_livestock"
               for p in found)


def test_edited_documents(engine, cli, tmp_path):
    """--dir: documents changed by hand (or by a bug) are held to the same rules."""
    b = brokerable(engine)
    out = tmp_path / "ena"
    assert cli("ena", "export", b.project, "-o", out).exit_code == 0
    run_xml = (out / "run.xml").read_text()
    pair = f'<RUN alias="{b.runs[0]}"'
    start = run_xml.index(pair)
    end = run_xml.index("</RUN>", start) + len("</RUN>")
    three = run_xml[start:end].replace("</FILES>", '<FILE filename="x/L2.fastq.gz" filetype="fastq" '
                                       'checksum_method="MD5" checksum="0123456789abcdef0123456789abcdef"/></FILES>')
    run_xml = run_xml[:start] + three + run_xml[end:]
    run_xml = run_xml.replace(f'refname="{b.experiments[1]}"', 'refname="NFDP-EXP-424242"')  # resolves nowhere
    run_xml = run_xml.replace(f'alias="{b.runs[4]}"', f'alias="{b.runs[0]}"')  # duplicate alias
    run_xml = run_xml.replace('filetype="bam"', 'filetype="bam.gz"')  # not an XSD filetype
    (out / "run.xml").write_text(run_xml)
    sample_xml = (out / "sample.xml").read_text().replace("<TAG>ENA-CHECKLIST</TAG>", "<TAG>checklist</TAG>", 1)
    sample_xml = sample_xml.replace(f'<SAMPLE alias="{b.samples[1]}"', '<SAMPLE', 1)  # no alias (XSD-valid)
    sample_xml = sample_xml.replace("<VALUE>blood</VALUE>", "<VALUE></VALUE>", 1)  # XSD-valid, ENA refuses
    second = run_xml.index("<DATA_BLOCK>", run_xml.index(f'<RUN alias="{b.runs[2]}"'))
    run_xml = run_xml[:second] + run_xml[run_xml.index("</DATA_BLOCK>", second) + len("</DATA_BLOCK>"):]
    (out / "run.xml").write_text(run_xml)
    (out / "sample.xml").write_text(sample_xml)
    sub = (out / "submission.xml").read_text()
    hold = etree_hold(sub)
    (out / "submission.xml").write_text(sub.replace(hold, "30-06-2027"))
    code, found = problems(cli, "--dir", out)
    assert code == 1
    fields = {(p["object"], p["field"]) for p in found}
    assert (b.runs[0], "FILE") in fields  # three FASTQ files, no READ_TYPE
    assert (b.runs[2], "EXPERIMENT_REF@refname") in fields
    assert (b.runs[0], "alias") in fields
    assert (b.runs[0], "FILE@filetype") in fields  # XSD enumeration
    assert (b.samples[0], "ENA-CHECKLIST") in fields
    assert any(f == "HOLD@HoldUntilDate" and p["value"] == "30-06-2027" for p in found for f in [p["field"]])
    assert ("", "alias") in fields  # the sample without an alias
    assert (b.samples[0], "tissue_type") in fields  # the attribute without a value
    assert (b.runs[2], "DATA_BLOCK") in fields  # a run without its files (XSD-valid, ENA refuses)


def etree_hold(text: str) -> str:
    start = text.index('HoldUntilDate="') + len('HoldUntilDate="')
    return text[start:text.index('"', start)]


def test_empty_set_and_broken_xml(engine, cli, tmp_path):
    b = brokerable(engine)
    out = tmp_path / "ena"
    assert cli("ena", "export", b.project, "-o", out).exit_code == 0
    (out / "experiment.xml").write_text("<?xml version='1.0' encoding='UTF-8'?>\n<EXPERIMENT_SET>\n</EXPERIMENT_SET>\n")
    (out / "project.xml").write_text("<PROJECT_SET><PROJECT")
    code, found = problems(cli, "--dir", out)
    assert code == 1
    messages = {p["document"]: p["message"] for p in found if p["document"] in ("experiment.xml", "project.xml")}
    assert "empty set" in messages["experiment.xml"]
    assert "not well-formed" in messages["project.xml"]
    shutil.rmtree(out)


def test_usage(cli):
    assert cli("ena", "validate").exit_code == 2


def test_project_center_name_from_project_create(cli, monkeypatch):
    monkeypatch.delenv("NFDP_ENA_CENTER_NAME")
    res = cli("project", "create", "--title", "Whole-genome sequencing of Arabian camels",
              "--center-name", "King Abdulaziz Camel Centre")
    assert res.exit_code == 0
    listed = json.loads(cli("project", "list", "--format", "json").output)
    assert listed[0]["center_name"] == "King Abdulaziz Camel Centre" and listed[0]["ena_accession"] is None
