"""Workers on separate hosts as far as the network goes: three network namespaces of this
machine, each with its own address on a veth pair, reaching PostgreSQL and the S3 server only
over that veth (netns.py). Skipped where namespaces cannot be made (not root, no CAP_NET_ADMIN)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import pytest
from sqlalchemy.engine import make_url

from nfdp_ingest.config import MinioSettings
from nfdp_ingest.staging.area import open_area
from nfdp_ingest.staging.service import stage

from .conftest import Api, jobs, submit, wait_done, write_fastq
from .netns import Namespaces, namespace_of
from .test_workers import _assert_committed_once

pytestmark = pytest.mark.xdist_group("workers")

FILES = 30


@pytest.fixture
def hosts():
    spaces = Namespaces(3)
    try:
        if spaces.cannot:
            pytest.skip(f"network namespaces unavailable: {spaces.cannot}")
        yield spaces.hosts
    finally:
        spaces.close()


@pytest.fixture
def msettings(wsettings, s3):
    return replace(wsettings, storage="minio", job_batch_files=5, minio=MinioSettings(
        endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, region=s3.region,
        staging_bucket=f"stage-{uuid.uuid4().hex[:8]}", part_size=5 * 1024 * 1024))


def test_submission_over_three_workers_in_their_own_network_namespaces(
        engine, msettings, hosts, workers, lab, s3, tmp_path):  # workers stop before their hosts go
    token, owner, project = lab
    area, rows = open_area(msettings), []
    from tests.pipeline.conftest import row, write_sheet

    for i in range(FILES):
        f = write_fastq(tmp_path / "lab", f"n{i:03d}.fastq", reads=2, mate=None, style="plain", seed=i)
        with open(f, "rb") as fh:
            stage(engine, area, owner, f.filename, fh, length=None, declared_md5=None)
        rows.append(row(f"n{i:03d}", f))
    sheet = write_sheet(tmp_path / "sheet.tsv", rows)
    pg = make_url(msettings.db_url)
    for i, h in enumerate(hosts):
        db_at = h.forward("pg", (pg.host, pg.port or 5432))
        s3_at = h.forward("s3", (s3.host, s3.port))
        host, port = db_at.split(":")
        workers.start(1, prefix=h.prefix, NFDP_DATABASE_URL=pg.set(host=host, port=int(port)).render_as_string(
                          hide_password=False),
                      NFDP_DATA_DIR=str(tmp_path / f"host{i}"), NFDP_STORAGE="minio", NFDP_MINIO_ENDPOINT=s3_at,
                      NFDP_MINIO_ACCESS_KEY=s3.access_key, NFDP_MINIO_SECRET_KEY=s3.secret_key,
                      NFDP_MINIO_REGION=s3.region, NFDP_MINIO_STAGING_BUCKET=msettings.minio.staging_bucket,
                      NFDP_JOB_BATCH_FILES="5")
    for proc, h in zip(workers.procs, hosts):
        assert namespace_of(proc.pid) == h.ns  # each worker process lives in its namespace
    api = Api(msettings)
    try:
        accession = submit(api, token, sheet, project)
        body = wait_done(api, token, accession, timeout=180)
    finally:
        api.close()
    _assert_committed_once(engine, body, accession, FILES)
    batches = {j["id"] for j in jobs(engine) if j["name"] == "submission-batch"}
    assert len(batches) == FILES // 5
    ran: list[set[int]] = []
    for i in range(3):
        ran.append({int(m) for m in re.findall(r"job submission-batch .* started \(queue job (\d+),", workers.log(i))})
    assert set().union(*ran) == batches  # every batch ran on one of the namespaced workers …
    assert sum(len(r) for r in ran) == len(batches)  # … once
    assert sum(1 for r in ran if r) >= 2, ran  # spread over more than one host
    for h in hosts:  # and they came over their own veth, from their own address
        assert set(h.forwarders["pg"].peers) == {h.ns_ip}
    busy = [h for h, r in zip(hosts, ran) if r]
    assert all(set(h.forwarders["s3"].peers) == {h.ns_ip} for h in busy)
