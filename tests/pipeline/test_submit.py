"""Submitting sheets end to end on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text

from nfdp_ingest.errors import InvalidInput
from nfdp_ingest.pipeline.errors import SheetInvalid, SubmissionFailed
from nfdp_ingest.pipeline.report import submit_text
from nfdp_ingest.pipeline.submit import submit_sheet
from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Run, Submission
from tests.fixtures_files import (
    write_bam,
    write_fastq,
    write_fastq_pair,
    write_mislabelled,
    write_vcf,
)

from .conftest import accessions, counts, row, run_cli, write_sheet

ACC = re.compile(r"^NFDP-(SAM|EXP|RUN|SUB)-\d{6}$")


@pytest.fixture
def example(tmp_path):
    """Two paired FASTQ samples (one with two lanes), a BAM and a VCF, and their sheet."""
    data = tmp_path / "data"
    a1 = write_fastq_pair(data, "A_L001", reads=40)
    a2 = write_fastq_pair(data, "A_L002", reads=40, seed=1)
    b = write_fastq_pair(data, "B_L001", reads=40, seed=2)
    bam = write_bam(data, "C.bam")
    vcf = write_vcf(data, "D.vcf.gz")
    rows = [row("A", *a1), row("A", *a2), row("B", *b), row("C", bam), row("D", vcf)]
    return write_sheet(data / "sheet.tsv", rows), {"a1": a1, "a2": a2, "b": b, "bam": bam, "vcf": vcf}


def test_submit_registers_samples_experiments_runs(settings, engine, project, example):
    sheet, files = example
    result = submit_sheet(sheet, settings, project=project, show_progress=False)
    out = result.to_dict()
    assert out["status"] == "committed" and ACC.match(out["submission"])
    # A's two lanes share one experiment: same sample + library fields
    assert len(out["samples"]) == 4 and len(out["experiments"]) == 4 and len(out["runs"]) == 8
    assert counts(engine) == {"sample": 4, "experiment": 4, "run": 8, "submission": 1}
    with db.transaction(engine) as s:
        runs = {r.filename: r for r in s.scalars(select(Run))}
    bam = runs["C.bam"]
    assert (bam.file_type, bam.checksum_md5, bam.checksum_sha256, bam.file_size) == (
        "BAM", files["bam"].md5, files["bam"].sha256, files["bam"].size)
    assert bam.read_direction == "single" and bam.file_path == str(files["bam"].path.resolve())
    assert runs["D.vcf.gz"].file_type == "VCF"
    fwd, rev = files["a1"]
    assert runs[fwd.filename].read_direction == "forward" and runs[rev.filename].read_direction == "reverse"
    assert runs[fwd.filename].experiment_id == runs[files["a2"][0].filename].experiment_id
    # each paired run knows its mate: the other file of its own sheet row, not the other lane's
    for lane in ("a1", "a2", "b"):
        f, r = (runs[x.filename] for x in files[lane])
        assert (f.mate_accession, r.mate_accession) == (r.accession, f.accession)
    assert bam.mate_accession is None and runs["D.vcf.gz"].mate_accession is None


def test_resubmitting_the_same_sheet_creates_nothing(settings, engine, project, example):
    sheet, _ = example
    first = submit_sheet(sheet, settings, project=project, show_progress=False)
    before = accessions(engine)
    again = submit_sheet(sheet, settings, project=project, show_progress=False)
    assert again.status == "unchanged" and again.submission == first.submission
    assert "nothing was written" in submit_text(again)
    assert accessions(engine) == before
    assert len(again.to_dict()["reused"]["runs"]) == 8 and again.to_dict()["runs"] == []


def test_wrong_md5_names_file_expected_actual_and_commits_nothing(settings, engine, project, tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=10)
    wrong = "0" * 32
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev, md5_reverse=wrong)])
    with pytest.raises(SubmissionFailed) as err:
        submit_sheet(sheet, settings, project=project, show_progress=False)
    message = err.value.message
    assert rev.filename in message and wrong in message and rev.md5 in message
    assert err.value.exit_code == 1
    c = counts(engine)
    assert (c["sample"], c["experiment"], c["run"]) == (0, 0, 0)
    with db.transaction(engine) as s:
        sub = s.scalar(select(Submission))
        assert sub.status == "failed" and wrong in sub.error


def test_fixed_sheet_resumes_with_the_accessions_first_reserved(settings, engine, project, tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=10)
    bad = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev, md5_forward="f" * 32)])
    with pytest.raises(SubmissionFailed):
        submit_sheet(bad, settings, project=project, show_progress=False)
    with db.transaction(engine) as s:
        reserved = sorted(s.scalars(text("SELECT accession FROM submission_item")))
    good = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev)])
    result = submit_sheet(good, settings, project=project, show_progress=False)
    got = accessions(engine)
    assert sorted(got["sample"] + got["experiment"] + got["run"]) == reserved
    with db.transaction(engine) as s:
        assert s.scalar(select(Submission.status).where(Submission.accession == result.submission)) == "committed"


def test_invalid_sheet_touches_nothing(settings, engine, project, tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=10)
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev, platform="Illumna")])
    with pytest.raises(SheetInvalid) as err:
        submit_sheet(sheet, settings, project=project, show_progress=False)
    assert "platform" in err.value.message
    assert counts(engine) == {"sample": 0, "experiment": 0, "run": 0, "submission": 0}


def test_mislabelled_file_says_what_it_really_is(settings, engine, project, tmp_path):
    fake = write_mislabelled(tmp_path, "x.fastq.gz")
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fake, md5=False)])
    with pytest.raises(SubmissionFailed) as err:
        submit_sheet(sheet, settings, project=project, show_progress=False)
    assert "x.fastq.gz" in err.value.message and "BAM" in err.value.message
    assert counts(engine)["run"] == 0


def test_missing_files_are_all_listed_before_anything_is_reserved(settings, engine, project, tmp_path):
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", "nope_R1.fastq.gz", "nope_R2.fastq.gz", md5=False)])
    with pytest.raises(SubmissionFailed) as err:
        submit_sheet(sheet, settings, project=project, show_progress=False)
    assert "nope_R1.fastq.gz" in err.value.message and "nope_R2.fastq.gz" in err.value.message
    assert counts(engine)["submission"] == 0


def test_sample_reused_across_sheets_and_conflicting_fields_refused(settings, engine, project, tmp_path):
    one = write_fastq(tmp_path, "one.fastq.gz", mate=None)
    two = write_fastq(tmp_path, "two.fastq.gz", mate=None, seed=5)
    submit_sheet(write_sheet(tmp_path / "a.tsv", [row("S1", one)]), settings, project=project, show_progress=False)
    second = submit_sheet(write_sheet(tmp_path / "b.tsv", [row("S1", two)]), settings, project=project,
                          show_progress=False)
    out = second.to_dict()
    assert out["samples"] == [] and [s["alias"] for s in out["reused"]["samples"]] == ["S1"]
    assert len(out["runs"]) == 1 and len(out["reused"]["experiments"]) == 1
    three = write_fastq(tmp_path, "three.fastq.gz", mate=None, seed=6)
    with pytest.raises(SubmissionFailed) as err:
        submit_sheet(write_sheet(tmp_path / "c.tsv", [row("S1", three, tax_id="9837")]), settings,
                     project=project, show_progress=False)
    assert "S1" in err.value.message and "tax_id" in err.value.message and "9837" in err.value.message


def test_same_filename_with_other_md5_is_a_conflict(settings, engine, project, tmp_path):
    one = write_fastq(tmp_path, "one.fastq.gz", mate=None)
    submit_sheet(write_sheet(tmp_path / "a.tsv", [row("S1", one)]), settings, project=project, show_progress=False)
    with pytest.raises(SubmissionFailed) as err:
        submit_sheet(write_sheet(tmp_path / "b.tsv", [row("S1", one, md5_forward="a" * 32)]), settings,
                     project=project, show_progress=False)
    assert "already registered" in err.value.message and one.md5 in err.value.message


def test_project_from_column_and_unknown_project(settings, engine, project, tmp_path):
    one = write_fastq(tmp_path, "one.fastq.gz", mate=None)
    sheet = write_sheet(tmp_path / "a.tsv", [row("S1", one, project_accession=project)])
    assert submit_sheet(sheet, settings, show_progress=False).project == project
    other = write_sheet(tmp_path / "b.tsv", [row("S2", one)])
    with pytest.raises(InvalidInput) as err:
        submit_sheet(other, settings, project="NFDP-PRJ-999999", show_progress=False)
    assert "NFDP-PRJ-999999" in err.value.message and "does not exist" in err.value.message


def test_dry_run_checks_everything_and_writes_nothing(settings, engine, project, tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=10)
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev)])
    result = submit_sheet(sheet, settings, project=project, dry_run=True, show_progress=False)
    assert result.status == "dry-run" and result.facts[fwd.filename]["md5"] == fwd.md5
    assert "would create" in submit_text(result)
    assert counts(engine) == {"sample": 0, "experiment": 0, "run": 0, "submission": 0}
    bad = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev, md5_forward="b" * 32)])
    with pytest.raises(SubmissionFailed):
        submit_sheet(bad, settings, project=project, dry_run=True, show_progress=False)
    assert counts(engine)["submission"] == 0


def test_deep_check_refuses_unequal_pair(settings, engine, project, tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=20, reverse_reads=19)
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev)])
    with pytest.raises(SubmissionFailed) as err:
        submit_sheet(sheet, settings, project=project, deep=True, show_progress=False)
    assert "19" in err.value.message and "20" in err.value.message
    assert counts(engine)["run"] == 0
    good_f, good_r = write_fastq_pair(tmp_path / "ok", "S2", reads=20)
    ok = write_sheet(tmp_path / "ok" / "s.tsv", [row("S2", good_f, good_r)])
    result = submit_sheet(ok, settings, project=project, deep=True, show_progress=False)
    with db.transaction(engine) as s:
        assert set(s.scalars(select(Run.read_count))) == {20}
    assert result.status == "committed"


def test_database_error_during_commit_leaves_nothing_and_exits_3(settings, engine, project, tmp_path, cli_env):
    """A real database error: a trigger that rejects run inserts (no mocks)."""
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=10)
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev)])
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER no_runs BEFORE INSERT ON run "
                                 "BEGIN SELECT RAISE(ABORT, 'run inserts disabled by test'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION no_runs() RETURNS trigger AS $$ BEGIN "
                                 "RAISE EXCEPTION 'run inserts disabled by test'; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER no_runs BEFORE INSERT ON run FOR EACH ROW EXECUTE FUNCTION no_runs()")
    proc = run_cli("submit", sheet, "--project", project, env=cli_env)
    assert proc.returncode == 3, proc.stderr
    assert "database error during commit" in proc.stderr and "Traceback" not in proc.stderr
    c = counts(engine)
    assert (c["sample"], c["experiment"], c["run"]) == (0, 0, 0)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER no_runs" + (" ON run" if engine.dialect.name != "sqlite" else ""))
    proc = run_cli("submit", sheet, "--project", project, "--format", "json", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "committed"


def test_cli_json_shape_and_exit_codes(settings, engine, project, tmp_path, cli_env):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=10)
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev)])
    proc = run_cli("submit", sheet, "--project", project, "--format", "json", "--report",
                   tmp_path / "r.html", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"submission", "status", "samples", "experiments", "runs", "reused"}
    assert all(ACC.match(r["accession"]) for r in out["runs"])
    assert out["submission"] in (tmp_path / "r.html").read_text()
    again = run_cli("submit", sheet, "--project", project, env=cli_env)
    assert again.returncode == 0 and "nothing new" in again.stdout
    bad = write_sheet(tmp_path / "bad.tsv", [row("S9", fwd, rev, library_layout="TRIPLE")])
    proc = run_cli("submit", bad, "--project", project, env=cli_env)
    assert proc.returncode == 1 and "library_layout" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("submit", tmp_path / "absent.tsv", "--project", project, env=cli_env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
