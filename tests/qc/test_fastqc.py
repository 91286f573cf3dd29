"""Real FastQC on generated FASTQ files, through the library and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nfdp_ingest.errors import InvalidInput, UsageError
from nfdp_ingest.qc import run_fastqc

from .helpers import add_project, add_run, cli, count_fastq, qc_reports, write_gc_fastq

# FastQC is part of the test environment (.ci/run installs it): a missing one fails, never skips.
pytestmark = pytest.mark.slow


@pytest.fixture
def fastq_runs(tmp_path, database_url):
    """Three FASTQ runs (two good mates with 40 % and 55 % GC, one of Phred-10 reads) and a BAM run."""
    data = tmp_path / "data"
    data.mkdir()
    files = {
        "r1": write_gc_fastq(data, "S1_R1.fastq.gz", reads=2000, gc=0.40, seed=1),
        "r2": write_gc_fastq(data, "S1_R2.fastq.gz", reads=2000, gc=0.55, seed=2),
        "lowq": write_gc_fastq(data, "lowq.fq.gz", reads=1500, gc=0.50, low_quality=True, seed=3),
    }
    project = add_project(database_url)
    other = add_project(database_url, "another project")
    runs = {
        "r1": add_run(database_url, project, alias="S1", filename="S1_R1.fastq.gz", file_path=files["r1"].path,
                      read_direction="forward"),
        "r2": add_run(database_url, project, alias="S1", filename="S1_R2.fastq.gz", file_path=files["r2"].path,
                      read_direction="reverse"),
        "lowq": add_run(database_url, other, alias="LQ", filename="lowq.fq.gz", file_path=files["lowq"].path),
        "bam": add_run(database_url, project, alias="S9", filename="s9.bam", file_path=files["r1"].path,
                       file_type="BAM"),
    }
    return {"files": files, "runs": runs, "project": project, "other": other}


def test_run_fastqc_stores_real_read_count_and_gc(settings, database_url, fastq_runs):
    files, runs = fastq_runs["files"], fastq_runs["runs"]
    results = run_fastqc(settings, threads=2)

    assert [r.run_accession for r in results] == sorted([runs["r1"], runs["r2"], runs["lowq"]])  # not the BAM
    assert all(r.ok and r.stored for r in results), [r.error for r in results]
    by_run = {r["run"]: r for r in qc_reports(database_url)}
    assert set(by_run) == {runs["r1"], runs["r2"], runs["lowq"]}
    for key in ("r1", "r2", "lowq"):
        report = by_run[runs[key]]
        reads, gc = count_fastq(files[key].path)  # an independent recount of the file
        assert report["tool"] == "FastQC"
        assert report["summary"]["total_sequences"] == reads == files[key].reads
        assert report["summary"]["gc_content"] == round(gc) == files[key].gc_percent
        assert report["summary"]["sequence_length"] == "100"
        assert report["summary"]["modules"]["Basic Statistics"] == "pass"
        assert len(report["summary"]["modules"]) >= 10
        html = Path(report["report_path"])
        assert html == (settings.qc_path / runs[key] / "fastqc_report.html").resolve()
        text = html.read_text(errors="replace")
        assert "<html" in text.lower() and Path(files[key].path).name in text
        assert (html.parent / "fastqc_data.txt").read_text().startswith("##FastQC")

    assert by_run[runs["r1"]]["status"] == "passed"
    assert by_run[runs["r2"]]["status"] == "passed"
    low = by_run[runs["lowq"]]
    assert low["status"] == "failed"
    assert low["summary"]["modules"]["Per base sequence quality"] == "fail"
    assert any("Per base sequence quality" in r for r in low["summary"]["status_reasons"])

    # nothing left to check; an explicit accession is checked again and gets a second report
    assert run_fastqc(settings) == []
    again = run_fastqc(settings, run_accessions=[runs["r1"]])
    assert [r.run_accession for r in again] == [runs["r1"]] and again[0].stored
    assert [r["tool"] for r in qc_reports(database_url, runs["r1"])] == ["FastQC", "FastQC"]


def test_an_interrupted_batch_keeps_the_reports_it_finished(settings, database_url, fastq_runs):
    runs = fastq_runs["runs"]
    seen = []

    def stop_after_the_first(result) -> None:  # the caller's progress callback dies, as a Ctrl-C would
        seen.append(result.run_accession)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_fastqc(settings, threads=1, progress=stop_after_the_first)
    first = sorted([runs["r1"], runs["r2"], runs["lowq"]])[0]
    assert seen == [first]
    assert [r["run"] for r in qc_reports(database_url)] == [first]  # committed before the interruption
    rest = run_fastqc(settings)  # the next run picks up only what is left
    assert sorted(r.run_accession for r in rest) == sorted(set(runs.values()) - {first, runs["bam"]})


def test_run_fastqc_project_selection_and_bad_requests(settings, database_url, fastq_runs):
    runs = fastq_runs["runs"]
    results = run_fastqc(settings, project=fastq_runs["other"])
    assert [r.run_accession for r in results] == [runs["lowq"]]
    assert {r["run"] for r in qc_reports(database_url)} == {runs["lowq"]}

    with pytest.raises(InvalidInput, match="no such run: NFDP-RUN-999999"):
        run_fastqc(settings, run_accessions=["NFDP-RUN-999999"])
    with pytest.raises(InvalidInput, match="FASTQ runs only"):
        run_fastqc(settings, run_accessions=[runs["bam"]])
    with pytest.raises(InvalidInput, match="no such project"):
        run_fastqc(settings, project="NFDP-PRJ-999999")
    with pytest.raises(UsageError, match="either a project or run accessions"):
        run_fastqc(settings, run_accessions=[runs["r1"]], project=fastq_runs["project"])
    with pytest.raises(UsageError, match="FastQC is not installed"):
        run_fastqc(settings, fastqc="/nonexistent/fastqc")
    assert {r["run"] for r in qc_reports(database_url)} == {runs["lowq"]}  # nothing else stored


def test_a_file_fastqc_cannot_read_is_reported_and_the_others_stored(settings, database_url, fastq_runs, tmp_path):
    broken = tmp_path / "data" / "broken_R1.fastq.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip at all")
    project = fastq_runs["project"]
    bad = add_run(database_url, project, alias="BR", filename="broken_R1.fastq.gz", file_path=broken)
    gone = add_run(database_url, project, alias="GN", filename="gone.fastq.gz", file_path=tmp_path / "gone.fastq.gz")
    results = {r.run_accession: r for r in run_fastqc(settings, threads=3)}
    assert results[bad].error and "FastQC could not analyse broken_R1.fastq.gz" in results[bad].error
    assert results[gone].error and "no longer at" in results[gone].error
    assert not results[bad].stored and not results[gone].stored
    stored = {r["run"] for r in qc_reports(database_url)}
    assert stored == {fastq_runs["runs"][k] for k in ("r1", "r2", "lowq")}


def test_cli_qc_run(cli_env, database_url, fastq_runs, tmp_path):
    runs = fastq_runs["runs"]
    proc = cli("qc", "run", "--threads", "2", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert f"{runs['r1']}  passed  2,000 reads  GC 40%  S1_R1.fastq.gz" in proc.stdout
    assert f"{runs['r2']}  passed  2,000 reads  GC 55%" in proc.stdout
    assert f"{runs['lowq']}  failed  1,500 reads  GC 50%" in proc.stdout
    assert "3 run(s): 2 passed, 0 warn, 1 failed, 0 error(s); 3 report(s) stored" in proc.stdout
    reports = {r["run"]: r for r in qc_reports(database_url)}
    assert reports[runs["r2"]]["summary"]["gc_content"] == 55.0
    assert Path(reports[runs["r1"]]["report_path"]) == (tmp_path / "var" / "qc" / runs["r1"] / "fastqc_report.html")

    proc = cli("qc", "run", env=cli_env)
    assert proc.returncode == 0 and "no FASTQ runs need checking" in proc.stdout

    # thresholds from NFDP_QC_THRESHOLDS turn a re-check into warn; JSON output
    th = tmp_path / "strict.toml"
    th.write_text("[fastqc]\nwarn_total_sequences = 1000000\n")
    proc = cli("qc", "run", runs["r1"], "--format", "json", env={**cli_env, "NFDP_QC_THRESHOLDS": str(th)})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out[0]["run_accession"] == runs["r1"] and out[0]["status"] == "warn"
    assert out[0]["summary"]["status_reasons"] == ["2000 reads, fewer than 1000000"]
    assert [r["status"] for r in qc_reports(database_url, runs["r1"])] == ["passed", "warn"]


def test_cli_qc_run_exit_codes(cli_env, database_url, fastq_runs, tmp_path):
    proc = cli("qc", "run", env={**cli_env, "NFDP_FASTQC": "/nonexistent/fastqc"})
    assert proc.returncode == 2
    assert "FastQC is not installed" in proc.stderr and "apt-get install fastqc" in proc.stderr

    bin_dir = tmp_path / "bin"  # a PATH without fastqc
    bin_dir.mkdir()
    proc = cli("qc", "run", env={**cli_env, "PATH": str(bin_dir)})
    assert proc.returncode == 2 and "FastQC is not installed" in proc.stderr

    proc = cli("qc", "run", "NFDP-RUN-999999", env=cli_env)
    assert proc.returncode == 1 and "no such run: NFDP-RUN-999999" in proc.stderr

    proc = cli("qc", "run", "--project", fastq_runs["project"], fastq_runs["runs"]["r1"], env=cli_env)
    assert proc.returncode == 2

    bad = tmp_path / "bad.toml"
    bad.write_text("[fastqc]\nmin_reads = 3\n")
    proc = cli("qc", "run", "--thresholds", str(bad), env=cli_env)
    assert proc.returncode == 2 and "unknown key 'min_reads'" in proc.stderr

    broken = tmp_path / "broken.fastq.gz"
    broken.write_bytes(b"not a fastq")
    acc = add_run(database_url, fastq_runs["project"], alias="BR", filename="broken.fastq.gz", file_path=broken)
    proc = cli("qc", "run", acc, env=cli_env)
    assert proc.returncode == 1 and "FastQC could not analyse broken.fastq.gz" in proc.stderr

    down = {**cli_env, "NFDP_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    proc = cli("qc", "run", env=down)
    assert proc.returncode == 3 and "cannot reach the database" in proc.stderr
    assert qc_reports(database_url) == []
