"""A submission SIGKILLed after ENA answered but before the accessions were written back; the
re-run recovers every accession without registering anything twice at ENA.

PostgreSQL: the receipt is archived first (status ``received``); the test holds a row lock on the
project so that the write-back waits, kills the process there, and the re-run applies the
archived receipt before anything else (no second exchange). SQLite locks the whole database, so
there the process is killed before even the receipt is archived: the re-run's ADD is refused
with ENA's "already exists … with accession", which recovers the same accessions."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import ArchiveSubmission, Project, Run, Sample

from .conftest import popen_cli
from .helpers import brokerable


def _status(engine) -> list[str]:
    with transaction(engine) as s:
        return list(s.scalars(select(ArchiveSubmission.status).order_by(ArchiveSubmission.id)))


def test_kill_between_receipt_and_write_back_then_rerun(engine, ena_env, webin, tmp_path, database_url):
    b = brokerable(engine, tmp_path / "data")
    postgres = database_url.startswith("postgresql")
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold_lock():
        with engine.connect() as conn:
            tx = conn.begin()  # SQLite: BEGIN IMMEDIATE, the whole database
            if postgres:
                conn.execute(text("SELECT id FROM project WHERE accession = :a FOR UPDATE"), {"a": b.project})
            locked.set()
            release.wait(60)
            tx.rollback()
        done.set()

    def on_receipt(_body):  # the stand-in calls this just before its answer goes out
        threading.Thread(target=hold_lock, daemon=True).start()
        assert locked.wait(10)

    webin.standin.on_receipt = on_receipt
    proc = popen_cli("ena", "submit", b.project, "--quiet", env=ena_env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if postgres and _status(engine) == ["received"]:
                break
            if not postgres and locked.is_set():
                time.sleep(1.0)  # the process now waits for the lock to archive the receipt
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            raise AssertionError("the submission never reached its write-back")
        time.sleep(0.3)
        assert proc.poll() is None, "finished before it could be killed"
        proc.kill()
        proc.wait(10)
    finally:
        webin.standin.on_receipt = None
        release.set()
        done.wait(10)
    with transaction(engine) as s:  # nothing written back
        assert s.scalar(select(Project.ena_accession).where(Project.accession == b.project)) is None
        assert not any(s.scalars(select(Run.ena_accession)))
    assert _status(engine) == (["received"] if postgres else ["sent"])

    rerun = popen_cli("ena", "submit", b.project, env=ena_env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, out + err
    standin = webin.standin
    with transaction(engine) as s:
        assert s.scalar(select(Project.ena_accession).where(Project.accession == b.project)) == \
            standin.registered[("project", b.project)]
        assert dict(s.execute(select(Sample.accession, Sample.ena_accession)).all()) == {
            a: standin.registered[("sample", a)] for a in b.samples}
        runs = dict(s.execute(select(Run.accession, Run.ena_accession)).all())
    assert runs[b.runs[0]] == runs[b.runs[1]] == standin.registered[("run", b.runs[0])]
    if postgres:
        assert "applied 1 receipt(s) an interrupted run had archived" in out
        assert [m for m, _p, _u in standin.requests] == ["POST"]  # nothing sent twice
        assert _status(engine) == ["applied"]
    else:
        assert "already exists" in out
        assert _status(engine) == ["sent", "recovered"]
    assert len({v for k, v in standin.registered.items()}) == len(standin.registered)  # one object each
