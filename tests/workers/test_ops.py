"""jobs list|retry|cancel and the jobs per state in /health, on a real queue."""

from __future__ import annotations

import json
import re
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


SAMPLE = re.compile(r'^(nfdp_[a-z_]+)(?:\{((?:[a-z_]+="[^"]*",?)*)\})? (\d+)$')


def _metrics(text: str) -> dict[tuple[str, tuple], int]:
    """Every sample of a Prometheus text page; fails on a line that is not one."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample: {line!r}"
        labels = tuple(sorted(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2) or "")))
        out[(m.group(1), labels)] = int(m.group(3))
    return out


def test_metrics_count_jobs_per_queue_and_state_and_submissions(engine, wsettings, api, lab, tmp_path):
    token, owner, project = lab
    submit(api, token, staged_sheet(engine, wsettings, owner, tmp_path / "lab", 2), project)
    r = requests.get(api.base + "/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = _metrics(r.text)
    assert samples[("nfdp_jobs", (("queue", "submissions"), ("state", "todo")))] == 1
    assert samples[("nfdp_jobs", (("queue", "files"), ("state", "doing")))] == 0  # every queue and state shown
    assert sum(v for (name, _), v in samples.items() if name == "nfdp_jobs") == 1
    assert sum(v for (name, _), v in samples.items() if name == "nfdp_submissions") == 1
    assert samples[("nfdp_workers", ())] == 0
    assert "# TYPE nfdp_jobs gauge" in r.text


def test_metrics_on_sqlite_show_submissions_and_no_queue(tmp_path):
    from nfdp_ingest.api import create_app
    from nfdp_ingest.config import Settings
    from nfdp_ingest.registry import db

    settings = Settings(data_dir=tmp_path / "var")
    db.upgrade(db.make_engine(settings.db_url))
    r = create_app(settings).test_client().get("/api/v1/metrics")
    assert r.status_code == 200
    samples = _metrics(r.get_data(as_text=True))
    assert "# TYPE nfdp_submissions gauge" in r.get_data(as_text=True)
    assert not any(name in ("nfdp_jobs", "nfdp_workers") for name, _ in samples)
