"""`submit --queue`: a local sheet on the workers, its files in a folder they see."""

from __future__ import annotations

import os
import subprocess

import pytest
from fixtures_files import write_fastq
from sqlalchemy import func, select

from nfdp_ingest.registry.models import Run, Submission
from tests.pipeline.conftest import row, write_sheet

from .conftest import VENV_BIN, jobs, worker_env

pytestmark = pytest.mark.xdist_group("workers")


def _sheet(folder, n: int):
    rows = [row(f"c{i:02d}", write_fastq(folder, f"c{i:02d}.fastq", reads=3, mate=None, style="plain", seed=i))
            for i in range(n)]
    return write_sheet(folder / "local.tsv", rows)


def test_submit_queue_waits_for_the_workers_and_commits(engine, wsettings, workers, lab, tmp_path):
    _token, _owner, project = lab
    sheet = _sheet(tmp_path / "lab", 30)
    workers.start(2)
    out = subprocess.run([str(VENV_BIN / "nfdp-ingest"), "submit", str(sheet), "--project", project, "--queue"],
                         env=worker_env(wsettings), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "committed: 30 samples, 30 experiments, 30 runs" in out.stdout
    assert "/30 files" in out.stderr  # progress while it waited
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Run)) == 30
    assert len([j for j in jobs(engine) if j["name"] == "submission-batch"]) == 3


def test_submit_queue_no_wait_prints_the_accession(engine, wsettings, lab, tmp_path):
    _token, _owner, project = lab
    sheet = _sheet(tmp_path / "lab", 2)
    out = subprocess.run([str(VENV_BIN / "nfdp-ingest"), "submit", str(sheet), "--project", project, "--queue",
                          "--no-wait"], env=worker_env(wsettings), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    accession = out.stdout.strip()
    with engine.connect() as conn:
        assert conn.scalar(select(Submission.status).where(Submission.accession == accession)) == "queued"
    assert [j["name"] for j in jobs(engine)] == ["submission-plan"]


def test_submit_queue_on_sqlite_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATA_DIR=str(tmp_path / "var"))
    sheet = _sheet(tmp_path / "lab", 1)
    out = subprocess.run([str(VENV_BIN / "nfdp-ingest"), "submit", str(sheet), "--project", "NFDP-PRJ-000001",
                          "--queue"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "workers need PostgreSQL" in out.stderr
