"""jobs list|retry|cancel and the jobs per state in /health, on a real queue."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from .conftest import VENV_BIN, staged_sheet, submit, worker_env

pytestmark = pytest.mark.xdist_group("workers")


def _cli(env, *args):
    return subprocess.run([str(VENV_BIN / "nfdp-ingest"), "jobs", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_list_cancel_retry_and_health_counts(engine, wsettings, api, lab, tmp_path):
    token, owner, project = lab
    accession = submit(api, token, staged_sheet(engine, wsettings, owner, tmp_path / "lab", 2), project)
    env = worker_env(wsettings)
    listed = _cli(env, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (job,) = json.loads(listed.stdout)
    assert job["job"] == "submission-plan" and job["args"] == {"accession": accession}
    assert job["status"] == "todo" and job["queue"] == "submissions"
    health = requests.get(api.base + "/health", timeout=10).json()
    assert health["jobs"]["todo"] == 1 and health["jobs"]["failed"] == 0

    cancelled = _cli(env, "cancel", str(job["id"]))
    assert cancelled.returncode == 0 and json.loads(cancelled.stdout)["status"] == "cancelled"
    assert requests.get(api.base + "/health", timeout=10).json()["jobs"]["cancelled"] == 1
    retried = _cli(env, "retry", str(job["id"]))
    assert retried.returncode == 0 and json.loads(retried.stdout)["status"] == "todo"
    twice = _cli(env, "retry", str(job["id"]))
    assert twice.returncode == 1 and f"job {job['id']} is todo" in twice.stderr
    missing = _cli(env, "cancel", "999999")
    assert missing.returncode == 1 and "no job 999999" in missing.stderr
    text = _cli(env, "list", "--queue", "submissions")
    assert text.returncode == 0 and accession in text.stdout and "submission-plan" in text.stdout
    bad = _cli(env, "list", "--queue", "nope")
    assert bad.returncode == 2 and "unknown queue" in bad.stderr


def test_health_has_no_jobs_on_sqlite(tmp_path):
    from nfdp_ingest.api import create_app
    from nfdp_ingest.config import Settings
    from nfdp_ingest.registry import db

    settings = Settings(data_dir=tmp_path / "var")
    db.upgrade(db.make_engine(settings.db_url))
    body = create_app(settings).test_client().get("/api/v1/health").get_json()
    assert body["status"] == "ok" and "jobs" not in body
