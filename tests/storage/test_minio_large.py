"""An object over S3's 5 GiB copy limit is stored in one pass and never rewritten.

The file is sparse (a real gzip'd FASTQ head, then zeros to 5 GiB + 1 MiB), so it costs no
disk here. The server is the disk-backed stand-in ``tests/s3disk.py``, not moto: moto
assembles a completed multipart upload in memory several times over (on a 24 GiB machine
the test process was OOM-killed at 21.7 GiB resident while moto completed this upload), so
with moto this test could only ever be skipped. The stand-in writes each part to a file as
it streams in and concatenates the part files on completion (holes kept), so the test
process stays at a few hundred MiB and the server's disk at about the FASTQ head; it
ignores signatures (a stand-in for the protocol, not for auth) and answers any server-side
copy with 501 NotImplemented, so a copy attempt fails the test loudly as well as showing
in the recorded heads. The same no-copy assertions also run against moto itself on a
12 MiB multipart upload in test_minio_store.py; test_s3disk.py checks the stand-in.

Every request goes through the fault proxy, which records each request head: none may be
a server-side copy (``x-amz-copy-source``: CopyObject / UploadPartCopy, what a self-copy
for metadata becomes above 5 GiB), and the bytes sent up must be the file once.
"""

from __future__ import annotations

import hashlib
import shutil
import time

import pytest

from nfdp_ingest.storage.minio_store import md5_from_meta
from tests.s3disk import start_s3disk
from tests.storage.storage_helpers import MiB, copies, s3_calls, write_fastq_gz

GiB = 1024 ** 3
SIZE = 5 * GiB + MiB  # just over the limit of a single CopyObject


def _md5_of_sparse(path, head_size: int) -> str:
    """The MD5 of the file, computed here on its own (the head, then the zeros)."""
    h = hashlib.md5()
    with open(path, "rb") as fh:
        h.update(fh.read(head_size))
    zeros = memoryview(bytes(8 * MiB))
    left = SIZE - head_size
    while left:
        n = min(left, len(zeros))
        h.update(zeros[:n])
        left -= n
    return h.hexdigest()


def _multipart_etag_of_sparse(path, head_size: int, part_size: int) -> str:
    """S3's ETag of the file sent in ``part_size`` parts: md5 of the parts' MD5s, "-N". Every
    part after the head is zeros, so the zero parts' MD5 is computed once."""
    assert head_size <= part_size
    with open(path, "rb") as fh:
        first = hashlib.md5(fh.read(head_size) + bytes(min(part_size, SIZE) - head_size)).digest()
    n_full, rest = divmod(SIZE, part_size)
    zero_part = hashlib.md5(bytes(part_size)).digest()
    digests = [first] + [zero_part] * (n_full - 1)
    if rest:
        digests.append(hashlib.md5(bytes(rest)).digest())
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


def _peak_rss() -> int:
    """This process's peak resident memory (VmHWM), bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.fixture
def s3(tmp_path):
    """The disk-backed stand-in instead of moto (see above); proxy and storages use it."""
    server = start_s3disk(tmp_path / "s3disk")
    yield server
    server.stop()
    shutil.rmtree(tmp_path / "s3disk", ignore_errors=True)


@pytest.mark.slow
@pytest.mark.alone
def test_object_over_5_gib_is_tagged_not_copied(s3, make_storage, storage, proxy, key, tmp_path, capsys):
    path = write_fastq_gz(tmp_path / "huge_R1.fastq.gz", records=50)
    head_size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(SIZE)  # sparse: zeros after the gzip'd FASTQ head (the type sniff reads the head)
    md5 = _md5_of_sparse(path, head_size)

    storage.ensure_buckets()
    through = make_storage(proxy.endpoint, part_size=64 * MiB)
    through.ensure_buckets()
    k = key("huge_R1.fastq.gz")
    before = len(proxy.heads)
    up_before = proxy.bytes_up
    started = time.monotonic()
    stored = through.store(path, k, expected_type="FASTQ", declared_md5=md5)
    elapsed = time.monotonic() - started
    try:
        calls = s3_calls(proxy.heads[before:])
        assert copies(proxy.heads) == []  # no CopyObject / UploadPartCopy: nothing rewritten
        assert [m for m, t, _ in calls if "uploadId=" in t and m == "POST"] == ["POST"]  # completed once
        sent = proxy.bytes_up - up_before
        assert SIZE <= sent < SIZE + 5 * MiB  # the bytes went up once (plus request heads)
        bucket, _, name = stored.file_path.partition("/")
        stat = storage.client.stat_object(bucket, name)
        assert stat.size == SIZE > 5 * GiB
        # the server's ETag comes from the MD5s of the parts it received: the file's bytes
        assert stat.etag == _multipart_etag_of_sparse(path, head_size, 64 * MiB)
        assert md5_from_meta(stat.metadata["x-amz-meta-md5chksum"]) == md5  # set at create
        tags = storage.client.get_object_tags(bucket, name)
        assert tags["md5"] == md5 == stored.facts.md5
        assert tags["sha256"] == stored.facts.sha256 and len(stored.facts.sha256) == 64
        storage.verify(stored)
        with capsys.disabled():
            print(f"\n  {SIZE / GiB:.2f} GiB stored through the disk-backed S3 stand-in in "
                  f"{elapsed:.0f} s, {len(calls)} requests, no copy; peak RSS of the test process "
                  f"{_peak_rss() / MiB:.0f} MiB; server disk {s3._server.disk_usage() / MiB:.1f} MiB")
    finally:
        storage.discard(stored.file_path)  # give the disk back
