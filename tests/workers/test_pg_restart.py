"""PostgreSQL restarted (for real: ``pg_ctl restart -m fast``) under running workers. The test
has a PostgreSQL server of its own (private_pg.py), so the restart cuts no other test's
connections; the shared server on 127.0.0.1:5432 is never restarted."""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import text

from nfdp_ingest.registry import db

from .conftest import jobs, staged_sheet, submit, wait_done
from .private_pg import PrivatePostgres

pytestmark = pytest.mark.xdist_group("workers")


@pytest.fixture(scope="module")
def server():
    pg = PrivatePostgres()
    yield pg
    pg.stop()


@pytest.fixture
def pg_url(server):  # replaces the shared server's fresh database (conftest)
    import uuid

    url = server.create_database(f"nfdp_r_{uuid.uuid4().hex[:8]}")
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    yield url
    db.engine_for.cache_clear()


def _wait(engine, predicate, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate(jobs(engine))
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}: {jobs(engine)}")


def _workers_registered(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM procrastinate_workers"))


def test_postgres_restarted_under_running_workers_they_reconnect_and_finish_every_job_once(
        server, engine, wsettings, workers, api, lab, tmp_path):
    token, owner, project = lab
    sheet = staged_sheet(engine, wsettings, owner, tmp_path / "lab", 40)
    # heartbeats 2 s apart: a worker looks dead after 6 s, longer than the restart takes;
    # polls 60 s apart: every job below starts because a worker heard of it (LISTEN)
    workers.start(3, NFDP_WORKER_HEARTBEAT="2", NFDP_WORKER_POLL="60")
    deadline = time.monotonic() + 60
    while _workers_registered(engine) < 3:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)
    for _ in range(9):
        api.runner.enqueue("ping", seconds=1.5)
    _wait(engine, lambda js: sum(j["status"] == "doing" for j in js) >= 2, "two running jobs")
    server.restart()  # every connection of the workers and of this test is cut
    restarted = time.monotonic()
    engine.dispose()
    accession = submit(api, token, sheet, project)  # after the restart: work the workers find by NOTIFY
    body = wait_done(api, token, accession, timeout=120)
    assert body["status"] == "committed", body
    done = _wait(engine, lambda js: js if all(j["status"] in ("succeeded", "failed") for j in js) else None,
                 "every job to end", timeout=120)
    assert [j["status"] for j in done] == ["succeeded"] * len(done), done
    pings = [j for j in done if j["name"] == "ping"]
    assert len(pings) == 9
    with engine.connect() as conn:
        starts = dict(conn.execute(text("SELECT job_id, count(*) FROM procrastinate_events "
                                        "WHERE type = 'started' GROUP BY job_id")).all())
    assert all(starts[j["id"]] == 1 for j in pings), starts  # none ran twice
    assert all(p.poll() is None for p in workers.procs), "a worker exited when PostgreSQL went away"
    with engine.connect() as conn:
        waits = conn.execute(text(
            "SELECT extract(epoch FROM s.at - d.at) FROM procrastinate_events d JOIN procrastinate_events s "
            "ON s.job_id = d.job_id AND s.type = 'started' WHERE d.type = 'deferred' "
            "AND d.job_id = ANY(:ids)"), {"ids": [j["id"] for j in done if j["name"] != "ping"]}).scalars().all()
    assert waits and max(waits) < 30, waits  # not one waited for a poll

    server.stop_server()  # SIGTERM while PostgreSQL is away still stops a worker, promptly
    try:
        import requests

        down = requests.get(api.base + "/metrics", timeout=30)
        assert down.status_code == 503 and "database" in down.json()["detail"], down.text
        workers.procs[0].send_signal(signal.SIGTERM)
        assert workers.procs[0].wait(timeout=25) == 0
        assert "worker stopped" in workers.log(0)
    finally:
        server.start()
    assert body["progress"]["files_done"] == 40
    assert time.monotonic() - restarted < 60
