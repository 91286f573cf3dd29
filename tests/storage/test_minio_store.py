"""MinioStorage against a real S3 server (moto over HTTP on 127.0.0.1), through the minio client."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from minio.commonconfig import Tags

from nfdp_ingest.config import Settings
from nfdp_ingest.errors import InfrastructureError, UsageError
from nfdp_ingest.files import FileProblem
from nfdp_ingest.storage import open_storage
from nfdp_ingest.storage.minio_store import MinioStorage, md5_from_meta, md5_to_meta
from tests.storage.storage_helpers import MiB, RecordingProgress, copies, minio_settings, s3_calls


def stat_or_none(storage: MinioStorage, file_path: str):
    bucket, _, name = file_path.partition("/")
    try:
        return storage.client.stat_object(bucket, name)
    except Exception as exc:
        if getattr(exc, "code", None) in ("NoSuchKey", "NoSuchObject"):
            return None
        raise


def tags_of(storage: MinioStorage, file_path: str) -> dict[str, str]:
    bucket, _, name = file_path.partition("/")
    return dict(storage.client.get_object_tags(bucket, name) or {})


def our_tags(md5: str, sha256: str, file_type: str = "FASTQ") -> Tags:
    tags = Tags.new_object_tags()
    tags["md5"], tags["sha256"], tags["nfdp-file-type"] = md5, sha256, file_type
    return tags


def fetch(storage: MinioStorage, file_path: str) -> bytes:
    bucket, _, name = file_path.partition("/")
    response = storage.client.get_object(bucket, name)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


# -- the normal pass -----------------------------------------------------------------------

def test_open_storage_selects_minio(s3):
    settings = Settings(storage="minio", minio=minio_settings(s3))
    storage = open_storage(settings)
    assert isinstance(storage, MinioStorage) and storage.mode == "minio"


def test_store_creates_buckets_and_records_checksums(make_storage, fastq, key):
    tag = uuid.uuid4().hex[:8]
    storage = make_storage(raw_bucket=f"raw-{tag}", qc_bucket=f"qc-{tag}")
    assert not storage.client.bucket_exists(f"raw-{tag}")
    path, md5 = fastq()
    k = key()
    stored = storage.store(path, k, expected_type="FASTQ", declared_md5=md5.upper())

    assert storage.client.bucket_exists(f"raw-{tag}") and storage.client.bucket_exists(f"qc-{tag}")
    assert stored.file_path == f"raw-{tag}/{k.project}/{k.sample}/{k.run}/{k.filename}"
    assert not stored.skipped
    data = path.read_bytes()
    assert stored.facts.md5 == md5
    assert stored.facts.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.facts.size == len(data) and stored.facts.file_type == "FASTQ"
    stat = stat_or_none(storage, stored.file_path)
    assert stat.size == len(data)
    # declared MD5: in the metadata from the upload's creation (rclone's header) ...
    assert md5_from_meta(stat.metadata["x-amz-meta-md5chksum"]) == md5
    assert stat.metadata["x-amz-meta-md5chksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    # ... and all checksums as tags, set after the bytes were checked
    assert tags_of(storage, stored.file_path) == {"md5": md5, "sha256": stored.facts.sha256,
                                                  "nfdp-file-type": "FASTQ"}
    assert fetch(storage, stored.file_path) == data
    storage.verify(stored)


def test_multipart_upload_keeps_whole_file_checksums(storage, make_storage, proxy, fastq, key):
    path, md5 = fastq("big_R1.fastq.gz", size=12 * MiB)
    progress = RecordingProgress()
    storage.ensure_buckets()
    through = make_storage(proxy.endpoint)
    through.ensure_buckets()
    before = proxy.requests
    stored = through.store(path, key("big_R1.fastq.gz"), expected_type=None, declared_md5=md5,
                           progress=progress)
    stat = stat_or_none(storage, stored.file_path)
    data = path.read_bytes()
    assert stat.size == len(data) > 10 * MiB
    # sent as a multipart upload (HEAD, create, 3 parts, complete, tagging), never copied
    calls = s3_calls(proxy.heads[before:])
    assert [m for m, t, _ in calls if "uploadId=" in t and m == "PUT"] == ["PUT"] * 3
    assert any(m == "PUT" and "tagging" in t for m, t, _ in calls)
    assert copies(proxy.heads) == []
    # whose ETag is not the file's MD5: the whole-file checksums are in the metadata and tags
    assert md5_from_meta(stat.metadata["x-amz-meta-md5chksum"]) == md5
    assert tags_of(storage, stored.file_path)["sha256"] == hashlib.sha256(data).hexdigest()
    assert hashlib.md5(fetch(storage, stored.file_path)).hexdigest() == md5
    assert progress.advanced == len(data) and progress.done == ["big_R1.fastq.gz"]


def test_md5_meta_encoding_round_trip():
    md5 = hashlib.md5(b"x").hexdigest()
    assert md5_from_meta(md5_to_meta(md5)) == md5
    assert md5_from_meta(md5) == md5  # hex accepted too
    assert md5_from_meta("not base64!") is None and md5_from_meta(None) is None


# -- bad files leave nothing behind --------------------------------------------------------

@pytest.mark.parametrize("size", [None, 11 * MiB], ids=["single-put", "multipart"])
def test_wrong_declared_md5_removes_object(storage, fastq, key, size):
    path, md5 = fastq(size=size) if size else fastq()
    k = key()
    wrong = "0" * 32
    with pytest.raises(FileProblem) as info:
        storage.store(path, k, expected_type="FASTQ", declared_md5=wrong)
    assert info.value.kind == "md5_mismatch"
    assert wrong in info.value.message and md5 in info.value.message
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


def test_malformed_declared_md5_is_a_file_problem(storage, fastq, key):
    path, _ = fastq()
    k = key()
    with pytest.raises(FileProblem) as info:
        storage.store(path, k, expected_type="FASTQ", declared_md5="not-an-md5")
    assert info.value.kind == "bad_md5"
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


def test_wrong_declared_md5_aborts_the_multipart_upload_before_completing(
        storage, make_storage, proxy, fastq, key):
    path, md5 = fastq(size=11 * MiB)
    storage.ensure_buckets()
    # one part in flight: moto's abort is not thread-safe against a part upload still
    # running (RuntimeError inside moto, answered 500, which our retry then re-sends)
    through = make_storage(proxy.endpoint, parallel_parts=1)
    through.ensure_buckets()
    before = len(proxy.heads)
    k = key()
    with pytest.raises(FileProblem) as info:
        through.store(path, k, expected_type="FASTQ", declared_md5="0" * 32)
    assert info.value.kind == "md5_mismatch"
    calls = s3_calls(proxy.heads[before:])
    created = [h for m, t, h in calls if m == "POST" and "?uploads" in t]
    assert len(created) == 1 and md5_from_meta(created[0]["x-amz-meta-md5chksum"]) == "0" * 32
    assert any(m == "DELETE" and "uploadId=" in t for m, t, _ in calls)  # aborted ...
    assert not any(m == "POST" and "uploadId=" in t for m, t, _ in calls)  # ... never completed
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


def test_a_failed_abort_does_not_hide_the_wrong_md5(storage, make_storage, proxy, fastq, key, caplog):
    """minio re-raises the abort's error when the abort fails; the md5 mismatch must win,
    at once, not be retried as a server problem."""
    path, _ = fastq(size=11 * MiB)
    storage.ensure_buckets()
    through = make_storage(proxy.endpoint, parallel_parts=1)
    through.ensure_buckets()
    proxy.fail_matching(b"DELETE ", 1, fault="denied")  # the abort is refused
    k = key()
    with pytest.raises(FileProblem) as info:
        through.store(path, k, expected_type="FASTQ", declared_md5="0" * 32)
    assert info.value.kind == "md5_mismatch" and proxy.injected["denied"] == 1
    creates = [h for h in proxy.heads if h.startswith(b"POST ") and b"?uploads" in h.split(b"\r\n")[0]]
    assert len(creates) == 1  # not retried
    assert any("could not abort the multipart upload" in r.getMessage() for r in caplog.records)
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


@pytest.mark.parametrize("size", [None, 11 * MiB], ids=["single-put", "multipart"])
def test_file_changed_during_upload_removes_object(make_storage, fastq, key, size):
    path, _ = fastq(size=size) if size else fastq()
    k = key()
    storage = make_storage(parallel_parts=1)  # moto's abort races a part still in flight

    def grow_once(progress):  # the file grows on disk while it is being uploaded
        if not progress.done and not getattr(progress, "grown", False):
            progress.grown = True
            with open(path, "ab") as fh:
                fh.write(b"@late\nACGT\n+\nIIII\n")

    with pytest.raises(FileProblem) as info:
        storage.store(path, k, expected_type="FASTQ", declared_md5=None,
                      progress=RecordingProgress(on_advance=grow_once))
    assert info.value.kind == "changed"
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


def test_file_shrinking_during_multipart_upload_is_a_file_problem(storage, fastq, key):
    path, _ = fastq(size=11 * MiB)
    k = key()

    def shrink_once(progress):
        if not getattr(progress, "shrunk", False):
            progress.shrunk = True
            with open(path, "r+b") as fh:
                fh.truncate(6 * MiB)

    with pytest.raises(FileProblem) as info:
        storage.store(path, k, expected_type="FASTQ", declared_md5=None,
                      progress=RecordingProgress(on_advance=shrink_once))
    assert info.value.kind == "changed"
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


def test_content_not_matching_extension_is_refused_before_anything_is_stored(storage, tmp_path, key):
    path = tmp_path / "reads_R1.fastq.gz"
    path.write_bytes(b"this is not gzip at all\n" * 100)
    k = key("reads_R1.fastq.gz")
    with pytest.raises(FileProblem) as info:
        storage.store(path, k, expected_type="FASTQ", declared_md5=None)
    assert info.value.kind in ("type_mismatch", "unsupported")
    assert stat_or_none(storage, f"nfdp-raw/{k.key}") is None


# -- resume --------------------------------------------------------------------------------

def test_resume_skips_identical_object_without_sending(storage, make_storage, proxy, fastq, key):
    path, md5 = fastq()
    k = key()
    first = storage.store(path, k, expected_type="FASTQ", declared_md5=md5)
    etag = stat_or_none(storage, first.file_path).etag

    through = make_storage(proxy.endpoint)
    through.ensure_buckets()
    before = proxy.requests
    progress = RecordingProgress()
    again = through.store(path, k, expected_type="FASTQ", declared_md5=md5, progress=progress)
    assert again.skipped and again.file_path == first.file_path
    assert proxy.requests - before == 2  # one HEAD and one GET of the tags, no upload
    assert again.facts.md5 == md5 and again.facts.sha256 == first.facts.sha256
    assert again.facts.size == first.facts.size and again.facts.file_type == "FASTQ"
    assert stat_or_none(storage, first.file_path).etag == etag
    assert progress.advanced == first.facts.size and progress.done == [k.filename]


def test_resume_without_declared_md5_compares_the_local_file(storage, fastq, key, caplog):
    path, md5 = fastq(size=300_000, seed=1)
    k = key()
    first = storage.store(path, k, expected_type=None, declared_md5=None)
    caplog.set_level("INFO", logger="nfdp_ingest.storage")
    again = storage.store(path, k, expected_type=None, declared_md5=None)
    assert again.skipped and again.facts.md5 == md5 and again.facts.sha256 == first.facts.sha256
    assert any("skipped" in r.getMessage() for r in caplog.records)

    # same size, other content, nothing declared: the local file is read, differs → replaced
    other, other_md5 = fastq("other/sample_R1.fastq.gz", size=300_000, seed=2)
    assert other.stat().st_size == path.stat().st_size and other_md5 != md5
    path.write_bytes(other.read_bytes())
    replaced = storage.store(path, k, expected_type=None, declared_md5=None)
    assert not replaced.skipped and replaced.facts.md5 == other_md5
    assert hashlib.md5(fetch(storage, replaced.file_path)).hexdigest() == other_md5
    storage.verify(replaced)


def test_resume_replaces_object_with_wrong_size(storage, fastq, key):
    path, md5 = fastq()
    k = key()
    storage.ensure_buckets()
    junk = b"partial" * 10
    storage.client.put_object("nfdp-raw", k.key, io.BytesIO(junk), len(junk),
                              metadata={"Md5chksum": md5_to_meta(md5)}, tags=our_tags(md5, "0" * 64))
    stored = storage.store(path, k, expected_type="FASTQ", declared_md5=md5)
    assert not stored.skipped
    assert fetch(storage, stored.file_path) == path.read_bytes()
    storage.verify(stored)


def test_resume_replaces_object_with_wrong_md5_tags(storage, fastq, key):
    path, md5 = fastq()
    k = key()
    storage.ensure_buckets()
    data = path.read_bytes()
    same_size_other = bytes(reversed(data))
    storage.client.put_object("nfdp-raw", k.key, io.BytesIO(same_size_other), len(data),
                              tags=our_tags(hashlib.md5(same_size_other).hexdigest(),
                                            hashlib.sha256(same_size_other).hexdigest()))
    stored = storage.store(path, k, expected_type="FASTQ", declared_md5=md5)
    assert not stored.skipped
    assert fetch(storage, stored.file_path) == data
    storage.verify(stored)


def test_resume_replaces_unfinished_object_even_with_right_size(storage, fastq, key):
    """An object without our tags (crash between completing the upload and tagging) is redone,
    even when it carries the declared MD5 in its metadata."""
    path, md5 = fastq()
    k = key()
    storage.ensure_buckets()
    data = path.read_bytes()
    storage.client.put_object("nfdp-raw", k.key, io.BytesIO(data), len(data),
                              metadata={"Md5chksum": md5_to_meta(md5)})
    stored = storage.store(path, k, expected_type="FASTQ", declared_md5=md5)
    assert not stored.skipped
    assert tags_of(storage, stored.file_path)["sha256"] == hashlib.sha256(data).hexdigest()


def test_resume_refuses_tags_contradicted_by_the_metadata(storage, fastq, key):
    path, md5 = fastq()
    k = key()
    storage.ensure_buckets()
    data = path.read_bytes()
    storage.client.put_object("nfdp-raw", k.key, io.BytesIO(data), len(data),
                              metadata={"Md5chksum": md5_to_meta("2" * 32)},
                              tags=our_tags(md5, hashlib.sha256(data).hexdigest()))
    stored = storage.store(path, k, expected_type="FASTQ", declared_md5=md5)
    assert not stored.skipped
    assert md5_from_meta(stat_or_none(storage, stored.file_path).metadata["x-amz-meta-md5chksum"]) == md5


# -- verify / discard / reports / reading --------------------------------------------------

def test_verify_detects_tampered_and_missing_objects(storage, fastq, key):
    path, md5 = fastq()
    stored = storage.store(path, key(), expected_type="FASTQ", declared_md5=md5)
    storage.verify(stored)
    bucket, _, name = stored.file_path.partition("/")
    storage.client.set_object_tags(bucket, name, our_tags("1" * 32, stored.facts.sha256))
    with pytest.raises(InfrastructureError, match="MD5 tag"):
        storage.verify(stored)
    storage.client.set_object_tags(bucket, name, our_tags(md5, "3" * 64))
    with pytest.raises(InfrastructureError, match="SHA-256 tag 3333"):
        storage.verify(stored)
    storage.discard(stored.file_path)
    assert stat_or_none(storage, stored.file_path) is None
    with pytest.raises(InfrastructureError, match="disappeared"):
        storage.verify(stored)


def test_paths_outside_the_buckets_are_refused(storage):
    with pytest.raises(UsageError):
        storage.download_url("/etc/passwd")
    with pytest.raises(UsageError):
        storage.discard("other-bucket/x")


def test_open_file_streams_the_object(storage, fastq, key):
    path, md5 = fastq("big_R1.fastq.gz", size=6 * MiB)
    stored = storage.store(path, key("big_R1.fastq.gz"), expected_type="FASTQ", declared_md5=md5)
    h = hashlib.md5()
    with storage.open_file(stored.file_path) as fh:
        assert fh.read(2) == b"\x1f\x8b"
        h.update(b"\x1f\x8b")
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
    assert h.hexdigest() == md5


def test_put_report_and_report_url(storage, tmp_path):
    report = tmp_path / "fastqc.html"
    report.write_text("<html>report</html>")
    run = f"NFDP-RUN-{uuid.uuid4().hex[:6]}"
    report_path = storage.put_report(run, "fastqc.html", report)
    assert report_path == f"nfdp-qc/{run}/fastqc.html"
    url = storage.report_url(report_path)
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.text == "<html>report</html>"


# -- presigned downloads -------------------------------------------------------------------

def test_download_url_fetches_the_bytes_and_lasts_24_hours(storage, fastq, key):
    path, md5 = fastq()
    stored = storage.store(path, key(), expected_type="FASTQ", declared_md5=md5)
    url = storage.download_url(stored.file_path)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["86400"]
    got = requests.get(url, timeout=10)
    assert got.status_code == 200
    assert hashlib.md5(got.content).hexdigest() == md5
    assert storage.settings.secret_key not in url


def test_download_url_signed_for_public_endpoint_offline(s3):
    # the internal endpoint is dead: signing must not need the network
    from tests.s3server import dead_endpoint
    storage = MinioStorage(minio_settings(s3, dead_endpoint(),
                                          public_endpoint="https://data.nfdp.example.org"))
    url = storage.download_url("nfdp-raw/NFDP-PRJ-000001/NFDP-SAM-000001/NFDP-RUN-000001/a_R1.fastq.gz")
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "data.nfdp.example.org"
    assert parts.path == "/nfdp-raw/NFDP-PRJ-000001/NFDP-SAM-000001/NFDP-RUN-000001/a_R1.fastq.gz"
    assert "X-Amz-Signature" in parts.query and "us-east-1" in parts.query


def test_public_endpoint_url_works_through_that_host(s3, proxy, fastq, key):
    """Signed for the proxy's host:port (the "public" address), fetched through it."""
    storage = MinioStorage(minio_settings(s3, public_endpoint=f"http://{proxy.endpoint}"))
    path, md5 = fastq()
    stored = storage.store(path, key(), expected_type="FASTQ", declared_md5=md5)
    url = storage.download_url(stored.file_path)
    assert urlsplit(url).netloc == proxy.endpoint
    before = proxy.requests
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and hashlib.md5(got.content).hexdigest() == md5
    assert proxy.requests == before + 1


def test_secret_never_in_repr_or_check(storage):
    verdict = storage.check()
    assert "OK" in verdict and "nfdp-raw" in verdict and "nfdp-qc" in verdict
    assert storage.settings.secret_key not in verdict
    assert storage.settings.secret_key not in repr(storage)
    assert storage.settings.secret_key not in repr(storage.settings)
