"""A process killed in the middle of an upload, then the same files stored again."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from minio.error import S3Error

from tests.storage.storage_helpers import MiB

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys
from nfdp_ingest.config import MinioSettings
from nfdp_ingest.storage.base import ObjectKey
from nfdp_ingest.storage.minio_store import MinioStorage
cfg = json.loads(sys.argv[1])
storage = MinioStorage(MinioSettings(endpoint=cfg["endpoint"], access_key=cfg["access_key"],
                                     secret_key=cfg["secret_key"], part_size=5 * 1024 * 1024,
                                     parallel_parts=2))
for item in cfg["files"]:
    storage.store(item["path"], ObjectKey(**item["key"]), expected_type="FASTQ",
                  declared_md5=item["md5"])
    print("stored", item["key"]["filename"], flush=True)
"""


def _stat(storage, name):
    try:
        return storage.client.stat_object("nfdp-raw", name)
    except S3Error as exc:
        if exc.code == "NoSuchKey":
            return None
        raise


def test_killed_mid_upload_then_rerun_sends_only_what_is_missing(s3, proxy, storage, fastq, key):
    storage.ensure_buckets()
    small, small_md5 = fastq("lane1_R1.fastq.gz")
    big, big_md5 = fastq("lane2_R1.fastq.gz", size=16 * MiB)
    k_small, k_big = key("lane1_R1.fastq.gz"), key("lane2_R1.fastq.gz")
    cfg = {
        "endpoint": proxy.endpoint, "access_key": s3.access_key, "secret_key": s3.secret_key,
        "files": [
            {"path": str(small), "md5": small_md5, "key": k_small.__dict__},
            {"path": str(big), "md5": big_md5, "key": k_big.__dict__},
        ],
    }
    proxy.throttle(4 * MiB)  # slow enough to be caught in the middle of the big file
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(cfg)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        line = child.stdout.readline()
        assert line.strip() == "stored lane1_R1.fastq.gz", child.stderr.read()
        mark = proxy.bytes_up
        deadline = time.monotonic() + 30
        while proxy.bytes_up - mark < 7 * MiB:  # well into the big file's parts
            assert child.poll() is None, "the upload ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    # the small file is there; nothing of the big one is visible
    small_stat = _stat(storage, k_small.key)
    assert small_stat is not None and storage.client.get_object_tags("nfdp-raw", k_small.key)["sha256"]
    assert _stat(storage, k_big.key) is None

    # re-run (server fine now): the small file is skipped, the big one sent
    proxy.throttle(None)
    done = {}
    for path, md5, k in ((small, small_md5, k_small), (big, big_md5, k_big)):
        done[k.filename] = storage.store(path, k, expected_type="FASTQ", declared_md5=md5)
    assert done["lane1_R1.fastq.gz"].skipped
    assert not done["lane2_R1.fastq.gz"].skipped
    assert _stat(storage, k_small.key).etag == small_stat.etag  # untouched
    big_stat = _stat(storage, k_big.key)
    assert big_stat.size == big.stat().st_size
    assert (storage.client.get_object_tags("nfdp-raw", k_big.key)["sha256"]
            == hashlib.sha256(big.read_bytes()).hexdigest())
    for stored in done.values():
        storage.verify(stored)
