"""Where staged bytes live: a folder under the data dir (local mode) or the
``nfdp-staging`` bucket (MinIO mode), key ``{owner}/{name}``.

``write`` streams an upload body through a StreamHashingReader into place and returns its
FileFacts; any problem (short body, wrong MD5, wrong type, storage failure) leaves
nothing behind: the local temporary file is removed, the multipart upload aborted.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import BinaryIO

from ..files import FileFacts, FileProblem
from ..files.stream import StreamHashingReader

log = logging.getLogger("nfdp_ingest.staging")

WRITE_CHUNK = 1024 * 1024


class LocalArea:
    mode = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def location(self, owner: int, name: str) -> str:
        return str((self.root / str(owner) / name).absolute())

    def write(self, owner: int, name: str, body: BinaryIO, *, length: int | None,
              declared_md5: str | None) -> tuple[str, FileFacts]:
        folder = self.root / str(owner)
        incoming = self.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        incoming.mkdir(parents=True, exist_ok=True)
        temp = incoming / f"{uuid.uuid4().hex}.part"
        reader = StreamHashingReader(body, filename=name, length=length)
        try:
            with open(temp, "wb") as out:
                buf = bytearray(WRITE_CHUNK)
                while n := reader.readinto(buf):
                    out.write(memoryview(buf)[:n])
                facts = reader.finish(declared_md5)
                out.flush()
                os.fsync(out.fileno())
            target = self.location(owner, name)
            os.replace(temp, target)  # atomic: a reader sees the old file or the new one
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return target, facts

    def remove(self, location: str) -> None:
        Path(location).unlink(missing_ok=True)

    def exists(self, location: str, size: int | None) -> bool:
        try:
            return os.stat(location).st_size == size
        except OSError:
            return False


class _EndChecked:
    """What put_object reads: the reader, finished (checked) at its last byte, so a
    problem raises inside put_object before the upload completes (it is then aborted)."""

    def __init__(self, reader: StreamHashingReader, declared: str | None):
        self.reader, self.declared = reader, declared
        self.facts: FileFacts | None = None

    def read(self, n: int = -1) -> bytes:
        data = self.reader.read(n)
        at_end = not data or (self.reader.length is not None and self.reader.bytes_read >= self.reader.length)
        if at_end and self.facts is None:
            self.facts = self.reader.finish(self.declared)
        return data


class MinioArea:
    mode = "minio"

    def __init__(self, storage):
        self.storage = storage
        self.bucket = storage.settings.staging_bucket
        self._ready = False

    def ensure_bucket(self) -> None:
        if not self._ready:
            self.storage.retry.call(f"checking bucket {self.bucket}", self.storage._ensure_bucket, self.bucket)
            self._ready = True

    def location(self, owner: int, name: str) -> str:
        return f"{self.bucket}/{owner}/{name}"

    def key(self, location: str) -> str:
        bucket, _, key = location.partition("/")
        if bucket != self.bucket or not key:
            raise ValueError(f"{location!r} is not in the staging bucket")
        return key

    def write(self, owner: int, name: str, body: BinaryIO, *, length: int | None,
              declared_md5: str | None) -> tuple[str, FileFacts]:
        from ..storage.minio_parts import _content_type

        self.ensure_bucket()
        location = self.location(owner, name)
        reader = StreamHashingReader(body, filename=name, length=length, parallel=False)
        checked = _EndChecked(reader, declared_md5)
        part = self.storage._part_size(length if length is not None else 0)
        # A body cannot be re-read: no retry here; the client sends it again.
        self.storage.client.put_object(
            self.bucket, self.key(location), checked, length=length if length is not None else -1,
            part_size=part, content_type=_content_type(name),
            num_parallel_uploads=max(1, self.storage.settings.parallel_parts))
        facts = checked.facts or reader.finish(declared_md5)
        return location, facts

    def remove(self, location: str) -> None:
        self.storage.retry.call(f"removing {location}", self.storage.client.remove_object,
                                self.bucket, self.key(location))

    def abort(self, location: str, upload_id: str) -> None:
        from minio.error import S3Error

        try:
            self.storage.retry.call(f"aborting the upload to {location}",
                                    self.storage.client._abort_multipart_upload,
                                    self.bucket, self.key(location), upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise

    def exists(self, location: str, size: int | None) -> bool:
        from ..storage.minio_store import _none_if_missing

        stat = self.storage.retry.call(f"looking up {location}", lambda: _none_if_missing(
            self.storage.client.stat_object, self.bucket, self.key(location)))
        return stat is not None and stat.size == size


def open_area(settings, storage=None):
    if settings.storage == "minio":
        from ..storage import open_storage

        return MinioArea(storage or open_storage(settings))
    return LocalArea(settings.staging_path)


__all__ = ["FileProblem", "LocalArea", "MinioArea", "open_area"]
