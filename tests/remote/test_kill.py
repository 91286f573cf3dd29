"""The server SIGKILLed while a submission runs: restarted, it completes the submission with
the accessions it had reserved (resumed from the journal at start-up)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import requests
from fixtures_files import write_fastq
from sqlalchemy import select, text

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Run, Submission, SubmissionItem
from nfdp_ingest.staging.area import LocalArea
from nfdp_ingest.staging.service import stage
from tests.pipeline.conftest import row, write_sheet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from helpers import serve, stop  # noqa: E402

FILES = 1000


def staged_sheet(engine, settings, token, tmp_path, files: int) -> Path:
    """``files`` small FASTQs staged by the token's owner, and a sheet naming them."""
    with db.transaction(engine) as s:
        from nfdp_ingest.registry import tokens as token_registry

        owner = token_registry.verify(s, token).id
    folder = tmp_path / "lab"
    area = LocalArea(settings.staging_path)
    rows = []
    for i in range(files):
        f = write_fastq(folder, f"k{i:04d}.fastq", reads=2, mate=None, style="plain")
        with open(f, "rb") as fh:
            stage(engine, area, owner, f.filename, fh, length=None, declared_md5=None)
        rows.append(row(f"k{i:04d}", f))
    return write_sheet(tmp_path / "big.tsv", rows)


def post_and_wait_reserved(engine, base, token, project, sheet) -> tuple[str, list[str]]:
    """POST the sheet; once the submission has reserved its runs: (accession, run accessions)."""
    with open(sheet, "rb") as fh:
        r = requests.post(base + "/api/v1/submissions/", headers={"Authorization": f"Bearer {token}"},
                          data={"project": project}, files={"sheet": ("big.tsv", fh)}, timeout=60)
    assert r.status_code == 202, r.text
    accession = r.json()["accession"]
    reserved = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not reserved:
        with db.transaction(engine) as s:
            sub = s.scalar(select(Submission).where(Submission.accession == accession))
            if sub.status == "reserved":
                reserved = sorted(s.scalars(select(SubmissionItem.accession)
                                            .where(SubmissionItem.submission_id == sub.id,
                                                   SubmissionItem.kind == "run")))
        time.sleep(0.002)
    return accession, reserved


def wait_done(base, token, accession, seconds=120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = requests.get(f"{base}/api/v1/submissions/{accession}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        if body["status"] in ("committed", "failed"):
            return body
        time.sleep(0.2)
    return body


def test_sigkill_mid_submission_then_restart_completes_with_reserved_accessions(
        engine, settings, tokens, project, tmp_path, cli_env):
    a, _ = tokens
    sheet = staged_sheet(engine, settings, a, tmp_path, FILES)
    env = {**cli_env, "NFDP_THREADS": "1"}
    proc, base = serve(env, log=tmp_path / "serve1.log")
    try:
        accession, reserved = post_and_wait_reserved(engine, base, a, project, sheet)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            stop(proc)
    assert len(reserved) == FILES
    with db.transaction(engine) as s:
        status = s.scalar(select(Submission.status).where(Submission.accession == accession))
        assert status == "reserved", "the kill came after the commit: the test proved nothing"
        assert s.scalar(select(Run.id).limit(1)) is None  # nothing visible

    proc, base = serve(env, log=tmp_path / "serve2.log")
    try:
        body = wait_done(base, a, accession)
        assert body["status"] == "committed", body
    finally:
        stop(proc)
    with db.transaction(engine) as s:
        assert sorted(s.scalars(select(Run.accession))) == reserved
    logs = (tmp_path / "serve1.log").read_text() + (tmp_path / "serve2.log").read_text()
    assert "resuming submission " + accession in logs
    assert a not in logs  # the token is never logged


def _lock_holder_pid(engine, accession: str) -> int | None:
    """The pid of the process holding the submission's lock (registry.locks), if any."""
    with db.transaction(engine) as s:
        sub_id = s.scalar(select(Submission.id).where(Submission.accession == accession))
        if engine.dialect.name == "postgresql":
            app = s.scalar(text("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :o AND l.classid = :c"),
                           {"o": sub_id, "c": 0x4E464453})
            return int(app.split("pid=")[1].split()[0]) if app else None
    lock = Path(f"{engine.url.database}.submission-{sub_id}.lock")  # beside the database file
    try:
        return json.loads(lock.read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def test_gunicorn_worker_sigkilled_mid_submission_is_replaced_and_the_new_one_finishes_it(
        engine, settings, tokens, project, tmp_path, cli_env):
    """serve --workers 2: every worker resumes what is pending, the submission's lock lets one
    run it. SIGKILL the worker running it: gunicorn starts another, which resumes it."""
    a, _ = tokens
    sheet = staged_sheet(engine, settings, a, tmp_path, 400)
    env = {**cli_env, "NFDP_THREADS": "1"}
    proc, base = serve(env, "--workers", "2", log=tmp_path / "serve.log")
    try:
        accession, reserved = post_and_wait_reserved(engine, base, a, project, sheet)
        assert len(reserved) == 400
        holder = None
        deadline = time.monotonic() + 30
        while holder is None and time.monotonic() < deadline:
            holder = _lock_holder_pid(engine, accession)
            time.sleep(0.01)
        assert holder is not None and holder != proc.pid, "the submission's lock is held by a gunicorn worker"
        os.kill(holder, signal.SIGKILL)
        with db.transaction(engine) as s:
            status = s.scalar(select(Submission.status).where(Submission.accession == accession))
        assert status == "reserved", "the kill came after the commit: the test proved nothing"
        body = wait_done(base, a, accession)
        assert body["status"] == "committed", body
        assert _lock_holder_pid(engine, accession) is None  # released (SQLite: file removed)
    finally:
        stop(proc)
    with db.transaction(engine) as s:
        assert sorted(s.scalars(select(Run.accession))) == reserved  # each run once, as reserved
    log = (tmp_path / "serve.log").read_text()
    assert "resuming submission " + accession in log  # by the worker gunicorn started in its place
    assert a not in log
