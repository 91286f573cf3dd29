"""Crashes and concurrency for real: SIGKILLed submissions, locks, parallel writers."""

from __future__ import annotations

import json
import signal
import time

from sqlalchemy import select, text

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Submission, SubmissionItem
from tests.fixtures_files import write_fastq, write_fastq_pair, write_sparse_fastq

from .conftest import accessions, counts, popen_cli, row, run_cli, wait_for, write_sheet


def _journal(engine) -> list[str]:
    with db.transaction(engine) as s:
        return sorted(s.scalars(select(SubmissionItem.accession)))


def _no_entities(engine) -> bool:
    c = counts(engine)
    return (c["sample"], c["experiment"], c["run"]) == (0, 0, 0)


def _finish_and_compare(engine, sheet, project, cli_env, reserved):
    proc = run_cli("submit", sheet, "--project", project, "--format", "json", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    got = accessions(engine)
    assert sorted(got["sample"] + got["experiment"] + got["run"]) == [a for a in reserved]
    assert out["status"] == "committed"
    with db.transaction(engine) as s:  # one committed submission, no duplicate rows
        assert s.scalar(text("SELECT count(*) FROM submission WHERE status = 'committed'")) == 1


def test_sigkill_during_hashing_then_rerun(engine, project, tmp_path, cli_env):
    big = write_sparse_fastq(tmp_path, "big_R1.fastq", 3 * 1024**3)  # a few seconds of hashing
    small = write_fastq(tmp_path, "small.fastq.gz", mate=None)
    sheet = write_sheet(tmp_path / "s.tsv", [row("BIG", big.name, md5=False), row("SMALL", small)])
    proc = popen_cli("submit", sheet, "--project", project, "--threads", "1", env=cli_env)
    try:
        wait_for(lambda: len(_journal(engine)) == 6, what="accessions to be reserved", proc=proc)
        time.sleep(0.5)
        assert proc.poll() is None, "submission finished before it could be killed"
        assert _no_entities(engine)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    reserved = _journal(engine)
    assert _no_entities(engine)
    _finish_and_compare(engine, sheet, project, cli_env, reserved)


def test_sigkill_just_before_commit_then_rerun(engine, project, tmp_path, cli_env):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=30)
    # a big (sparse) file keeps hashing busy long enough to take the lock before the commit
    big = write_sparse_fastq(tmp_path, "big.fastq", 1536 * 1024**2)
    sheet = write_sheet(tmp_path / "s.tsv", [row("S1", fwd, rev), row("BIG", big.name, md5=False)])
    blocker = engine.connect()
    proc = None
    try:
        if engine.dialect.name == "postgresql":
            # Readers still see the table; the commit's INSERT waits on this lock.
            blocker.exec_driver_sql("LOCK TABLE sample IN EXCLUSIVE MODE")  # opens the transaction
            proc = popen_cli("submit", sheet, "--project", project, env=cli_env)
            wait_for(lambda: blocker.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE relation = 'sample'::regclass AND NOT granted").scalar() > 0,
                what="the commit to wait for the lock", proc=proc)
        else:
            proc = popen_cli("submit", sheet, "--project", project, env=cli_env)
            wait_for(lambda: len(_journal(engine)) == 7, what="accessions to be reserved", proc=proc)
            # SQLite has one writer: once hashing is done, the journal flush and commit wait here.
            blocker.exec_driver_sql("SELECT 1")  # the engine begins with BEGIN IMMEDIATE
            time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()
        assert blocker.exec_driver_sql("SELECT count(*) FROM run").scalar() == 0
        assert blocker.exec_driver_sql("SELECT count(*) FROM sample").scalar() == 0
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
    reserved = _journal(engine)
    assert len(reserved) == 7 and _no_entities(engine)
    _finish_and_compare(engine, sheet, project, cli_env, reserved)


def test_four_concurrent_submissions_get_unique_accessions(engine, project, tmp_path, cli_env):
    """Required on PostgreSQL; on SQLite it shows that writers queue instead of failing."""
    sheets = []
    for n in range(4):
        folder = tmp_path / f"batch{n}"
        rows = []
        for k in range(5):
            fwd, rev = write_fastq_pair(folder, f"S{n}_{k}", reads=10, seed=n * 10 + k)
            rows.append(row(f"S{n}_{k}", fwd, rev))
        sheets.append(write_sheet(folder / "sheet.tsv", rows))
    procs = [popen_cli("submit", s, "--project", project, "--format", "json", "--quiet", env=cli_env)
             for s in sheets]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    results = [json.loads(out) for out, _ in outs]
    runs = [r["accession"] for res in results for r in res["runs"]]
    assert len(runs) == len(set(runs)) == 40
    got = accessions(engine)
    assert len(got["sample"]) == len(set(got["sample"])) == 20
    assert sorted(runs) == got["run"]
    subs = [res["submission"] for res in results]
    assert len(set(subs)) == 4
    with db.transaction(engine) as s:
        assert set(s.scalars(select(Submission.status))) == {"committed"}
