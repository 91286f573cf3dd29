"""The real ``nfdp-ingest nightly`` in subprocesses against a temporary inbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil

from sqlalchemy import select

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Run, Submission
from nfdp_ingest.registry.projects import create_project
from tests.fixtures_files import write_fastq, write_fastq_pair
from tests.pipeline.conftest import counts, row, write_sheet

from .conftest import age, by_sheet, nightly


def _good_sheet(folder, name, alias, seed, **extra):
    fwd, rev = write_fastq_pair(folder, alias, reads=20, seed=seed)
    sheet = write_sheet(folder / name, [row(alias, fwd, rev, **extra)])
    age(sheet, fwd.path, rev.path)
    return sheet, (fwd, rev)


def test_failing_sheet_beside_good_ones(engine, project, inbox, cli_env):
    pdir = inbox / project
    good, good_files = _good_sheet(pdir, "good.tsv", "GOOD1", seed=1)
    _top, top_files = _good_sheet(inbox, "top.tsv", "GOOD2", seed=2, project_accession=project)
    fwd, rev = write_fastq_pair(pdir, "BAD", reads=20, seed=3)
    bad = write_sheet(pdir / "bad.tsv", [row("BAD", fwd, rev, md5_reverse="0" * 32)])
    age(bad, fwd.path, rev.path)

    proc, summary = nightly(inbox, "--settle", "10m", env=cli_env)
    assert proc.returncode == 1, proc.stderr
    assert summary["exit_code"] == 1
    assert summary["counts"] == {"found": 3, "ingested": 2, "failed": 1, "duplicate": 0, "waiting": 0,
                                 "deferred": 0, "skipped": 0}
    assert summary["created"] == {"samples": 2, "experiments": 2, "runs": 4}
    assert summary["bytes"] == sum(f.size for f in (*good_files, *top_files))
    sheets = by_sheet(summary)

    # the good ones: in done/<date>/ (project folder kept), with both reports, registered
    g = sheets[f"{project}/good.tsv"]
    assert g["status"] == "ingested" and re.fullmatch(r"NFDP-SUB-\d{6,}", g["submission"])
    assert re.fullmatch(rf"done/\d{{4}}-\d{{2}}-\d{{2}}/{project}/good\.tsv", g["moved_to"])
    assert (inbox / g["moved_to"]).read_bytes().startswith(b"sample_alias")
    assert not good.exists()
    rj = json.loads((inbox / g["report_json"]).read_text())
    assert rj["status"] == "committed" and rj["nightly"]["outcome"] == "ingested"
    assert sorted(r["filename"] for r in rj["runs"]) == sorted(f.filename for f in good_files)
    assert g["report_html"] == g["moved_to"][: -len(".tsv")] + ".report.html"
    t = sheets["top.tsv"]
    assert t["status"] == "ingested" and t["project"] == project
    assert re.fullmatch(r"done/\d{4}-\d{2}-\d{2}/top\.tsv", t["moved_to"])

    # the bad one: in failed/<date>/<project>/ with a report naming the problem
    b = sheets[f"{project}/bad.tsv"]
    assert b["status"] == "failed"
    assert "md5" in b["reason"].lower() and rev.filename in b["reason"]
    assert re.fullmatch(rf"failed/\d{{4}}-\d{{2}}-\d{{2}}/{project}/bad\.tsv", b["moved_to"])
    assert not bad.exists()
    report = json.loads((inbox / b["report_json"]).read_text())
    assert report["status"] == "failed" and report["nightly"]["outcome"] == "failed"
    assert any(e["value"] == rev.filename and "md5" in e["message"].lower() for e in report["errors"])
    assert "md5" in (inbox / b["report_html"]).read_text().lower()
    assert summary["failed"] == [{"sheet": f"{project}/bad.tsv", "first_error": b["reason"],
                                  "report": b["report_json"]}]

    # nothing of the bad sheet registered; no data file moved or deleted
    c = counts(engine)
    assert (c["sample"], c["experiment"], c["run"]) == (2, 2, 4)
    with db.transaction(engine) as s:
        assert "BAD_R1_001.fastq.gz" not in set(s.scalars(select(Run.filename)))
    for f in (*good_files, *top_files, fwd, rev):
        assert f.path.exists()

    # a second run finds nothing to do and leaves the filed sheets alone
    proc, again = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert again["sheets_found"] == 0 and again["verdict"] == "nothing to do"
    assert (inbox / g["moved_to"]).exists() and (inbox / b["moved_to"]).exists()


def test_text_summary_and_plain_log_lines(engine, project, inbox, cli_env):
    _good_sheet(inbox / project, "s.tsv", "T1", seed=5)
    from tests.pipeline.conftest import run_cli

    proc = run_cli("nightly", "--inbox", inbox, "--settle", "30s", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "1 sheet found, 1 ingested, 0 failed, 0 duplicate, 0 waiting" in proc.stdout
    assert "created 1 samples, 1 experiments, 2 runs" in proc.stdout
    assert "exit 0: ok" in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and all(re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2} ", ln) for ln in lines), lines
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr  # no progress bars under cron


def test_duplicate_sheet_is_filed_as_duplicate(engine, project, inbox, cli_env):
    pdir = inbox / project
    sheet, files = _good_sheet(pdir, "sheet.tsv", "D1", seed=7)
    content = sheet.read_bytes()
    proc, first = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    before = counts(engine)
    sub = by_sheet(first)[f"{project}/sheet.tsv"]["submission"]

    # the very same sheet dropped again: same name, same content
    (pdir / "sheet.tsv").write_bytes(content)
    # and a re-typed sheet (other bytes) whose entities are all registered already
    write_sheet(pdir / "retyped.tsv", [row("D1", *files)], columns=None)
    (pdir / "retyped.tsv").write_text((pdir / "retyped.tsv").read_text() + "\n# re-typed\n")
    proc, second = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert second["counts"]["duplicate"] == 2 and second["counts"]["ingested"] == 0
    assert second["created"] == {"samples": 0, "experiments": 0, "runs": 0}
    d = by_sheet(second)[f"{project}/sheet.tsv"]
    assert d["status"] == "duplicate" and d["submission"] == sub
    # never overwrite: the second copy lands beside the first with a suffix
    assert d["moved_to"].endswith(f"{project}/sheet-2.tsv")
    first_filed = by_sheet(first)[f"{project}/sheet.tsv"]
    assert (inbox / first_filed["moved_to"]).read_bytes() == content
    assert (inbox / d["moved_to"]).read_bytes() == content
    assert json.loads((inbox / first_filed["report_json"]).read_text())["nightly"]["outcome"] == "ingested"
    rep = json.loads((inbox / d["report_json"]).read_text())
    assert rep["nightly"]["outcome"] == "duplicate" and rep["nightly"]["duplicate_of"] == sub
    assert "duplicate" in (inbox / d["report_html"]).read_text()
    assert by_sheet(second)[f"{project}/retyped.tsv"]["status"] == "duplicate"
    assert counts(engine) == before  # no new sample, experiment, run or submission
    with db.transaction(engine) as s:
        assert s.scalar(select(Submission.accession).where(Submission.status == "committed")) == sub


def test_same_sheet_name_in_two_projects_cannot_collide(engine, project, inbox, cli_env):
    other = create_project(engine, "Second")["accession"]
    _good_sheet(inbox / project, "sheet.tsv", "A1", seed=11)
    _good_sheet(inbox / other, "sheet.tsv", "B1", seed=12)
    proc, summary = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    moved = sorted(s["moved_to"] for s in summary["sheets"])
    assert [m.split("/", 2)[2] for m in moved] == sorted([f"{project}/sheet.tsv", f"{other}/sheet.tsv"])
    assert len({(inbox / m).read_bytes() for m in moved}) == 2


def test_sheet_still_being_written_waits_untouched(engine, project, inbox, cli_env):
    pdir = inbox / project
    # 1: a freshly written sheet (recent mtime) under --settle 1h
    fresh, _fresh_files = _good_sheet(pdir, "fresh.tsv", "W1", seed=21)
    age(fresh, seconds=5)
    # 2: a settled sheet whose data file is still being copied (only NAME.part exists)
    fwd = write_fastq(pdir, "W2_R1.fastq.gz", mate=None, seed=22)
    partial = write_sheet(pdir / "copying.tsv", [row("W2", fwd)])
    fwd.path.rename(str(fwd.path) + ".part")
    age(partial, str(fwd.path) + ".part")
    # 3: a settled sheet whose data file was modified a minute ago
    _late_sheet, late_files = _good_sheet(pdir, "late.tsv", "W3", seed=23)
    age(late_files[1].path, seconds=60)
    # 4: a sheet that is itself still being uploaded
    part_sheet = pdir / "upload.tsv.part"
    part_sheet.write_text("sample_alias\tor")
    snapshot = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in pdir.iterdir()}

    proc, summary = nightly(inbox, "--settle", "1h", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    sheets = by_sheet(summary)
    assert summary["counts"]["waiting"] == 4 and summary["counts"]["found"] == 4
    assert "modified" in sheets[f"{project}/fresh.tsv"]["reason"]
    assert "W2_R1.fastq.gz" in sheets[f"{project}/copying.tsv"]["reason"]
    assert late_files[1].filename in sheets[f"{project}/late.tsv"]["reason"]
    assert sheets[f"{project}/upload.tsv.part"]["status"] == "waiting"
    # untouched: nothing moved, renamed, rewritten or registered
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in pdir.iterdir()} == snapshot
    assert not (inbox / "done").exists() and not (inbox / "failed").exists()
    assert counts(engine)["run"] == 0

    # once the copies are finished and settled, the next run ingests them
    (pdir / "W2_R1.fastq.gz.part").rename(pdir / "W2_R1.fastq.gz")
    part_sheet.unlink()
    age(*pdir.iterdir())
    proc, later = nightly(inbox, "--settle", "1h", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert later["counts"]["ingested"] == 3 and later["counts"]["waiting"] == 0
    assert counts(engine)["run"] == 5


def test_infrastructure_failure_leaves_sheets_in_place(engine, project, inbox, cli_env):
    pdir = inbox / project
    a, _ = _good_sheet(pdir, "a.tsv", "I1", seed=31)
    b, _ = _good_sheet(pdir, "b.tsv", "I2", seed=32)
    env = {**cli_env, "NFDP_STORAGE": "minio", "NFDP_MINIO_ENDPOINT": "127.0.0.1:9",  # nothing listens
           "NFDP_MINIO_ACCESS_KEY": "x", "NFDP_MINIO_SECRET_KEY": "y", "NFDP_RETRY_ATTEMPTS": "2",
           "NFDP_RETRY_MAX_SECONDS": "3"}
    proc, summary = nightly(inbox, "--settle", "0", env=env)
    assert proc.returncode == 3, proc.stderr
    sheets = by_sheet(summary)
    assert sheets[f"{project}/a.tsv"]["status"] == "deferred"
    assert sheets[f"{project}/b.tsv"]["status"] == "skipped"
    assert summary["infrastructure_error"]
    assert a.exists() and b.exists()  # not moved to failed: the sheet was not at fault
    assert not (inbox / "failed").exists() and not (inbox / "done").exists()
    assert counts(engine)["run"] == 0

    # storage back (local mode here): the same sheets go through
    proc, summary = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert summary["counts"]["ingested"] == 2


def test_unreachable_database_exits_3_and_touches_nothing(inbox, tmp_path, cli_env, database_url):
    sheet = inbox / "NFDP-PRJ-000001" / "s.tsv"
    sheet.parent.mkdir()
    sheet.write_text("sample_alias\n")
    if database_url.startswith("sqlite"):
        bad = f"sqlite:///{tmp_path / 'empty' / 'no-schema.sqlite3'}"
    else:
        bad = "postgresql+psycopg://postgres@127.0.0.1:9/nope"
    proc, _ = nightly(inbox, "--settle", "0", env={**cli_env, "NFDP_DATABASE_URL": bad}, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "error:" in proc.stderr
    assert sheet.exists() and sorted(p.name for p in inbox.iterdir()) == ["NFDP-PRJ-000001"]


def test_remove_source_refused_in_local_mode(engine, project, inbox, cli_env):
    sheet, files = _good_sheet(inbox / project, "s.tsv", "R1", seed=41)
    proc, _ = nightly(inbox, "--settle", "0", "--remove-source", env=cli_env)
    assert proc.returncode == 2, proc.stderr
    assert "minio" in proc.stderr
    assert sheet.exists() and all(f.path.exists() for f in files)
    assert counts(engine)["run"] == 0


def test_files_option_and_settle_parsing(engine, project, inbox, tmp_path, cli_env):
    data = tmp_path / "data"
    fwd, rev = write_fastq_pair(data, "F1", reads=10, seed=51)
    (inbox / project).mkdir()
    sheet = write_sheet(inbox / project / "s.tsv", [row("F1", fwd, rev)])
    age(sheet, fwd.path, rev.path)
    proc, _ = nightly(inbox, "--settle", "ten minutes", env=cli_env)
    assert proc.returncode == 2 and "duration" in proc.stderr
    proc, summary = nightly(inbox, "--settle", "1h30m", "--files", data, "--threads", "1", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert summary["settle_seconds"] == 5400
    assert summary["counts"]["ingested"] == 1
    with db.transaction(engine) as s:
        paths = sorted(s.scalars(select(Run.file_path)))
    assert paths == sorted(str(f.path.resolve()) for f in (fwd, rev))


def test_other_folders_are_ignored(engine, project, inbox, cli_env):
    scratch = inbox / "scratch"
    scratch.mkdir()
    (scratch / "notes.tsv").write_text("x\n")
    done_old = inbox / "done" / "2020-01-01" / project
    done_old.mkdir(parents=True)
    (done_old / "old.tsv").write_text("sample_alias\n")
    proc, summary = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert summary["sheets_found"] == 0
    assert any(i.startswith("scratch/") for i in summary["ignored"])
    assert (scratch / "notes.tsv").exists() and (done_old / "old.tsv").exists()
    shutil.rmtree(scratch)


def test_library_uses_the_given_clock(engine, project, inbox, settings):
    """run_nightly(now=…): the date folder and the settle time follow the caller's clock."""
    from datetime import datetime, timedelta

    from nfdp_ingest.cli.nightly import parse_duration
    from nfdp_ingest.nightly import run_nightly

    assert [parse_duration(v) for v in ("0", "45", "30s", "10m", "1h", "1h30m", "2d")] == \
        [0, 45, 30, 600, 3600, 5400, 172800]
    sheet, _ = _good_sheet(inbox / project, "s.tsv", "L1", seed=81)  # files aged two hours
    mtime = datetime.fromtimestamp(sheet.stat().st_mtime).astimezone()
    early = run_nightly(settings, inbox, settle_seconds=3 * 3600, now=mtime + timedelta(hours=1))
    assert [s.status for s in early.sheets] == ["waiting"] and early.exit_code == 0
    late = run_nightly(settings, inbox, settle_seconds=3 * 3600, now=datetime(2031, 5, 6, 2, 0).astimezone())
    assert [s.status for s in late.sheets] == ["ingested"] and late.exit_code == 0
    assert (inbox / "done" / "2031-05-06" / project / "s.tsv").exists()
    assert late.to_dict()["created"] == {"samples": 1, "experiments": 1, "runs": 2}
    assert "1 ingested" in late.to_text()
