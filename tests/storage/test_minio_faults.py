"""Real faults between the minio client and a real S3 server: a TCP proxy that resets
connections, answers 503 / SlowDown, goes away for a while, or stays away."""

from __future__ import annotations

import hashlib
import io
import logging
import time

import pytest
import urllib3
from minio.error import S3Error, ServerError

from nfdp_ingest.errors import EXIT_INFRA, InfrastructureError
from nfdp_ingest.storage.retry import StorageRetry, is_transient
from tests.storage.storage_helpers import MiB, RecordingProgress


def present(storage, file_path):
    bucket, _, name = file_path.partition("/")
    try:
        return storage.client.stat_object(bucket, name)
    except S3Error as exc:
        if exc.code == "NoSuchKey":
            return None
        raise


@pytest.fixture
def through(make_storage, proxy, storage):
    """A storage talking through the proxy (buckets made beforehand, straight to moto)."""
    storage.ensure_buckets()
    s = make_storage(proxy.endpoint)
    s.ensure_buckets()
    return s


def retry_messages(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "nfdp_ingest.storage" and r.levelno == logging.WARNING]


def test_connection_resets_on_first_requests_are_retried(through, proxy, storage, fastq, key, caplog):
    caplog.set_level(logging.WARNING, logger="nfdp_ingest.storage")
    path, md5 = fastq()
    proxy.reset_next(3)
    stored = through.store(path, key(), expected_type="FASTQ", declared_md5=md5)
    assert proxy.injected["reset"] == 3
    messages = retry_messages(caplog)
    assert len(messages) == 3
    assert all("reset" in m.lower() or "aborted" in m.lower() for m in messages), messages
    assert "retry 2/6" in messages[0]
    stat = present(storage, stored.file_path)
    assert stat.size == path.stat().st_size
    storage.verify(stored)


@pytest.mark.parametrize("slowdown", [True, False], ids=["SlowDown-xml", "plain-503"])
def test_503_answers_are_retried(through, proxy, storage, fastq, key, caplog, slowdown):
    caplog.set_level(logging.WARNING, logger="nfdp_ingest.storage")
    path, md5 = fastq()
    # the first fault hits the HEAD, the others the PUT and the tagging
    proxy.fail_next(1, slowdown=slowdown)
    proxy.fail_next(1, slowdown=slowdown, after=0)
    proxy.fail_next(1, slowdown=slowdown, after=1)
    stored = through.store(path, key(), expected_type="FASTQ", declared_md5=md5)
    kind = "slowdown" if slowdown else "503"
    assert proxy.injected[kind] == 3
    messages = retry_messages(caplog)
    assert len(messages) == 3 and all("503" in m for m in messages)
    if slowdown:
        assert any("SlowDown" in m for m in messages)
    storage.verify(stored)


def test_reset_in_the_middle_of_a_multipart_upload(through, proxy, storage, fastq, key):
    path, md5 = fastq("big_R1.fastq.gz", size=16 * MiB)
    progress = RecordingProgress()
    # HEAD, create, part 1 pass; then the next request (a part) is reset
    proxy.reset_next(1, after=3)
    stored = through.store(path, key("big_R1.fastq.gz"), expected_type="FASTQ", declared_md5=md5,
                           progress=progress)
    assert proxy.injected["reset"] == 1
    assert hashlib.md5(_fetch(storage, stored.file_path)).hexdigest() == md5
    # the retried upload re-read the file, but progress counted each byte once
    assert progress.advanced == path.stat().st_size
    assert progress.done == ["big_R1.fastq.gz"]
    storage.verify(stored)


def test_server_gone_for_a_few_seconds_mid_upload(through, proxy, storage, fastq, key, caplog):
    caplog.set_level(logging.WARNING, logger="nfdp_ingest.storage")
    path, md5 = fastq("big_R1.fastq.gz", size=12 * MiB)
    downs = []

    def drop_server(progress):
        if progress.advanced >= 6 * MiB and not downs:
            downs.append(time.monotonic())
            proxy.go_down(2.0)

    started = time.monotonic()
    stored = through.store(path, key("big_R1.fastq.gz"), expected_type="FASTQ", declared_md5=md5,
                           progress=RecordingProgress(on_advance=drop_server))
    assert downs, "the server was never taken down"
    assert time.monotonic() - started >= 2.0  # it really waited for the server to come back
    assert retry_messages(caplog)
    assert hashlib.md5(_fetch(storage, stored.file_path)).hexdigest() == md5
    storage.verify(stored)


def test_server_that_stays_down_fails_within_bounds(make_storage, proxy, storage, fastq, key):
    storage.ensure_buckets()
    s = make_storage(proxy.endpoint, retry_attempts=4, retry_max_seconds=3.0, wait_initial=0.2)
    s.ensure_buckets()
    path, md5 = fastq()
    k = key()
    proxy.go_down(None)
    started = time.monotonic()
    with pytest.raises(InfrastructureError) as info:
        s.store(path, k, expected_type="FASTQ", declared_md5=md5)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 2.5  # max_seconds, plus at most one try in flight
    err = info.value
    assert err.exit_code == EXIT_INFRA
    assert proxy.endpoint in err.message and "gave up after" in err.message
    assert s.settings.secret_key not in err.message
    proxy.come_up()
    assert present(storage, f"nfdp-raw/{k.key}") is None  # nothing visible
    # later, with the server back, the same store succeeds
    again = s.store(path, k, expected_type="FASTQ", declared_md5=md5)
    assert not again.skipped
    storage.verify(again)


def test_attempts_are_bounded(make_storage, proxy, storage, caplog):
    caplog.set_level(logging.WARNING, logger="nfdp_ingest.storage")
    storage.ensure_buckets()
    s = make_storage(proxy.endpoint, retry_attempts=3, wait_initial=0.05)
    proxy.fail_next(50)
    with pytest.raises(InfrastructureError, match="SlowDown.*gave up after 3 attempts"):
        s.discard("nfdp-raw/NFDP-PRJ-x/NFDP-SAM-x/NFDP-RUN-x/a.fastq.gz")
    assert proxy.requests == 3
    assert len(retry_messages(caplog)) == 2


def test_total_time_is_bounded(make_storage, proxy, caplog):
    caplog.set_level(logging.WARNING, logger="nfdp_ingest.storage")
    s = make_storage(proxy.endpoint, retry_attempts=1000, retry_max_seconds=1.5, wait_initial=0.1)
    proxy.go_down(None)
    started = time.monotonic()
    with pytest.raises(InfrastructureError, match="gave up"):
        s.ensure_buckets()
    # no try starts after 1.5 s (refused connections fail at once), long before 1000 tries
    assert time.monotonic() - started < 1.5 + 0.5
    assert 3 <= len(retry_messages(caplog)) < 20


def test_refusal_is_not_retried(make_storage, proxy, storage):
    storage.ensure_buckets()
    s = make_storage(proxy.endpoint)
    proxy.deny_next(1)
    with pytest.raises(InfrastructureError, match="refused.*AccessDenied"):
        s.discard("nfdp-raw/NFDP-PRJ-x/NFDP-SAM-x/NFDP-RUN-x/a.fastq.gz")
    assert proxy.requests == 1


def test_storage_check_through_flapping_server(through, proxy):
    proxy.reset_next(2)
    proxy.fail_next(1, after=2)
    verdict = through.check()
    assert "OK" in verdict
    assert proxy.injected["reset"] == 2 and proxy.injected["slowdown"] == 1


# -- classification (no server needed) -----------------------------------------------------

class _Resp:
    def __init__(self, status):
        self.status = status
        self.headers = {}


def _s3_error(status: int, code: str) -> S3Error:
    # keywords only: minio reordered S3Error's positional parameters within 7.2.x
    return S3Error(response=_Resp(status), code=code, message=f"{code} from the test",
                   resource="/b/k", request_id="TEST", host_id="TEST")


@pytest.mark.parametrize(("exc", "transient"), [
    (_s3_error(503, "SlowDown"), True),
    (_s3_error(500, "InternalError"), True),
    (_s3_error(403, "AccessDenied"), False),
    (_s3_error(404, "NoSuchBucket"), False),
    # credential and clock answers: a retry within the window cannot heal them
    (_s3_error(400, "ExpiredToken"), False),
    (_s3_error(403, "RequestTimeTooSkewed"), False),
    (_s3_error(403, "InvalidAccessKeyId"), False),
    (_s3_error(403, "SignatureDoesNotMatch"), False),
    (_s3_error(503, "ExpiredToken"), False),  # even behind a 5xx status
    (_s3_error(501, "NotImplemented"), False),  # the server lacks the call: no try heals that
    (ServerError("bad gateway", 502), True),
    (urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")), True),
    (urllib3.exceptions.NewConnectionError(None, "refused"), True),
    (urllib3.exceptions.SSLError("certificate verify failed"), False),
    (ConnectionRefusedError(111, "refused"), True),
    (TimeoutError("timed out"), True),
    (OSError("stream having not enough data"), False),
    (ValueError("bad bucket name"), False),
])
def test_is_transient(exc, transient):
    assert is_transient(exc) is transient


def test_retry_wrapper_passes_other_errors_through_untouched():
    retry = StorageRetry(endpoint="http://x", attempts=5, max_seconds=5, wait_initial=0.01)
    calls = []

    def boom():
        calls.append(1)
        raise KeyError("not storage")

    with pytest.raises(KeyError):
        retry.call("testing", boom)
    assert len(calls) == 1


def _fetch(storage, file_path) -> bytes:
    bucket, _, name = file_path.partition("/")
    response = storage.client.get_object(bucket, name)
    try:
        buf = io.BytesIO()
        for chunk in response.stream(1024 * 1024):
            buf.write(chunk)
        return buf.getvalue()
    finally:
        response.close()
        response.release_conn()
