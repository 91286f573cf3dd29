"""`qc import` of a multiqc_data.json made by a real MultiQC run over real FastQC outputs."""

from __future__ import annotations

import json

import pytest

from nfdp_ingest.errors import InvalidInput, UsageError
from nfdp_ingest.qc import general_stats, import_multiqc, run_fastqc

from .helpers import (
    add_project,
    add_run,
    cli,
    qc_reports,
    run_real_fastqc,
    run_real_multiqc,
    write_gc_fastq,
)

# FastQC is part of the test environment (.ci/run installs it): a missing one fails, never skips.
pytestmark = pytest.mark.slow

# file name → (reads, GC fraction, low quality)
FILES = {
    "S1_R1.fastq.gz": (2000, 0.40, False),
    "S1_R2.fastq.gz": (2000, 0.55, False),
    "S2_1.fastq.gz": (1200, 0.45, False),  # registered as S2_R1_001.fastq.gz: matched by read suffix
    "SAMPX.fastq.gz": (1100, 0.60, False),  # registered as lane3.fq.gz of sample SAMPX: matched by alias
    "dup.fastq.gz": (1000, 0.50, False),  # two runs of this name in two projects: ambiguous
    "lowq.fq.gz": (1500, 0.50, True),
    "stranger.fastq.gz": (1000, 0.35, False),  # no such run
}


@pytest.fixture(scope="module")
def multiqc_run(tmp_path_factory):
    """FASTQ files → real FastQC → real MultiQC; the data JSON and the files."""
    root = tmp_path_factory.mktemp("multiqc")
    data = root / "fastq"
    data.mkdir()
    fastqs = {name: write_gc_fastq(data, name, reads=r, gc=gc, low_quality=lq, seed=i)
              for i, (name, (r, gc, lq)) in enumerate(FILES.items())}
    run_real_fastqc([f.path for f in fastqs.values()], root / "fastqc")
    return {"json": run_real_multiqc(root / "fastqc", root / "mq"), "fastqs": fastqs}


@pytest.fixture
def registry(database_url, multiqc_run):
    f = multiqc_run["fastqs"]
    a, b = add_project(database_url, "A"), add_project(database_url, "B")
    runs = {
        "S1_R1": add_run(database_url, a, alias="S1", filename="S1_R1.fastq.gz", file_path=f["S1_R1.fastq.gz"].path,
                         read_direction="forward"),
        "S1_R2": add_run(database_url, a, alias="S1", filename="S1_R2.fastq.gz", file_path=f["S1_R2.fastq.gz"].path,
                         read_direction="reverse"),
        "S2_1": add_run(database_url, a, alias="S2", filename="S2_R1_001.fastq.gz", read_direction="forward",
                        file_path=f["S2_1.fastq.gz"].path),
        "SAMPX": add_run(database_url, a, alias="SAMPX", filename="lane3.fq.gz", file_path=f["SAMPX.fastq.gz"].path),
        "dupA": add_run(database_url, a, alias="D1", filename="dup.fastq.gz", file_path=f["dup.fastq.gz"].path),
        "dupB": add_run(database_url, b, alias="D2", filename="dup.fastq.gz", file_path=f["dup.fastq.gz"].path),
        "lowq": add_run(database_url, b, alias="LQ", filename="lowq.fq.gz", file_path=f["lowq.fq.gz"].path),
    }
    return {"A": a, "B": b, "runs": runs}


def test_real_multiqc_json_has_the_fastqc_columns(multiqc_run):
    stats = general_stats(json.loads(multiqc_run["json"].read_text()))
    assert set(stats) == {name.split(".")[0] for name in FILES}
    assert stats["S1_R1"]["fastqc"]["total_sequences"] == 2000
    assert stats["S1_R2"]["fastqc"]["percent_gc"] == 55


def test_import_matches_by_stem_suffix_and_alias_and_lists_the_rest(settings, database_url, registry, multiqc_run):
    runs = registry["runs"]
    res = import_multiqc(settings, multiqc_run["json"])
    matched = {m.name: m for m in res.matched}
    assert {n: (m.run_accession, m.how) for n, m in matched.items()} == {
        "S1_R1": (runs["S1_R1"], "filename"),
        "S1_R2": (runs["S1_R2"], "filename"),
        "S2_1": (runs["S2_1"], "read suffix"),
        "SAMPX": (runs["SAMPX"], "sample alias"),
        "lowq": (runs["lowq"], "filename"),
    }
    unmatched = {u.name: u for u in res.unmatched}
    assert set(unmatched) == {"dup", "stranger"}
    assert unmatched["dup"].candidates == sorted([runs["dupA"], runs["dupB"]])
    assert "ambiguous" in unmatched["dup"].reason
    assert unmatched["stranger"].candidates == []

    stored = {r["run"]: r for r in qc_reports(database_url) if r["tool"] == "MultiQC"}
    assert set(stored) == {runs[k] for k in matched}
    fastqs = multiqc_run["fastqs"]
    for name, path_name in (("S1_R1", "S1_R1.fastq.gz"), ("S2_1", "S2_1.fastq.gz"), ("SAMPX", "SAMPX.fastq.gz")):
        s = stored[runs[name]]["summary"]
        assert s["total_sequences"] == fastqs[path_name].reads
        assert s["gc_content"] == fastqs[path_name].gc_percent
        assert s["sample_name"] == name and "fastqc" in s["general_stats"]
    assert stored[runs["S1_R1"]]["status"] == "passed"
    assert stored[runs["lowq"]]["status"] in ("warn", "failed")
    assert stored[runs["lowq"]]["summary"]["percent_fails"] > 0

    again = import_multiqc(settings, multiqc_run["json"])  # same file again: nothing new
    assert again.created == 0 and len(again.matched) == 5
    assert len([r for r in qc_reports(database_url) if r["tool"] == "MultiQC"]) == 5

    in_b = import_multiqc(settings, multiqc_run["json"], project=registry["B"])  # narrowing resolves 'dup'
    assert {m.name: m.run_accession for m in in_b.matched} == {"dup": runs["dupB"], "lowq": runs["lowq"]}
    assert in_b.created == 1


def test_import_of_the_old_layout_gives_the_same_reports(settings, database_url, registry, multiqc_run, tmp_path):
    new = json.loads(multiqc_run["json"].read_text())
    old = dict(new)
    old["report_general_stats_data"] = list(new["report_general_stats_data"].values())
    old["report_general_stats_headers"] = list(new["report_general_stats_headers"].values())
    path = tmp_path / "old_multiqc_data.json"
    path.write_text(json.dumps(old))
    res_old = import_multiqc(settings, path)
    res_new = import_multiqc(settings, multiqc_run["json"])
    assert len(res_old.matched) == 5 and res_old.created == 5
    assert res_new.created == 0  # identical summaries: the old layout parsed to the same thing


def test_import_refuses_what_is_not_multiqc(settings, registry, tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        import_multiqc(settings, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        import_multiqc(settings, bad)
    bad.write_text(json.dumps({"report_data_sources": {}}))
    with pytest.raises(InvalidInput, match="report_general_stats_data"):
        import_multiqc(settings, bad)


def test_cli_qc_import(cli_env, database_url, registry, multiqc_run, tmp_path):
    runs = registry["runs"]
    proc = cli("qc", "import", str(multiqc_run["json"]), env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert f"S1_R2  →  {runs['S1_R2']}  passed  2,000 reads  GC 55%  (by filename; stored)" in proc.stdout
    assert "MultiQC: 5 of 7 sample name(s) matched, 5 report(s) stored, 2 unmatched" in proc.stdout
    assert f"unmatched: dup: ambiguous: matches 2 runs ({runs['dupA']}, {runs['dupB']})" in proc.stderr
    assert "unmatched: stranger: no run" in proc.stderr

    proc = cli("qc", "import", "--strict", "--format", "json", str(multiqc_run["json"]), env=cli_env)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["created"] == 0 and [u["name"] for u in out["unmatched"]] == ["dup", "stranger"]

    only_strangers = json.loads(multiqc_run["json"].read_text())
    only_strangers["report_general_stats_data"] = {
        "fastqc": {"stranger": only_strangers["report_general_stats_data"]["fastqc"]["stranger"]}}
    path = tmp_path / "strangers.json"
    path.write_text(json.dumps(only_strangers))
    proc = cli("qc", "import", str(path), env=cli_env)
    assert proc.returncode == 1 and "no sample name matched a run; nothing stored" in proc.stderr

    proc = cli("qc", "import", str(tmp_path / "missing.json"), env=cli_env)
    assert proc.returncode == 2 and "no such file" in proc.stderr
    path.write_text("[1, 2")
    proc = cli("qc", "import", str(path), env=cli_env)
    assert proc.returncode == 1 and "not valid JSON" in proc.stderr
    assert len([r for r in qc_reports(database_url) if r["tool"] == "MultiQC"]) == 5


def test_qc_run_then_multiqc_over_the_stored_reports_then_import(settings, database_url, tmp_path):
    """The operator's loop: `qc run`, `multiqc <qc folder>`, `qc import` — values agree end to end."""
    data = tmp_path / "fq"
    data.mkdir()
    project = add_project(database_url)
    fq = {n: write_gc_fastq(data, n, reads=r, gc=gc, seed=s)
          for n, r, gc, s in (("E1_R1.fastq.gz", 2000, 0.42, 7), ("E1_R2.fastq.gz", 2000, 0.58, 8))}
    accs = {n: add_run(database_url, project, alias="E1", filename=n, file_path=f.path,
                       read_direction="forward" if "_R1" in n else "reverse") for n, f in fq.items()}
    assert all(r.stored for r in run_fastqc(settings, threads=2))
    mq_json = run_real_multiqc(settings.qc_path, tmp_path / "mq")
    res = import_multiqc(settings, mq_json)
    assert {m.run_accession for m in res.matched} == set(accs.values()) and res.unmatched == []
    for name, acc in accs.items():
        fastqc_report, multiqc_report = qc_reports(database_url, acc)
        assert (fastqc_report["tool"], multiqc_report["tool"]) == ("FastQC", "MultiQC")
        assert fastqc_report["summary"]["total_sequences"] == multiqc_report["summary"]["total_sequences"] == 2000
        assert fastqc_report["summary"]["gc_content"] == multiqc_report["summary"]["gc_content"] == fq[name].gc_percent


def test_two_names_for_one_run_are_both_left_unmatched(settings, database_url, tmp_path):
    project = add_project(database_url)
    acc = add_run(database_url, project, alias="T", filename="T9.fastq.gz")
    doc = {"report_general_stats_data": {"fastqc": {
        "T9": {"total_sequences": 5000.0, "percent_gc": 41.0},
        "T9_1": {"total_sequences": 6000.0, "percent_gc": 42.0},
    }}}
    path = tmp_path / "multiqc_data.json"
    path.write_text(json.dumps(doc))
    res = import_multiqc(settings, path)
    assert res.matched == []
    assert {u.name: u.candidates for u in res.unmatched} == {"T9": [acc], "T9_1": [acc]}
    assert all("all match run" in u.reason for u in res.unmatched)
    assert qc_reports(database_url) == []


def test_storing_more_reports_than_one_in_list_holds(engine):
    """2,000 matched runs: the look-up of stored reports is chunked, the inserts are bulk, and
    a second import of the same reports stores none."""
    from nfdp_ingest.qc import records
    from nfdp_ingest.registry.db import transaction
    from nfdp_ingest.registry.models import QCReport
    from tests.factories import make_experiment, make_project, make_run, make_sample

    with transaction(engine) as s:
        exp = make_experiment(s, make_sample(s, make_project(s)))
        ids = [make_run(s, exp).id for _ in range(2000)]
    reports = [(i, "passed", {"total_sequences": i}) for i in ids]
    assert records.store_multiqc(engine, reports) == set(ids)
    assert records.store_multiqc(engine, reports) == set()
    assert records.store_multiqc(engine, reports[:5] + [(ids[0], "warn", {"total_sequences": -1})]) == {ids[0]}
    with transaction(engine) as s:
        assert s.query(QCReport).count() == 2001
