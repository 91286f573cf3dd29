"""FastQC as one job per run, spread over three real workers."""

from __future__ import annotations

import subprocess
import time

import pytest
from fixtures_files import write_fastq
from sqlalchemy import func, select

from nfdp_ingest.pipeline.submit import submit_sheet
from nfdp_ingest.registry.models import QCReport, Run
from tests.pipeline.conftest import row, write_sheet

from .conftest import VENV_BIN, jobs, worker_env

pytestmark = pytest.mark.xdist_group("workers")

RUNS = 20


@pytest.mark.slow  # about 110 s on 2 shared cores (20 JVM starts)
def test_twenty_fastqc_jobs_over_three_workers_each_store_one_report(engine, wsettings, workers, lab, tmp_path):
    _token, _owner, project = lab
    folder = tmp_path / "lab"
    rows = [row(f"q{i:02d}", write_fastq(folder, f"q{i:02d}.fastq", reads=200, mate=None, style="plain", seed=i))
            for i in range(RUNS)]
    submit_sheet(write_sheet(folder / "qc.tsv", rows), wsettings, project=project, show_progress=False)
    env = worker_env(wsettings)
    queue = [str(VENV_BIN / "nfdp-ingest"), "qc", "run", "--project", project, "--queue"]
    first = subprocess.run(queue, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert f"FastQC: {RUNS} job(s) queued" in first.stdout
    again = subprocess.run(queue, env=env, capture_output=True, text=True, timeout=60)
    assert "FastQC: 0 job(s) queued" in again.stdout  # a run's job is queued once (queueing lock)
    workers.start(3)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        states = [j["status"] for j in jobs(engine) if j["name"] == "qc-run"]
        if len(states) == RUNS and all(s in ("succeeded", "failed") for s in states):
            break
        time.sleep(0.5)
    assert states == ["succeeded"] * RUNS, states
    with engine.connect() as conn:
        per_run = conn.execute(select(Run.accession, func.count(QCReport.id)).join(QCReport, QCReport.run_id == Run.id)
                               .group_by(Run.accession)).all()
    assert len(per_run) == RUNS and all(n == 1 for _, n in per_run)
    assert sum(1 for i in range(3) if "job qc-run" in workers.log(i)) >= 2, "not spread over the workers"


def test_qc_queue_on_sqlite_exits_2(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATA_DIR=str(tmp_path / "var"))
    out = subprocess.run([str(VENV_BIN / "nfdp-ingest"), "qc", "run", "--queue"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "workers need PostgreSQL" in out.stderr
