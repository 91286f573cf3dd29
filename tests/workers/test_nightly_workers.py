"""The nightly scan on workers: two scans at once enqueue each sheet once; every sheet is
ingested exactly once, filed into done/ with its report."""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import func, select

from fixtures_files import write_fastq
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
