"""The server SIGKILLed while a submission runs: restarted, it completes the submission with
the accessions it had reserved (resumed from the journal at start-up)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import requests
from fixtures_files import write_fastq
from sqlalchemy import select

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Run, Submission, SubmissionItem
from nfdp_ingest.staging.area import LocalArea
from nfdp_ingest.staging.service import stage
from tests.pipeline.conftest import row, write_sheet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from helpers import serve, stop  # noqa: E402

FILES = 1000


def test_sigkill_mid_submission_then_restart_completes_with_reserved_accessions(
        engine, settings, tokens, project, tmp_path, cli_env):
    a, _ = tokens
    with db.transaction(engine) as s:
        from nfdp_ingest.registry import tokens as token_registry

        owner = token_registry.verify(s, a).id
    folder = tmp_path / "lab"
    area = LocalArea(settings.staging_path)
    rows = []
    for i in range(FILES):
        f = write_fastq(folder, f"k{i:04d}.fastq", reads=2, mate=None, style="plain")
        with open(f, "rb") as fh:
            stage(engine, area, owner, f.filename, fh, length=None, declared_md5=None)
        rows.append(row(f"k{i:04d}", f))
    sheet = write_sheet(tmp_path / "big.tsv", rows)
    env = {**cli_env, "NFDP_THREADS": "1"}
    proc, base = serve(env, log=tmp_path / "serve1.log")
    try:
        with open(sheet, "rb") as fh:
            r = requests.post(base + "/api/v1/submissions/", headers={"Authorization": f"Bearer {a}"},
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
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = requests.get(f"{base}/api/v1/submissions/{accession}",
                                headers={"Authorization": f"Bearer {a}"}, timeout=10).json()
            if body["status"] in ("committed", "failed"):
                break
            time.sleep(0.2)
        assert body["status"] == "committed", body
    finally:
        stop(proc)
    with db.transaction(engine) as s:
        assert sorted(s.scalars(select(Run.accession))) == reserved
    logs = (tmp_path / "serve1.log").read_text() + (tmp_path / "serve2.log").read_text()
    assert "resuming submission " + accession in logs
    assert a not in logs  # the token is never logged
