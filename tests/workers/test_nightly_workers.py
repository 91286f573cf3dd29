"""The nightly scan on workers: two scans at once enqueue each sheet once; every sheet is
ingested exactly once, filed into done/ with its report."""

from __future__ import annotations

import subprocess
import time

import pytest
from fixtures_files import write_fastq
from sqlalchemy import func, select

from nfdp_ingest.registry.models import Run, Submission
from tests.pipeline.conftest import row, write_sheet

from .conftest import VENV_BIN, jobs, worker_env

pytestmark = pytest.mark.xdist_group("workers")

SHEETS, FILES = 4, 5


def test_two_scans_at_once_ingest_every_sheet_exactly_once(engine, wsettings, workers, lab, tmp_path):
    _token, _owner, project = lab
    inbox = tmp_path / "inbox" / project
    for s in range(SHEETS):
        rows = [row(f"n{s}-{i}", write_fastq(inbox, f"n{s}_{i}.fastq", reads=3, mate=None, style="plain",
                                             seed=s * 100 + i)) for i in range(FILES)]
        write_sheet(inbox / f"sheet{s}.tsv", rows)
    env = worker_env(wsettings)
    scan = [str(VENV_BIN / "nfdp-ingest"), "nightly", "--inbox", str(tmp_path / "inbox"), "--settle", "0"]
    scans = [subprocess.Popen(scan, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in scans]
    assert [p.returncode for p in scans] == [0, 0], outs
    queued = sum(int(o.split("nightly: ")[1].split()[0]) for o, _ in outs)
    assert queued == SHEETS, outs  # the queueing lock on the digest: each sheet queued by one scan
    workers.start(2)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        states = [j["status"] for j in jobs(engine) if j["name"] == "nightly-sheet"]
        if states and all(s in ("succeeded", "failed") for s in states):
            break
        time.sleep(0.3)
    assert states == ["succeeded"] * SHEETS, states
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Submission).where(Submission.status == "committed")) \
            == SHEETS
        assert conn.scalar(select(func.count()).select_from(Run)) == SHEETS * FILES
    done = sorted(p.name for p in (tmp_path / "inbox" / "done").rglob("sheet*.tsv"))
    assert done == [f"sheet{s}.tsv" for s in range(SHEETS)]
    assert not list(inbox.glob("sheet*.tsv"))
    # a scan after the night finds nothing left to queue
    again = subprocess.run(scan, env=env, capture_output=True, text=True, timeout=60)
    assert "nightly: 0 sheet(s) queued" in again.stdout


def test_scheduled_scan_runs_on_workers_without_crontab(engine, wsettings, workers, lab, tmp_path):
    _token, _owner, project = lab
    inbox = tmp_path / "inbox"
    rows = [row(f"p{i}", write_fastq(inbox / project, f"p{i}.fastq", reads=3, mate=None, style="plain", seed=i))
            for i in range(3)]
    write_sheet(inbox / project / "sched.tsv", rows)
    # every 2 seconds (6-field cron), two workers carry the schedule: each tick is deferred once
    workers.start(2, NFDP_NIGHTLY_SCHEDULE="* * * * * */2", NFDP_NIGHTLY_INBOX=str(inbox), NFDP_NIGHTLY_SETTLE="0")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((inbox / "done").rglob("sched.tsv")):
        time.sleep(0.3)
    assert list((inbox / "done").rglob("sched.tsv")), workers.log(0) + workers.log(1)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Run)) == 3
        assert conn.scalar(select(func.count()).select_from(Submission)) == 1
    # a later tick may queue the sheet again while the first job runs (the queueing lock covers
    # waiting jobs): the lock on the digest runs it after, and it finds the sheet filed away
    sheet_jobs = [j for j in jobs(engine) if j["name"] == "nightly-sheet"]
    assert sheet_jobs and all(j["args"]["sha256"] == sheet_jobs[0]["args"]["sha256"] for j in sheet_jobs)


def test_bad_schedule_exits_2(wsettings, tmp_path):
    env = worker_env(wsettings, NFDP_NIGHTLY_SCHEDULE="every night", NFDP_NIGHTLY_INBOX=str(tmp_path))
    out = subprocess.run([str(VENV_BIN / "nfdp-ingest"), "worker"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "is not a cron expression" in out.stderr
