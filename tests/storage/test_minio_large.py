"""An object over S3's 5 GiB copy limit is stored in one pass and never rewritten.

The file is sparse (a real gzip'd FASTQ head, then zeros to 5 GiB + 1 MiB), so it costs no
disk here. moto, though, assembles a completed multipart upload in memory several times
over: measured on a 24 GiB machine, the test process was killed by the kernel at 21.7 GiB
resident while moto completed the upload. So the test runs only where MemAvailable is at
least NEEDED; elsewhere it skips and says why (the same no-copy assertions run on a 12 MiB
multipart upload in test_minio_store.py). Every request goes through
the fault proxy, which records each request head: none may be a server-side copy
(``x-amz-copy-source``: CopyObject / UploadPartCopy, what a self-copy for metadata becomes
above 5 GiB), and the bytes sent up must be the file once.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from nfdp_ingest.storage.minio_store import md5_from_meta
from tests.storage.storage_helpers import MiB, copies, s3_calls, write_fastq_gz

GiB = 1024 ** 3
SIZE = 5 * GiB + MiB  # just over the limit of a single CopyObject
NEEDED = 28 * GiB  # moto's peak while completing SIZE (more than 21.7 GiB, see above)


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


def _available_memory() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.mark.slow
def test_object_over_5_gib_is_tagged_not_copied(make_storage, storage, proxy, key, tmp_path, capsys):
    if _available_memory() < NEEDED:
        pytest.skip(f"moto needs more than {NEEDED // GiB} GiB of free memory to complete a "
                    f"{SIZE / GiB:.1f} GiB multipart upload (it was OOM-killed at 21.7 GiB)")
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
        assert md5_from_meta(stat.metadata["x-amz-meta-md5chksum"]) == md5  # set at create
        tags = storage.client.get_object_tags(bucket, name)
        assert tags["md5"] == md5 == stored.facts.md5
        assert tags["sha256"] == stored.facts.sha256 and len(stored.facts.sha256) == 64
        storage.verify(stored)
        with capsys.disabled():
            print(f"\n  {SIZE / GiB:.2f} GiB stored through moto in {elapsed:.0f} s, "
                  f"{len(calls)} requests, no copy")
    finally:
        storage.discard(stored.file_path)  # give moto's disk back
