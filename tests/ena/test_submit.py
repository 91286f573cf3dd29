"""`nfdp-ingest ena submit` against a local server standing in for ENA's Webin REST v2
(tests/ena/webin_standin.py: ENA cannot be reached from here) and a real FTPS server on loopback
standing in for the upload area. Every database case on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from lxml import etree
from sqlalchemy import select, update

from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import ArchiveSubmission, Experiment, Project, Run, Sample

from .conftest import PASSWORD
from .helpers import brokerable, upstream_schema


def accessions(engine, b):
    with transaction(engine) as s:
        project = s.execute(select(Project.ena_accession, Project.ena_secondary_accession)
                            .where(Project.accession == b.project)).one()
        samples = dict(s.execute(select(Sample.accession, Sample.ena_accession)).all())
        biosamples = dict(s.execute(select(Sample.accession, Sample.biosample_accession)).all())
        experiments = dict(s.execute(select(Experiment.accession, Experiment.ena_accession)).all())
        runs = dict(s.execute(select(Run.accession, Run.ena_accession)).all())
    return project, samples, biosamples, experiments, runs


def archive(engine):
    with transaction(engine) as s:
        return [(r.status, r.action, r.test, r.success) for r in
                s.execute(select(ArchiveSubmission).order_by(ArchiveSubmission.id)).scalars()]


def test_success_uploads_and_writes_every_accession_back(engine, ena_cli, webin, area, tmp_path):
    b = brokerable(engine, tmp_path / "data")
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 0, res.output
    assert PASSWORD not in res.output + res.stderr
    standin = webin.standin
    (project_acc, erp), samples, biosamples, experiments, runs = accessions(engine, b)
    assert project_acc == standin.registered[("project", b.project)] and project_acc.startswith("PRJEB")
    assert erp == standin.secondary[("project", b.project)] and erp.startswith("ERP")
    for sample in b.samples:
        assert samples[sample] == standin.registered[("sample", sample)] and samples[sample].startswith("ERS")
        assert biosamples[sample].startswith("SAMEA")
    for exp in b.experiments:
        assert experiments[exp].startswith("ERX")
    first, second = standin.registered[("run", b.runs[0])], standin.registered[("run", b.runs[2])]
    assert runs[b.runs[0]] == runs[b.runs[1]] == first  # both NFDP runs of a pair carry the ERR
    assert runs[b.runs[2]] == runs[b.runs[3]] == second != first
    assert runs[b.runs[4]].startswith("ERR") and runs[b.runs[5]] is None  # the VCF stays out
    for run, data in b.data.items():  # every file in the upload area, at the path its FILE names
        (found,) = area.root.glob(f"{b.project}/{run}/*")
        assert found.read_bytes() == data
    assert archive(engine) == [("applied", "ADD", False, True)]
    assert [m for m, p, _ in standin.requests] == ["POST"]
    assert f"project {b.project} → {project_acc}" in res.output


def test_error_receipt_prints_every_error_and_writes_nothing(engine, ena_cli, webin, tmp_path):
    b = brokerable(engine, tmp_path / "data")
    with transaction(engine) as s:  # ENA alone knows: taxon 2 (Bacteria) is not submittable (§4 #6)
        s.execute(update(Sample).values(tax_id=2))
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 1
    for sample in b.samples:
        assert f'ERROR: In sample, alias: "{sample}". Taxon Bacteria id 2 is not submittable.' in res.stderr
    (project_acc, _), samples, _, experiments, runs = accessions(engine, b)
    assert project_acc is None and not any(samples.values()) and not any(experiments.values())
    assert not any(runs.values())
    assert archive(engine) == [("rejected", "ADD", False, False)]


def test_wrong_password_is_401_and_never_printed(engine, ena_cli, ena_env, webin, tmp_path, monkeypatch):
    b = brokerable(engine, tmp_path / "data")
    monkeypatch.setenv("NFDP_WEBIN_PASSWORD", "wrong-horse-battery")
    # the upload area refuses the wrong password first; with the area's files there, Webin answers 401
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 2
    assert "wrong-horse-battery" not in res.output + res.stderr
    assert "refused" in res.stderr
    webin.standin.password = "wrong-horse-battery"  # now only Webin disagrees
    monkeypatch.setenv("NFDP_WEBIN_PASSWORD", PASSWORD)
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 2
    assert "Webin refused the credentials of Webin-99999 (HTTP 401)" in res.stderr
    assert PASSWORD not in res.output + res.stderr
    assert accessions(engine, b)[0] == (None, None)
    assert archive(engine) == [("failed", "ADD", False, None)]  # the refused exchange is kept too


def test_500_then_success(engine, ena_cli, webin, tmp_path):
    b = brokerable(engine, tmp_path / "data")
    webin.standin.fail_next = [500, 503]
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 0, res.output + res.stderr
    assert [m for m, _p, _u in webin.standin.requests] == ["POST", "POST", "POST"]
    assert accessions(engine, b)[0][0].startswith("PRJEB")


def test_a_timeout_is_retried_and_the_retry_recovers_what_the_first_try_registered(
        engine, ena_cli, webin, tmp_path, monkeypatch):
    b = brokerable(engine, tmp_path / "data")
    monkeypatch.setenv("NFDP_WEBIN_TIMEOUT", "1.5")
    webin.standin.slow_next = [5.0]  # ENA registers everything, but its answer comes too late
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 0, res.output + res.stderr
    standin = webin.standin
    assert len(standin.documents) == 2  # the retry; ENA says every object exists already
    (project_acc, _), samples, _, _, runs = accessions(engine, b)
    assert project_acc == standin.registered[("project", b.project)]
    assert runs[b.runs[1]] == standin.registered[("run", b.runs[0])]
    assert len(set(standin.registered.values())) == len(standin.registered)  # nothing registered twice


def test_big_documents_go_through_the_queue(engine, ena_cli, webin, tmp_path, monkeypatch):
    b = brokerable(engine, tmp_path / "data")
    monkeypatch.setenv("NFDP_WEBIN_SYNC_LIMIT", "100")
    webin.standin.polls_before_ready = 2
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 0, res.output + res.stderr
    calls = [(m, p.rsplit("/", 2)[-2] if "poll" in p else p.rsplit("/", 1)[-1]) for m, p, _ in webin.standin.requests]
    assert calls == [("POST", "queue"), ("GET", "poll"), ("GET", "poll"), ("GET", "poll")]
    assert accessions(engine, b)[0][0].startswith("PRJEB")


def test_rerun_adds_nothing_and_a_change_is_a_modify(engine, ena_cli, webin, area, tmp_path):
    b = brokerable(engine, tmp_path / "data")
    assert ena_cli("ena", "submit", b.project, "--quiet").exit_code == 0
    before = accessions(engine, b)
    again = ena_cli("ena", "submit", b.project)
    assert again.exit_code == 0, again.output
    assert "nothing to send: ENA has everything, unchanged" in again.output
    assert len(webin.standin.requests) == 1 and accessions(engine, b) == before
    with transaction(engine) as s:
        s.execute(update(Sample).where(Sample.accession == b.samples[1]).values(collection_date="2025-04-01"))
    exported = ena_cli("ena", "export", b.project, "-o", tmp_path / "modify-export")
    assert "modify: 1 sample" in exported.output
    for name, xsd in (("submission.xml", "SRA.submission.xsd"), ("sample.xml", "SRA.sample.xsd")):
        schema = upstream_schema(xsd)  # the MODIFY documents are valid too
        assert schema.validate(etree.parse(str(tmp_path / "modify-export" / "modify" / name))), schema.error_log
    dry = ena_cli("ena", "submit", b.project, "--dry-run", "--format", "json")
    assert json.loads(dry.output)["would"]["modify"] == {"sample": 1}
    changed = ena_cli("ena", "submit", b.project, "--quiet")
    assert changed.exit_code == 0, changed.output + changed.stderr
    sent = webin.standin.documents[-1].decode()
    assert "<MODIFY/>" in sent and b.samples[1] in sent and b.samples[0] not in sent and "<RUN " not in sent
    assert accessions(engine, b) == before
    assert [a[:2] for a in archive(engine)] == [("applied", "ADD"), ("applied", "MODIFY")]
    assert ena_cli("ena", "submit", b.project, "--quiet").exit_code == 0
    assert len(webin.standin.requests) == 2


def test_already_exists_is_recovered(engine, ena_cli, webin, tmp_path):
    """ENA holds the project and a sample from an exchange our registry never heard the end of."""
    b = brokerable(engine, tmp_path / "data")
    standin = webin.standin
    standin.registered[("project", b.project)] = "PRJEB424242"
    standin.registered[("sample", b.samples[0])] = "ERS424242"
    res = ena_cli("ena", "submit", b.project, "--quiet")
    assert res.exit_code == 0, res.output + res.stderr
    (project_acc, _), samples, _, experiments, runs = accessions(engine, b)
    assert project_acc == "PRJEB424242" and samples[b.samples[0]] == "ERS424242"
    assert samples[b.samples[1]] == standin.registered[("sample", b.samples[1])]
    assert all(experiments.values()) and runs[b.runs[0]]
    second = standin.documents[1].decode()
    assert f'alias="{b.project}"' not in second.split("<PROJECT_SET>")[0] + second.split("</SUBMISSION_SET>")[1][:0]
    assert "<PROJECT_SET>" not in second and 'accession="PRJEB424242"' in second  # referred to by accession
    assert [a[0] for a in archive(engine)] == ["recovered", "applied"]
    again = ena_cli("ena", "submit", b.project)  # recovered objects count as acknowledged: no MODIFY
    assert again.exit_code == 0 and "nothing to send" in again.output
    assert len(standin.documents) == 2


def test_test_server_accessions_stay_in_the_archive(engine, ena_cli, webin, tmp_path):
    b = brokerable(engine, tmp_path / "data")
    webin.standin.test_server = True
    res = ena_cli("ena", "submit", b.project, "--test", "--quiet")
    assert res.exit_code == 0, res.output + res.stderr
    assert "TEST server" in res.output
    (project_acc, _), samples, _, _, runs = accessions(engine, b)
    assert project_acc is None and not any(samples.values()) and not any(runs.values())
    with transaction(engine) as s:
        row = s.execute(select(ArchiveSubmission)).scalars().one()
        assert row.test and row.status == "test"
        assert row.accessions["project"][b.project]["accession"].startswith("PRJEB")
        assert "TEST submission" in row.receipt_xml
