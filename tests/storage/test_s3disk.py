"""The disk-backed stand-in S3 server (tests/s3disk.py) behaves as S3 for MinioStorage.

It carries test_minio_large.py (an object over 5 GiB, which moto cannot hold in memory),
so its own behaviour is checked here, small and fast: a multipart store through the fault
proxy, verify and tags, metadata set at create, a ranged read, S3 error codes, and a
server-side copy failing loudly.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from minio.commonconfig import CopySource
from minio.datatypes import Part
from minio.error import S3Error

from nfdp_ingest.storage.minio_store import md5_from_meta
from tests.s3disk import start_s3disk
from tests.storage.storage_helpers import MiB, copies, s3_calls


@pytest.fixture
def s3(tmp_path):
    """The stand-in instead of moto, for this module (proxy, storage, make_storage use it)."""
    server = start_s3disk(tmp_path / "s3disk")
    yield server
    server.stop()


def test_multipart_store_verify_and_tags(s3, make_storage, storage, proxy, key, fastq):
    path, md5 = fastq("big_R1.fastq.gz", size=12 * MiB)
    size = path.stat().st_size
    through = make_storage(proxy.endpoint, part_size=5 * MiB)
    k = key("big_R1.fastq.gz")
    stored = through.store(path, k, expected_type="FASTQ", declared_md5=md5)
    calls = s3_calls(proxy.heads)
    assert copies(proxy.heads) == []
    assert [t for m, t, _ in calls if m == "PUT" and "partNumber=" in t]  # multipart, really
    assert len([1 for m, t, _ in calls if m == "POST" and "uploadId=" in t]) == 1
    bucket, _, name = stored.file_path.partition("/")
    stat = storage.client.stat_object(bucket, name)
    assert stat.size == size and stat.last_modified is not None
    assert stat.etag.endswith(f"-{-(-size // (5 * MiB))}")
    assert stat.content_type == "application/gzip"
    assert md5_from_meta(stat.metadata["x-amz-meta-md5chksum"]) == md5
    tags = storage.client.get_object_tags(bucket, name)
    assert tags["md5"] == md5 and tags["sha256"] == stored.facts.sha256
    storage.verify(stored)
    with storage.open_file(stored.file_path) as fh:
        assert hashlib.md5(fh.read()).hexdigest() == md5
    response = storage.client.get_object(bucket, name, offset=10, length=100)
    try:
        assert response.read() == path.read_bytes()[10:110]
    finally:
        response.close()
        response.release_conn()
    same = through.store(path, k, expected_type="FASTQ", declared_md5=md5)  # resume: not sent again
    assert same.skipped and same.file_path == stored.file_path
    storage.discard(stored.file_path)
    with pytest.raises(S3Error) as err:
        storage.client.stat_object(bucket, name)
    assert err.value.code == "NoSuchKey"
    assert s3._server.disk_usage() < 3 * size  # part files were removed after completion


def test_copy_and_errors_fail_as_s3_says(storage):
    storage.ensure_buckets()
    client = storage.client
    bucket = storage.raw_bucket
    client.put_object(bucket, "a/one", io.BytesIO(b"hello"), 5, metadata={"Md5chksum": "x"})
    assert client.stat_object(bucket, "a/one").metadata["x-amz-meta-md5chksum"] == "x"
    with pytest.raises(S3Error) as err:
        client.copy_object(bucket, "a/two", CopySource(bucket, "a/one"))
    assert err.value.code == "NotImplemented"
    with pytest.raises(S3Error) as err:
        client.stat_object(bucket, "a/two")
    assert err.value.code == "NoSuchKey"
    with pytest.raises(S3Error) as err:
        client.get_object("no-such-bucket", "x")
    assert err.value.code == "NoSuchBucket"
    with pytest.raises(S3Error) as err:
        client._upload_part(bucket, "a/one", b"x", None, "nope", 1)
    assert err.value.code == "NoSuchUpload"
    upload_id = client._create_multipart_upload(bucket, "a/three", {})
    etag = client._upload_part(bucket, "a/three", b"x" * 10, None, upload_id, 1)
    assert etag == hashlib.md5(b"x" * 10).hexdigest()
    with pytest.raises(S3Error) as err:
        client._complete_multipart_upload(bucket, "a/three", upload_id, [Part(1, "0" * 32)])
    assert err.value.code == "InvalidPart"
    client._abort_multipart_upload(bucket, "a/three", upload_id)
    with pytest.raises(S3Error) as err:
        client._complete_multipart_upload(bucket, "a/three", upload_id, [Part(1, etag)])
    assert err.value.code == "NoSuchUpload"
    assert client.get_object_tags(bucket, "a/one") is None
    client.delete_object_tags(bucket, "a/one")
    client.remove_object(bucket, "a/one")
    client.remove_object(bucket, "a/one")  # S3: deleting a missing key succeeds
