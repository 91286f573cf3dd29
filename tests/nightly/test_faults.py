"""One nightly at a time (exit 75) and a SIGKILL mid-ingest followed by a clean re-run."""

from __future__ import annotations

import json
import signal
import time

from sqlalchemy import select, text

from nfdp_ingest.nightly import nightly_lock
from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Submission, SubmissionItem
from tests.fixtures_files import write_fastq, write_sparse_fastq
from tests.pipeline.conftest import accessions, counts, row, write_sheet

from .conftest import age, by_sheet, nightly, popen_nightly, wait_for


def _journal(engine) -> list[str]:
    with db.transaction(engine) as s:
        return sorted(s.scalars(select(SubmissionItem.accession)))


def _slow_sheet(folder, name="a_big.tsv", alias="BIG", size=3 * 1024**3):
    """A sheet whose one file takes seconds to hash (a sparse FASTQ: no disk space)."""
    folder.mkdir(parents=True, exist_ok=True)
    big = write_sparse_fastq(folder, f"{alias}_R1.fastq", size)
    sheet = write_sheet(folder / name, [row(alias, big.name, md5=False)])
    age(sheet, big)
    return sheet


def test_second_run_exits_75_at_once_while_the_first_runs(engine, project, inbox, cli_env):
    sheet = _slow_sheet(inbox / project)
    first = popen_nightly(inbox, "--settle", "0", "--threads", "1", env=cli_env)
    try:
        # the first run holds the lock once it has reserved accessions and is hashing
        wait_for(lambda: len(_journal(engine)) == 3, timeout=180, what="the first run to reserve", proc=first)
        started = time.monotonic()
        proc, out = nightly(inbox, "--settle", "0", env=cli_env, timeout=120)
        took = time.monotonic() - started
        assert first.poll() is None, "the first run ended before the second started; make its file bigger"
        assert proc.returncode == 75, (proc.returncode, proc.stderr)
        assert took < 60, f"the second run waited {took:.0f} s instead of exiting at once"
        assert "another nightly run holds the lock" in proc.stderr
        assert f"pid {first.pid}" in proc.stderr or f"pid={first.pid}" in proc.stderr, proc.stderr
        assert out is None  # no summary: it did nothing
        assert sheet.exists()  # the second run did not touch the inbox
        stdout, stderr = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["counts"]["ingested"] == 1
    # the lock is released with the run: the next one gets it
    proc, again = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr and again["sheets_found"] == 0


def test_lock_is_held_by_a_library_caller_too(engine, project, inbox, cli_env, settings):
    """The lock is the database's (PostgreSQL advisory lock) or the SQLite file's: any holder counts."""
    with nightly_lock(settings.db_url, fallback_dir=settings.data_dir) as what:
        proc, _ = nightly(inbox, "--settle", "0", env=cli_env)
        assert proc.returncode == 75, proc.stderr
        if engine.dialect.name == "postgresql":
            assert "advisory lock" in what and "advisory lock" in proc.stderr
            with engine.connect() as conn:  # visible server-wide, so it holds across machines
                held = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                         "AND granted AND database = (SELECT oid FROM pg_database "
                                         "WHERE datname = current_database())")).scalar()
            assert held == 1
        else:
            assert "nightly.lock" in proc.stderr
    proc, _ = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr


def test_sigkill_mid_ingest_then_clean_rerun(engine, project, inbox, cli_env):
    pdir = inbox / project
    big_sheet = _slow_sheet(pdir)
    small = write_fastq(pdir, "SMALL.fastq.gz", mate=None, seed=3)
    small_sheet = write_sheet(pdir / "b_small.tsv", [row("SMALL", small)])
    age(small_sheet, small.path)

    proc = popen_nightly(inbox, "--settle", "0", "--threads", "1", env=cli_env)
    try:
        wait_for(lambda: len(_journal(engine)) == 3, timeout=180, what="accessions to be reserved", proc=proc)
        time.sleep(0.5)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reserved = _journal(engine)
    # nothing half-done is visible, and no sheet is lost: both are still in the inbox
    c = counts(engine)
    assert (c["sample"], c["experiment"], c["run"]) == (0, 0, 0)
    assert big_sheet.exists() and small_sheet.exists()
    assert not (inbox / "failed").exists()

    proc, summary = nightly(inbox, "--settle", "0", env=cli_env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert summary["counts"]["ingested"] == 2
    sheets = by_sheet(summary)
    assert sheets[f"{project}/a_big.tsv"]["created"] == {"samples": 1, "experiments": 1, "runs": 1}
    got = accessions(engine)
    # the resumed submit finished with the accessions the killed run reserved
    assert set(reserved) <= set(got["sample"] + got["experiment"] + got["run"])
    assert (len(got["sample"]), len(got["experiment"]), len(got["run"])) == (2, 2, 2)
    with db.transaction(engine) as s:
        statuses = list(s.scalars(select(Submission.status)))
    assert statuses.count("committed") == 2 and len(statuses) == 2  # the killed one was resumed, not redone
    assert not big_sheet.exists() and not small_sheet.exists()
    for s in summary["sheets"]:
        assert (inbox / s["moved_to"]).exists() and (inbox / s["report_json"]).exists()

    # a third run: nothing left, nothing ingested twice
    proc, again = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0 and again["sheets_found"] == 0
    assert counts(engine)["run"] == 2


def test_crash_after_commit_before_move_files_as_duplicate(engine, project, inbox, cli_env):
    """The window between the commit and the move: the next run files it as a duplicate."""
    from tests.pipeline.conftest import run_cli

    pdir = inbox / project
    pdir.mkdir()
    small = write_fastq(pdir, "C1.fastq.gz", mate=None, seed=4)
    sheet = write_sheet(pdir / "c.tsv", [row("C1", small)])
    age(sheet, small.path)
    # what a killed nightly leaves behind: the submission committed, the sheet still in the inbox
    proc = run_cli("submit", sheet, "--project", project, "--format", "json", "--quiet", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    sub = json.loads(proc.stdout)["submission"]
    before = counts(engine)
    proc, summary = nightly(inbox, "--settle", "0", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    [s] = summary["sheets"]
    assert s["status"] == "duplicate" and s["submission"] == sub and s["moved_to"].startswith("done/")
    assert counts(engine) == before
