"""Fixtures for the storage tests: one moto S3 server per test process, a fault proxy per
test, storages pointed at either, and small real gzip'd FASTQ files."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from nfdp_ingest.storage.base import ObjectKey
from nfdp_ingest.storage.minio_store import MinioStorage
from tests.s3server import FaultProxy
from tests.storage.storage_helpers import minio_settings, write_fastq_gz


@pytest.fixture
def proxy(s3):
    with FaultProxy(s3.host, s3.port) as p:
        yield p


@pytest.fixture
def make_storage(s3):
    """make_storage(endpoint=None, **MinioSettings changes) → MinioStorage with short waits."""
    def make(endpoint: str | None = None, wait_initial: float = 0.1, **changes) -> MinioStorage:
        return MinioStorage(minio_settings(s3, endpoint, **changes), wait_initial=wait_initial, wait_max=2.0)
    return make


@pytest.fixture
def storage(make_storage):
    """Straight to moto, no faults."""
    return make_storage()


@pytest.fixture
def key():
    """A fresh object key per call: every test writes its own objects."""
    def make(filename: str = "sample_R1.fastq.gz") -> ObjectKey:
        tag = uuid.uuid4().hex[:8]
        return ObjectKey(project=f"NFDP-PRJ-{tag}", sample="NFDP-SAM-000001", run="NFDP-RUN-000001",
                         filename=filename)
    return make


@pytest.fixture
def fastq(tmp_path):
    """fastq(name="x_R1.fastq.gz", records=200 | size=bytes) → (path, md5 hex)."""
    def make(name: str = "sample_R1.fastq.gz", **kw) -> tuple[Path, str]:
        path = write_fastq_gz(tmp_path / name, **kw)
        return path, hashlib.md5(path.read_bytes()).hexdigest()
    return make
