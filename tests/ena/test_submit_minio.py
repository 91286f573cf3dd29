"""MinIO mode: run files go from the bucket (a real S3-protocol server) to the FTPS upload area as a
stream, with no copy on local disk; files already in the area with the right size are skipped."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace

from sqlalchemy import select, update

from nfdp_ingest.config import EnaSettings
from nfdp_ingest.ena.submit import submit
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import Run
from nfdp_ingest.storage.minio_store import MinioStorage
from tests.storage.storage_helpers import minio_settings

from .conftest import PASSWORD, USER
from .helpers import CENTER, brokerable


def test_files_stream_from_the_bucket_to_the_upload_area(engine, settings, s3, area, webin, tmp_path):
    tag = uuid.uuid4().hex[:10]
    minio = minio_settings(s3, raw_bucket=f"raw-{tag}", qc_bucket=f"qc-{tag}")
    storage = MinioStorage(minio, wait_initial=0.1, wait_max=2.0)
    storage.ensure_buckets()
    b = brokerable(engine)  # no local files at all
    with transaction(engine) as s:
        for run, data in b.data.items():
            key = f"{b.project}/{run}/file"
            storage.client.put_object(minio.raw_bucket, key, io.BytesIO(data), len(data))
            s.execute(update(Run).where(Run.accession == run).values(file_path=f"{minio.raw_bucket}/{key}"))
    work = tmp_path / "work"
    work.mkdir()
    ena = EnaSettings(center_name=CENTER, user=USER, password=PASSWORD, url=webin.url, ftp=area.address,
                      ftp_cafile=area.cafile)
    cfg = replace(settings, storage="minio", minio=minio, ena=ena)
    preexisting = area.root / b.project / b.runs[0]
    preexisting.mkdir(parents=True)
    (preexisting / "COW_000_R1.fastq.gz").write_bytes(b.data[b.runs[0]])  # there already, right size
    result = submit(engine, b.project, cfg, storage, workdir=work)
    assert (result.uploaded, result.skipped_uploads) == (4, 1)
    for run, data in b.data.items():
        (found,) = area.root.glob(f"{b.project}/{run}/*")
        assert found.read_bytes() == data
    assert not any(work.iterdir())  # the documents' folder is gone, and no file was copied there
    with transaction(engine) as s:
        assert all(s.scalars(select(Run.ena_accession).where(Run.file_type != "VCF")))
