"""MinIO (any S3 server) mode: one verified pass per file, bounded retries, resume.

Buckets: ``nfdp-raw`` for data files (key ``{project}/{sample}/{run}/{filename}``,
``file_path`` = ``nfdp-raw/{key}``) and ``nfdp-qc`` for QC reports
(``{run}/{name}``). Both are created when missing.

Where the checksums live (no object is ever copied or rewritten, whatever its size):
  * **object tags** ``md5`` (hex), ``sha256`` (hex) and ``nfdp-file-type``, set with one
    PutObjectTagging after the upload completed and its bytes were checked. Tagging is a
    metadata-only call at any size (a self-copy would rewrite objects over 5 GiB). The tags
    are the "completed by us" mark: resume, ``verify`` and ``storage check`` read them.
  * when the sheet declares the MD5, also the user metadata ``Md5chksum`` (base64 MD5,
    rclone's header), sent when the upload is created. The upload is then aborted, not
    completed, if the bytes read do not have that MD5, so no object carries a false one.
    (SHA-256 is only known after the last byte, so it can only be a tag.)

Upload (``store``), one read of the file:
  1. ``stat`` + tags of the key. An object already there that carries our tags with the
     local file's size and the same MD5 is not sent again (resume; logged "skipped"). The
     MD5 compared is the sheet's declared MD5 when there is one — the file is then not read
     at all; without a declared MD5 the file is read once, hash only, and compared (a
     mismatch then costs a second read for the upload). Anything else at the key is replaced.
  2. A :class:`~nfdp_ingest.files.HashingReader` is handed straight to
     ``Minio.put_object`` (multipart above ``part_size``, ``parallel_parts`` parts in
     flight), so the bytes hashed and sniffed are the bytes uploaded. Memory is
     bounded by about ``(parallel_parts + 1) × part_size`` per file.
  3. When the last byte has been read, *before* the upload is completed,
     ``reader.finish(declared_md5)`` checks type, stability and MD5; a FileProblem there
     makes minio abort the multipart upload (or never send the single PUT), and the key
     is cleared of anything older.
  4. The tags are set. A crash before this leaves an object without tags, which resume
     replaces.

Retries (see :mod:`.retry`) wrap every server call; a retried upload restarts the file
from its first byte with a new reader.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from minio import Minio
from minio.commonconfig import Tags
from minio.error import S3Error

from ..config import MinioSettings
from ..errors import InfrastructureError, UsageError
from ..files import FileFacts, FileProblem, HashingReader
from .base import ObjectKey, StoredFile
from .minio_parts import (
    _CheckedAtEnd,
    _content_type,
    _FileProgress,
    _http_client,
    _ObjectStream,
    _split_endpoint,
    md5_from_meta,
    md5_to_meta,
)
from .retry import StorageRetry, is_transient

log = logging.getLogger("nfdp_ingest.storage")

URL_LIFETIME = timedelta(hours=24)
HASH_CHUNK = 8 * 1024 * 1024

META_MD5 = "x-amz-meta-md5chksum"  # base64 of the 16 MD5 bytes (rclone's convention)
TAG_MD5 = "md5"  # object tags: hex digests (tag values: at most 256 characters)
TAG_SHA256 = "sha256"
TAG_TYPE = "nfdp-file-type"
NOT_FOUND = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"})


def _declared_md5_metadata(declared: str | None) -> dict[str, str] | None:
    """``Md5chksum`` for a declared MD5 (a malformed one is reported by ``finish``)."""
    if declared is None or len(declared) != 32:
        return None
    try:
        return {"Md5chksum": md5_to_meta(declared)}
    except ValueError:
        return None


class MinioStorage:
    mode = "minio"

    def __init__(self, settings: MinioSettings, *, wait_initial: float = 0.5, wait_max: float = 20.0):
        self.settings = settings
        self.raw_bucket = settings.raw_bucket
        self.qc_bucket = settings.qc_bucket
        endpoint, secure = _split_endpoint(settings.endpoint, settings.secure)
        self.endpoint_url = f"{'https' if secure else 'http'}://{endpoint}"
        self.client = Minio(
            endpoint, access_key=settings.access_key or None, secret_key=settings.secret_key or None,
            secure=secure, region=settings.region, http_client=_http_client(32),
        )
        # URLs are signed offline (no request) by a client that knows the region; for a
        # public endpoint it is configured with that host, since the host is signed.
        public = settings.public_endpoint or settings.endpoint
        public_host, public_secure = _split_endpoint(public, secure)
        self.public_url = f"{'https' if public_secure else 'http'}://{public_host}"
        self.signer = Minio(
            public_host, access_key=settings.access_key or None, secret_key=settings.secret_key or None,
            secure=public_secure, region=settings.region or "us-east-1", http_client=_http_client(1),
        )
        self.retry = StorageRetry(endpoint=self.endpoint_url, attempts=settings.retry_attempts,
                                  max_seconds=settings.retry_max_seconds,
                                  wait_initial=wait_initial, wait_max=wait_max)
        self._buckets_ready = False
        self._buckets_lock = threading.Lock()

    def __repr__(self) -> str:  # never the secret
        return f"MinioStorage({self.endpoint_url}, access_key={self.settings.access_key!r})"

    # -- buckets ------------------------------------------------------------------------
    def ensure_buckets(self) -> dict[str, str]:
        """Create missing buckets; returns {bucket: "present" | "created"}."""
        with self._buckets_lock:
            states = {}
            for bucket in (self.raw_bucket, self.qc_bucket):
                states[bucket] = self.retry.call(f"checking bucket {bucket}", self._ensure_bucket, bucket)
            self._buckets_ready = True
            return states

    def _ensure_bucket(self, bucket: str) -> str:
        if self.client.bucket_exists(bucket):
            return "present"
        try:
            self.client.make_bucket(bucket, location=self.settings.region)
        except S3Error as exc:
            if exc.code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                return "present"
            raise
        log.info("storage %s: created bucket %s", self.endpoint_url, bucket)
        return "created"

    def _buckets(self) -> None:
        if not self._buckets_ready:
            self.ensure_buckets()

    # -- paths --------------------------------------------------------------------------
    def _split(self, file_path: str) -> tuple[str, str]:
        bucket, sep, key = file_path.partition("/")
        if not sep or not key or bucket not in (self.raw_bucket, self.qc_bucket):
            raise UsageError(f"{file_path!r} is not a path in this storage ({self.raw_bucket}/… or "
                             f"{self.qc_bucket}/…)")
        return bucket, key

    def _stat(self, bucket: str, key: str):
        """The object's stat, or None when there is no object at the key."""
        return self.retry.call(f"looking up {bucket}/{key}",
                               lambda: _none_if_missing(self.client.stat_object, bucket, key))

    def _checksums(self, bucket: str, key: str, stat) -> tuple[str | None, str | None, str | None]:
        """(md5, sha256, file type) recorded for an object: its tags, cross-checked against
        the ``Md5chksum`` metadata when that is there. All None when not completed by us."""
        found = self.retry.call(f"reading the checksums of {bucket}/{key}",
                                lambda: _none_if_missing(self.client.get_object_tags, bucket, key)) or {}
        md5 = md5_from_meta(found.get(TAG_MD5))
        sha = (found.get(TAG_SHA256) or "").strip().lower() or None
        ftype = (found.get(TAG_TYPE) or "").strip() or None
        meta_md5 = (stat.metadata or {}).get(META_MD5) if stat is not None else None
        if meta_md5 and md5_from_meta(meta_md5) != md5:
            return None, None, None  # tags and metadata disagree: trust neither
        return md5, sha, ftype

    def _remove(self, bucket: str, key: str) -> None:
        self.retry.call(f"removing {bucket}/{key}", self.client.remove_object, bucket, key)

    # -- store --------------------------------------------------------------------------
    def store(self, source: Path, key: ObjectKey, *, expected_type: str | None,
              declared_md5: str | None, progress=None) -> StoredFile:
        self._buckets()
        bucket, name = self.raw_bucket, key.key
        file_path = f"{bucket}/{name}"
        declared = declared_md5.strip().lower() if declared_md5 and declared_md5.strip() else None
        tracker = _FileProgress(progress)
        try:
            existing = self._stat(bucket, name)
            if existing is not None:
                facts = self._resume(source, key, existing, expected_type, declared, tracker)
                if facts is not None:
                    log.info("storage: skipped %s (already stored: same size and MD5)", file_path)
                    return StoredFile(file_path=file_path, facts=facts, skipped=True)
                log.info("storage: replacing %s (the object there differs or is incomplete)", file_path)
            facts = self.retry.call(f"uploading {file_path}", self._upload_once,
                                    source, key, expected_type, declared, tracker)
            self._finalise(bucket, name, facts)
            return StoredFile(file_path=file_path, facts=facts)
        finally:
            tracker.file_done(key.filename)

    def _resume(self, source, key: ObjectKey, existing, expected_type, declared, tracker) -> FileFacts | None:
        """FileFacts when the object at the key is this file, complete; else None (replace).

        Rule: the object must carry our checksum tags (so it was verified and completed),
        its size must equal the local file's, and its MD5 must equal the declared MD5 — or,
        with none declared, the MD5 of the local file read now.
        """
        try:
            local_size = os.stat(source).st_size
        except OSError:
            return None  # let the upload's reader report the problem
        if existing.size != local_size:
            return None
        stored_md5, stored_sha, stored_type = self._checksums(self.raw_bucket, key.key, existing)
        if not stored_md5 or not stored_sha or not stored_type:
            return None
        if expected_type is not None and stored_type != expected_type:
            return None
        if declared is not None:
            if declared != stored_md5:
                return None
            tracker.advance(local_size)
            return FileFacts(path=os.fspath(source), size=local_size, md5=stored_md5, sha256=stored_sha,
                             file_type=stored_type, filename=key.filename,
                             compressed=key.filename.endswith((".gz", ".bgz")) or stored_type in ("BAM",))
        # no declared MD5: hash the local file (no upload) and compare
        reader = HashingReader(source, filename=key.filename, expected_type=expected_type,
                               progress=tracker.new_attempt())
        with reader:
            buf = bytearray(HASH_CHUNK)
            while reader.readinto(buf):
                pass
            facts = reader.finish(None)
        if facts.md5 == stored_md5 and facts.sha256 == stored_sha:
            return facts
        return None

    def _upload_once(self, source, key: ObjectKey, expected_type, declared, tracker) -> FileFacts:
        """One try: stream the file through a new HashingReader into put_object; the bytes
        are checked after the last one is read and before the upload is completed."""
        bucket, name = self.raw_bucket, key.key
        # parallel=False: both hashes in the reading thread. The upload already keeps other
        # cores busy (parts in flight, their payload signing), so a helper thread only adds
        # hand-offs; measured ~20 % faster on 2 cores (bench/bench_minio.py).
        reader = HashingReader(source, filename=key.filename, expected_type=expected_type,
                               progress=tracker.new_attempt(), parallel=False)
        checked = _CheckedAtEnd(reader, declared)
        with reader:
            try:
                self.client.put_object(
                    bucket, name, checked, length=reader.size,
                    content_type=_content_type(key.filename),
                    metadata=_declared_md5_metadata(declared),
                    part_size=self._part_size(reader.size),
                    num_parallel_uploads=max(1, self.settings.parallel_parts),
                )
                facts = checked.facts or reader.finish(declared)  # empty file: never read
            except FileProblem:
                # the upload was aborted before completion; clear anything older at the key
                self._remove(bucket, name)
                raise
            except Exception as exc:
                problem = _file_problem_behind(exc)
                if problem is None:
                    raise
                # minio's abort of the multipart upload failed and its error replaced ours:
                # the file's problem is the answer (a retry would only read it again); the
                # incomplete upload holds no object and is the bucket's to expire.
                log.warning("%s: could not abort the multipart upload after %s (%s)",
                            key.filename, problem.kind, exc)
                self._remove(bucket, name)
                raise problem from None
            except OSError as exc:
                if is_transient(exc):
                    raise
                # e.g. minio's "stream having not enough data": the file shrank under us
                self._remove(bucket, name)
                try:
                    reader.finish(declared)  # usually says precisely what changed
                except FileProblem:
                    raise
                except Exception as detail:  # noqa: BLE001 - fall back to the upload's own words
                    log.debug("finish() after a failed read of %s: %s", key.filename, detail)
                raise FileProblem(key.filename, f"could not be read to the end ({exc})",
                                  kind="changed") from exc
        return facts

    def _part_size(self, size: int) -> int:
        part = max(5 * 1024 * 1024, int(self.settings.part_size))
        # S3: at most 10,000 parts; grow the part for huge files (memory: a few parts)
        while size > part * 10_000:
            part *= 2
        return min(part, 5 * 1024 ** 3)

    def _finalise(self, bucket: str, name: str, facts: FileFacts) -> None:
        """Record the checksums as object tags: metadata only, no copy, at any size."""
        tags = Tags.new_object_tags()
        tags[TAG_MD5] = facts.md5
        if facts.sha256:
            tags[TAG_SHA256] = facts.sha256
        tags[TAG_TYPE] = facts.file_type
        self.retry.call(f"recording checksums of {bucket}/{name}",
                        self.client.set_object_tags, bucket, name, tags)

    # -- before commit / after failure --------------------------------------------------
    def verify(self, stored: StoredFile) -> None:
        bucket, name = self._split(stored.file_path)
        stat = self._stat(bucket, name)
        facts = stored.facts
        if stat is None:
            raise InfrastructureError(f"{stored.file_path}: the stored object disappeared before commit")
        problems = []
        if stat.size != facts.size:
            problems.append(f"size {stat.size}, expected {facts.size}")
        md5, sha, _ = self._checksums(bucket, name, stat)
        if md5 != facts.md5:
            problems.append(f"MD5 tag {md5 or 'missing or contradicted by the metadata'}, "
                            f"expected {facts.md5}")
        if facts.sha256 and sha != facts.sha256:
            problems.append(f"SHA-256 tag {sha or 'missing'}, expected {facts.sha256}")
        if problems:
            raise InfrastructureError(f"{stored.file_path}: the stored object does not match what was "
                                      f"uploaded ({'; '.join(problems)})")

    def discard(self, file_path: str) -> None:
        bucket, name = self._split(file_path)
        self._remove(bucket, name)

    # -- reading ------------------------------------------------------------------------
    def download_url(self, file_path: str) -> str | None:
        bucket, name = self._split(file_path)
        return self.signer.presigned_get_object(bucket, name, expires=URL_LIFETIME)

    def open_file(self, file_path: str) -> BinaryIO:
        bucket, name = self._split(file_path)
        response = self.retry.call(f"opening {file_path}", self.client.get_object, bucket, name)
        return io.BufferedReader(_ObjectStream(response), buffer_size=1024 * 1024)

    def put_report(self, run_accession: str, name: str, source: Path) -> str:
        self._buckets()
        key = f"{run_accession}/{Path(name).name}"

        def put():
            with open(source, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                self.client.put_object(self.qc_bucket, key, fh, length=size,
                                       content_type=_content_type(name),
                                       part_size=self._part_size(size))

        self.retry.call(f"storing report {self.qc_bucket}/{key}", put)
        return f"{self.qc_bucket}/{key}"

    def report_url(self, report_path: str) -> str | None:
        return self.download_url(report_path)

    # -- operator check -----------------------------------------------------------------
    def check(self) -> str:
        """Connect, check credentials (a small write, read and delete) and buckets."""
        states = self.ensure_buckets()
        probe = f".nfdp-check/{os.getpid()}-{threading.get_ident()}"
        data = b"nfdp-ingest storage check\n"
        for bucket in (self.raw_bucket, self.qc_bucket):
            self.retry.call(f"writing a test object to {bucket}",  # a fresh stream per try
                            lambda b=bucket: self.client.put_object(b, probe, io.BytesIO(data), len(data)))
            probe_facts = FileFacts(path=probe, size=len(data), md5=hashlib.md5(data).hexdigest(),
                                    sha256=hashlib.sha256(data).hexdigest(), file_type="check")
            self._finalise(bucket, probe, probe_facts)
            stat = self._stat(bucket, probe)
            if stat is None or stat.size != len(data):
                raise InfrastructureError(f"object storage at {self.endpoint_url}: a test object "
                                          f"written to {bucket} could not be read back")
            if self._checksums(bucket, probe, stat)[:2] != (probe_facts.md5, probe_facts.sha256):
                raise InfrastructureError(f"object storage at {self.endpoint_url}: object tags "
                                          f"(where checksums are kept) do not work in {bucket}")
            self._remove(bucket, probe)
        buckets = ", ".join(f"{b} ({s})" for b, s in states.items())
        public = f"; download URLs signed for {self.public_url}" if self.settings.public_endpoint else ""
        return (f"minio storage OK: {self.endpoint_url} as {self.settings.access_key or '(anonymous)'}; "
                f"buckets {buckets}; write/tag/read/delete works{public}")


def _none_if_missing(call, bucket: str, key: str):
    """``call(bucket, key)``, or None when the server says there is no such object."""
    try:
        return call(bucket, key)
    except S3Error as exc:
        if exc.code in NOT_FOUND:
            return None
        raise


def _file_problem_behind(exc: BaseException) -> FileProblem | None:
    """The FileProblem an exception was raised while handling (minio re-raises the abort's
    error, if the abort fails, from inside the handler of ours)."""
    seen = set()
    cause = exc.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, FileProblem):
            return cause
        seen.add(id(cause))
        cause = cause.__context__
    return None
