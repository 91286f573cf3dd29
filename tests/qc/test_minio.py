"""MinIO mode: FastQC on an object streamed out of S3 (moto), the report kept in nfdp-qc."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nfdp_ingest.config import MinioSettings
from nfdp_ingest.qc import run_fastqc
from nfdp_ingest.storage import open_storage
from nfdp_ingest.storage.base import ObjectKey

from .helpers import add_project, add_run, qc_reports, write_gc_fastq

# FastQC is part of the test environment (.ci/run installs it): a missing one fails, never skips.
pytestmark = pytest.mark.slow


def test_qc_run_in_minio_mode(settings, database_url, tmp_path, s3):
    minio = MinioSettings(endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key,
                          region=s3.region, retry_attempts=3, retry_max_seconds=10.0)
    settings = replace(settings, storage="minio", minio=minio)
    storage = open_storage(settings)
    fq = write_gc_fastq(tmp_path, "M1_R1.fastq.gz", reads=2000, gc=0.48, seed=5)
    project = add_project(database_url)
    acc = add_run(database_url, project, alias="M1", filename="M1_R1.fastq.gz", file_path="placeholder")
    stored = storage.store(fq.path, ObjectKey(project, "NFDP-SAM-000001", acc, "M1_R1.fastq.gz"),
                           expected_type="FASTQ", declared_md5=None)
    assert stored.file_path.startswith("nfdp-raw/")
    from sqlalchemy import update

    from nfdp_ingest.registry import db
    from nfdp_ingest.registry.models import Run
    engine = db.make_engine(database_url)
    with db.transaction(engine) as s:
        s.execute(update(Run).where(Run.accession == acc).values(file_path=stored.file_path))
    engine.dispose()
    fq.path.unlink()  # the data exists only in the bucket now

    [result] = run_fastqc(settings)
    assert result.stored, result.error
    assert result.report_path == f"nfdp-qc/{acc}/fastqc_report.html"
    [report] = qc_reports(database_url, acc)
    assert report["summary"]["total_sequences"] == 2000 and report["summary"]["gc_content"] == 48.0
    assert report["summary"]["filename"] == "M1_R1.fastq.gz"  # FastQC saw the run's own file name
    with storage.open_file(report["report_path"]) as fh:
        page = fh.read()
    assert b"M1_R1.fastq.gz" in page and b"Basic Statistics" in page
    with storage.open_file(f"nfdp-qc/{acc}/fastqc_data.txt") as fh:
        assert fh.read().startswith(b"##FastQC")
    assert storage.report_url(report["report_path"]).startswith("http")
