"""Smaller rules: dry runs, files in use by a running submission, the OpenAPI document,
the job interface (JSON arguments, idempotent re-run)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from fixtures_files import write_fastq_pair
from sqlalchemy import select, update

from nfdp_ingest.jobs import InlineRunner
from nfdp_ingest.jobs.runner import EmbeddedRunner
from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import StagedFile, Submission, utcnow
from nfdp_ingest.staging.area import LocalArea
from nfdp_ingest.staging.service import clean
from tests.pipeline.conftest import accessions, row, write_sheet


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_dry_run_matches_staged_files_and_writes_nothing(live, tokens, project, tmp_path, engine):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "Y1")
    sheet = write_sheet(tmp_path / "s.tsv", [row("y1", fwd, rev)])
    assert live.stage(a, fwd).status_code == 201
    r = live.submit(a, sheet, project, dry_run="true")
    assert r.status_code == 200 and r.json()["status"] == "failed"
    assert [e["value"] for e in r.json()["errors"]] == [rev.filename]
    assert live.stage(a, rev).status_code == 201
    r = live.submit(a, sheet, project, dry_run="true")
    assert r.status_code == 200 and r.json()["status"] == "dry-run" and len(r.json()["runs"]) == 2
    assert accessions(engine) == {"sample": [], "experiment": [], "run": []}
    with db.transaction(engine) as s:
        assert s.scalar(select(Submission.id).limit(1)) is None
    assert len(requests.get(live.url("/staging/"), headers=auth(a), timeout=10).json()) == 2


def test_a_file_in_use_is_neither_replaced_deleted_nor_cleaned(live, tokens, project, tmp_path, engine,
                                                              settings):
    a, _ = tokens
    fwd, _rev = write_fastq_pair(tmp_path, "U1")
    assert live.stage(a, fwd).status_code == 201
    with db.transaction(engine) as s:  # a submission that has not ended claims it
        from nfdp_ingest.registry.models import Project

        pid = s.scalar(select(Project.id).where(Project.accession == project))
        sub = Submission(accession="NFDP-SUB-000099", project_id=pid, sheet_name="x.tsv", sheet_sha256="0" * 64,
                         checklist_id="ERC000011", storage="local", status="reserved", token_id=1)
        s.add(sub)
        s.flush()
        s.execute(update(StagedFile).values(claimed_by=sub.id, last_used_at=utcnow() - timedelta(days=90)))
        sub_id = sub.id
    assert live.stage(a, fwd).status_code == 409
    r = requests.delete(live.url(f"/staging/{fwd.filename}"), headers=auth(a), timeout=10)
    assert r.status_code == 409 and "NFDP-SUB-000099" in r.json()["detail"]
    area = LocalArea(settings.staging_path)
    assert clean(engine, area, 30) == []
    with db.transaction(engine) as s:
        s.execute(update(Submission).where(Submission.id == sub_id).values(status="failed"))
    assert [r["name"] for r in clean(engine, area, 30)] == [fwd.filename]


def test_openapi_documents_the_remote_endpoints(live):
    doc = requests.get(live.url("/openapi.json"), timeout=10).json()
    paths = doc["paths"]
    for path, method in [("/api/v1/staging/{filename}", "put"), ("/api/v1/staging/", "get"),
                         ("/api/v1/staging/{filename}", "delete"), ("/api/v1/staging/uploads", "post"),
                         ("/api/v1/staging/uploads/{upload}", "get"),
                         ("/api/v1/staging/uploads/{upload}/complete", "post"),
                         ("/api/v1/submissions/", "post"), ("/api/v1/submissions/{accession}", "get"),
                         ("/api/v1/submissions/", "get"), ("/api/v1/validate", "post")]:
        assert method in paths[path], (path, method)
    assert "422" in paths["/api/v1/submissions/"]["post"]["responses"]
    assert "SubmissionState" in doc["components"]["schemas"]


def test_job_arguments_must_be_json_and_a_committed_job_runs_again_harmlessly(live, tokens, project, tmp_path,
                                                                             settings):
    runner = EmbeddedRunner(settings, 1)
    with pytest.raises(TypeError, match="JSON-serialisable"):
        runner.enqueue("submission", accession=object())
    with pytest.raises(KeyError, match="no job named"):
        runner.enqueue("no-such-job")
    runner.shutdown()
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "J1")
    sheet = write_sheet(tmp_path / "s.tsv", [row("j1", fwd, rev)])
    for f in (fwd, rev):
        assert live.stage(a, f).status_code == 201
    acc = live.submit(a, sheet, project).json()["accession"]
    assert live.wait(a, acc)["status"] == "committed"
    assert InlineRunner(settings).enqueue("submission", accession=acc) == "committed"
