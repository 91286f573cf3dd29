"""Submissions on real `nfdp-ingest worker` processes (procrastinate on PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select, text

from nfdp_ingest.registry.models import Run, Submission, SubmissionItem

from .conftest import VENV_BIN, jobs, staged_sheet, submit, wait_done

pytestmark = pytest.mark.xdist_group("workers")  # one at a time: they share the 2 cores

FILES = 200


def _reserved(engine, accession: str) -> list[str]:
    with engine.connect() as conn:
        sub_id = conn.scalar(select(Submission.id).where(Submission.accession == accession))
        return sorted(conn.scalars(select(SubmissionItem.accession).where(
            SubmissionItem.submission_id == sub_id, SubmissionItem.kind == "run")))


def _committed_runs(engine, accession: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        sub_id = conn.scalar(select(Submission.id).where(Submission.accession == accession))
        return sorted(conn.execute(select(Run.accession, Run.filename).where(Run.submission_id == sub_id)).all())


def _assert_committed_once(engine, body: dict, accession: str, files: int) -> None:
    assert body["status"] == "committed", body
    assert body["progress"]["files_done"] == files and body["progress"]["files_total"] == files
    runs = _committed_runs(engine, accession)
    assert len(runs) == files and len({f for _, f in runs}) == files
    assert [a for a, _ in runs] == _reserved(engine, accession)  # the accessions the plan reserved
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Run)) == files  # nothing else, nothing twice
    commits = [j for j in jobs(engine) if j["name"] == "submission"]
    assert len(commits) == 1 and commits[0]["status"] == "succeeded", commits


def test_remote_submission_spread_over_three_workers_commits_once(engine, wsettings, workers, api, lab, tmp_path):
    token, owner, project = lab
    sheet = staged_sheet(engine, wsettings, owner, tmp_path / "lab", FILES)
    workers.start(3)
    accession = submit(api, token, sheet, project)
    seen: list = []
    body = wait_done(api, token, accession, seen=seen)
    _assert_committed_once(engine, body, accession, FILES)
    batches = [j for j in jobs(engine) if j["name"] == "submission-batch"]
    assert len(batches) == FILES // wsettings.job_batch_files
    assert all(j["status"] == "succeeded" for j in batches)
    assert sorted(f for j in batches for f in (r["filename"] for r in j["args"]["runs"])) == \
        sorted(f"w{i:04d}.fastq" for i in range(FILES))
    ran = [i for i in range(3) if "batch of" in workers.log(i)]
    assert len(ran) >= 2, "the batches were not spread over the workers"
    # progress was visible while it ran: some poll saw a part done
    assert any(p and p.get("files_total") == FILES and 0 < p["files_done"] < FILES for p in seen) or \
        len(seen) < 3


def _doing_batch(engine) -> dict | None:
    for j in jobs(engine):
        if j["name"] == "submission-batch" and j["status"] == "doing":
            return j
    return None


def test_worker_sigkilled_mid_batch_its_job_taken_over(engine, wsettings, workers, api, lab, tmp_path):
    token, owner, project = lab
    sheet = staged_sheet(engine, wsettings, owner, tmp_path / "lab", FILES)
    (first,) = workers.start(1)
    time.sleep(1.5)  # it is listening
    accession = submit(api, token, sheet, project)
    victim = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and victim is None:
        victim = _doing_batch(engine)
    assert victim is not None, "no batch ever ran"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    state = {j["id"]: j for j in jobs(engine)}[victim["id"]]
    assert state["status"] == "doing", "the batch finished before the kill: the test proved nothing"
    workers.start(2)
    body = wait_done(api, token, accession)
    _assert_committed_once(engine, body, accession, FILES)
    retried = {j["id"]: j for j in jobs(engine)}[victim["id"]]
    assert retried["status"] == "succeeded"
    assert f"job {victim['id']} (submission-batch) of a dead worker put back in the queue" in \
        workers.log(1) + workers.log(2)


def test_a_job_failing_every_attempt_ends_failed_with_its_error(engine, wsettings, workers, api, lab, tmp_path):
    token, owner, project = lab
    sheet = staged_sheet(engine, wsettings, owner, tmp_path / "lab", 3)
    accession = submit(api, token, sheet, project)
    # the sheet is lost (kept nowhere any more): every attempt of the plan job fails
    with engine.begin() as conn:
        job = conn.scalar(select(Submission.job).where(Submission.accession == accession))
        job = {**job, "sheet": str(tmp_path / "gone.tsv")}
        job.pop("sheet_data")
        conn.execute(Submission.__table__.update().where(Submission.accession == accession).values(job=job))
    workers.start(1, NFDP_JOB_ATTEMPTS="2")
    body = wait_done(api, token, accession)
    assert body["status"] == "failed"
    assert "failed after 2 attempt(s)" in body["errors"][0]["message"]
    assert "gone.tsv" in body["errors"][0]["message"]
    (plan,) = [j for j in jobs(engine) if j["name"] == "submission-plan"]
    assert plan["status"] == "failed" and plan["attempts"] == 2
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Run)) == 0


def test_sigterm_lets_the_worker_finish_its_job_and_exit(engine, wsettings, workers, api, lab, tmp_path):
    token, owner, project = lab
    sheet = staged_sheet(engine, wsettings, owner, tmp_path / "lab", FILES)
    (proc,) = workers.start(1, NFDP_JOB_BATCH_FILES="100")
    accession = submit(api, token, sheet, project)
    deadline = time.monotonic() + 60
    running = None
    while time.monotonic() < deadline and running is None:
        running = _doing_batch(engine)
    assert running is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "worker stopped" in workers.log(0)
    after = {j["id"]: j for j in jobs(engine)}[running["id"]]
    assert after["status"] == "succeeded" and after["attempts"] == 1  # finished once, not abandoned
    workers.start(1)  # the rest goes on elsewhere
    _assert_committed_once(engine, wait_done(api, token, accession), accession, FILES)


def test_worker_on_sqlite_exits_2_saying_workers_need_postgresql(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATA_DIR=str(tmp_path / "var"))
    out = subprocess.run([str(VENV_BIN / "nfdp-ingest"), "worker"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert "workers need PostgreSQL" in out.stderr and "Traceback" not in out.stderr


def test_db_upgrade_applies_the_queue_schema_once(pg_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATABASE_URL=pg_url, NFDP_DATA_DIR=str(tmp_path / "var"))
    with_db = [str(VENV_BIN / "nfdp-ingest"), "db", "upgrade"]
    first = subprocess.run(with_db, env=env, capture_output=True, text=True, timeout=60)
    second = subprocess.run(with_db, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and "job queue schema (procrastinate) created" in first.stdout, first
    assert second.returncode == 0 and "job queue schema (procrastinate) present" in second.stdout, second
    from sqlalchemy import create_engine

    eng = create_engine(pg_url)
    with eng.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM procrastinate_jobs")) == 0
    eng.dispose()


def test_plan_job_run_twice_queues_its_batches_once(engine, wsettings, api, lab, tmp_path):
    from nfdp_ingest.jobs import run_job

    token, owner, project = lab
    accession = submit(api, token, staged_sheet(engine, wsettings, owner, tmp_path / "lab", 25), project)
    assert run_job(wsettings, "submission-plan", {"accession": accession}) == "3 batches"
    # a worker killed after the plan's commit, before procrastinate recorded the success: it runs again
    assert run_job(wsettings, "submission-plan", {"accession": accession}) == "planned already"
    assert len([j for j in jobs(engine) if j["name"] == "submission-batch"]) == 3
    assert sorted(_reserved(engine, accession)) == _reserved(engine, accession) and len(_reserved(engine, accession)) == 25


def test_workers_carry_on_after_their_database_connections_are_cut(engine, wsettings, workers, api, lab, tmp_path):
    """PostgreSQL restarted under running workers, as far as this test's database goes: every
    connection to it is terminated (the server itself is shared by other tests)."""
    token, owner, project = lab
    sheet = staged_sheet(engine, wsettings, owner, tmp_path / "lab", 20)
    workers.start(2)
    time.sleep(2)
    db_name = engine.url.database
    with engine.connect() as conn:
        cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": db_name}).scalar()
    assert cut >= 2  # at least the workers' connections
    engine.dispose()
    accession = submit(api, token, sheet, project)
    body = wait_done(api, token, accession, timeout=120)
    _assert_committed_once(engine, body, accession, 20)
    assert all(p.poll() is None for p in workers.procs), "a worker died with its connection"
