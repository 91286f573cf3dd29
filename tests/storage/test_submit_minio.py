"""Whole submissions in minio mode through the fault proxy, on SQLite and PostgreSQL:
a flapping server is ridden out; a server that stays down leaves nothing visible (exit 3)
and a later re-run succeeds with the reserved accessions."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select

from nfdp_ingest.config import Settings
from nfdp_ingest.errors import EXIT_INFRA, InfrastructureError
from nfdp_ingest.pipeline.submit import SubmissionFailed, submit_sheet
from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Run, Submission
from nfdp_ingest.registry.projects import create_project
from tests.fixtures_files import write_fastq_pair
from tests.pipeline.conftest import counts, row, run_cli, write_sheet
from tests.storage.storage_helpers import minio_settings


@pytest.fixture
def project(engine) -> str:
    return create_project(engine, "Storage test project")["accession"]


@pytest.fixture
def sheet(tmp_path):
    data = tmp_path / "data"
    a = write_fastq_pair(data, "A_L001", reads=60)
    b = write_fastq_pair(data, "B_L001", reads=60, seed=3)
    path = write_sheet(data / "sheet.tsv", [row("A", *a), row("B", *b)])
    return path, {f.filename: f for f in (*a, *b)}


@pytest.fixture
def buckets():
    """Buckets of this test alone: every test database starts again at NFDP-PRJ-000001."""
    tag = uuid.uuid4().hex[:10]
    return {"raw_bucket": f"raw-{tag}", "qc_bucket": f"qc-{tag}"}


@pytest.fixture
def storage(make_storage, buckets):
    s = make_storage(**buckets)
    s.ensure_buckets()
    return s


def minio_mode(settings: Settings, s3, endpoint: str, storage, **changes) -> Settings:
    cfg = minio_settings(s3, endpoint, raw_bucket=storage.raw_bucket, qc_bucket=storage.qc_bucket, **changes)
    return replace(settings, storage="minio", minio=cfg)


def objects_under(storage, prefix: str) -> list[str]:
    return sorted(o.object_name for o in storage.client.list_objects(storage.raw_bucket, prefix=prefix,
                                                                        recursive=True))


def runs_by_name(engine) -> dict[str, Run]:
    with db.transaction(engine) as s:
        return {r.filename: r for r in s.scalars(select(Run))}


def test_submission_rides_out_a_flapping_server(settings, engine, project, sheet, s3, proxy, storage):
    path, files = sheet
    cfg = minio_mode(settings, s3, proxy.endpoint, storage)
    proxy.go_down(1.0)                 # gone when the submission starts ...
    proxy.reset_next(1)                # ... then a connection reset ...
    proxy.fail_next(1, after=2)        # ... a SlowDown a little later ...
    proxy.reset_next(1, after=3)       # ... and another reset in the middle of the uploads
    result = submit_sheet(path, cfg, project=project, show_progress=False)
    assert result.status == "committed"
    assert proxy.injected["reset"] == 2 and proxy.injected["slowdown"] == 1
    assert counts(engine)["run"] == 4
    for name, run in runs_by_name(engine).items():
        fx = files[name]
        assert run.file_path.startswith(f"{storage.raw_bucket}/{project}/") and run.file_path.endswith(f"/{name}")
        bucket, _, key = run.file_path.partition("/")
        stat = storage.client.stat_object(bucket, key)
        assert stat.size == fx.size
        assert storage.client.get_object_tags(bucket, key)["sha256"] == fx.sha256 == run.checksum_sha256
        assert run.checksum_md5 == fx.md5
        data = storage.client.get_object(bucket, key)
        try:
            assert hashlib.md5(data.read()).hexdigest() == fx.md5
        finally:
            data.close()
            data.release_conn()


def test_server_that_stays_down_fails_cleanly_then_rerun_succeeds(settings, engine, project, sheet, s3,
                                                                    proxy, storage):
    path, files = sheet
    down = minio_mode(settings, s3, proxy.endpoint, storage, retry_attempts=3, retry_max_seconds=3.0)
    proxy.go_down(None)
    with pytest.raises(InfrastructureError) as info:
        submit_sheet(path, down, project=project, show_progress=False)
    assert info.value.exit_code == EXIT_INFRA
    assert proxy.endpoint in info.value.message
    assert s3.secret_key not in info.value.message
    # nothing visible: no samples, experiments or runs; the submission is marked failed
    c = counts(engine)
    assert (c["sample"], c["experiment"], c["run"]) == (0, 0, 0)
    with db.transaction(engine) as s:
        sub = s.scalars(select(Submission)).one()
        assert sub.status == "failed" and "storage" in (sub.error or "")
        reserved = sub.accession
    assert objects_under(storage, f"{project}/") == []

    proxy.come_up()
    result = submit_sheet(path, minio_mode(settings, s3, proxy.endpoint, storage), project=project, show_progress=False)
    assert result.status == "committed" and result.submission == reserved
    runs = runs_by_name(engine)
    assert set(runs) == set(files)
    assert objects_under(storage, f"{project}/") == sorted(
        r.file_path.partition("/")[2] for r in runs.values())


def test_wrong_md5_in_sheet_leaves_no_object(settings, engine, project, tmp_path, s3, storage):
    data = tmp_path / "data"
    fwd, rev = write_fastq_pair(data, "A_L001", reads=30)
    bad = row("A", fwd, rev)
    bad["md5_reverse"] = "0" * 32
    path = write_sheet(data / "sheet.tsv", [bad])
    with pytest.raises(SubmissionFailed) as info:
        submit_sheet(path, minio_mode(settings, s3, s3.endpoint, storage), project=project, show_progress=False)
    assert "MD5" in info.value.message or "md5" in info.value.message
    assert counts(engine)["run"] == 0
    assert rev.filename not in " ".join(objects_under(storage, f"{project}/"))


def test_cli_submit_exit_3_when_storage_stays_down(engine, project, sheet, s3, cli_env):
    from tests.s3server import dead_endpoint

    path, _ = sheet
    env = {**cli_env, "NFDP_STORAGE": "minio", "NFDP_MINIO_ENDPOINT": dead_endpoint(),
           "NFDP_MINIO_ACCESS_KEY": s3.access_key, "NFDP_MINIO_SECRET_KEY": s3.secret_key,
           "NFDP_RETRY_ATTEMPTS": "2", "NFDP_RETRY_MAX_SECONDS": "2"}
    proc = run_cli("submit", path, "--project", project, env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert s3.secret_key not in proc.stdout + proc.stderr
    c = counts(engine)
    assert (c["sample"], c["experiment"], c["run"]) == (0, 0, 0)
