"""Small pieces of MinIO mode: checksum encoding, endpoint and HTTP client set-up, and
the stream wrappers put_object / get_object see."""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import os
from urllib.parse import urlsplit

import certifi
import urllib3

from ..errors import UsageError
from ..files import FileFacts, HashingReader

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0


def md5_to_meta(md5_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")


def md5_from_meta(value: str | None) -> str | None:
    """The hex MD5 from ``Md5chksum`` (base64; a 32-hex value is accepted too)."""
    if not value:
        return None
    value = value.strip()
    if len(value) == 32:
        try:
            bytes.fromhex(value)
            return value.lower()
        except ValueError:
            pass
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def _split_endpoint(value: str, secure_default: bool) -> tuple[str, bool]:
    """``host[:port]`` or ``http(s)://host[:port]`` → (host[:port], secure)."""
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"storage endpoint {value!r}: use host:port or http(s)://host:port")
        if parts.path not in ("", "/"):
            raise UsageError(f"storage endpoint {value!r}: a path is not supported, give host:port")
        return parts.netloc, parts.scheme == "https"
    if not value or "/" in value:
        raise UsageError(f"storage endpoint {value!r}: use host:port or http(s)://host:port")
    return value, secure_default


def _http_client(maxsize: int) -> urllib3.PoolManager:
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        maxsize=maxsize,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=False,  # StorageRetry is the one retry layer
    )


def _content_type(filename: str) -> str:
    if filename.endswith((".gz", ".bgz")):
        return "application/gzip"
    guess, _ = mimetypes.guess_type(filename)
    return guess or "application/octet-stream"


class _FileProgress:
    """Forward a file's progress once, however many tries read it (high-water mark)."""

    def __init__(self, progress):
        self.progress = progress
        self.reported = 0
        self.attempt_bytes = 0
        self.done = False

    def new_attempt(self) -> _FileProgress:
        self.attempt_bytes = 0
        return self

    def advance(self, n: int) -> None:
        self.attempt_bytes += n
        if self.attempt_bytes > self.reported:
            extra = self.attempt_bytes - self.reported
            self.reported = self.attempt_bytes
            if self.progress is not None:
                self.progress.advance(extra)

    def file_done(self, name: str) -> None:
        if not self.done:
            self.done = True
            if self.progress is not None:
                self.progress.file_done(name)


class _ObjectStream(io.RawIOBase):
    """A stored object as a binary stream; closing it gives the connection back."""

    def __init__(self, response):
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._response.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()


class _CheckedAtEnd:
    """What put_object reads: the HashingReader, checked (``finish``) as soon as its last
    byte is read, so a FileProblem surfaces inside put_object before the upload completes
    and minio aborts it."""

    def __init__(self, reader: HashingReader, declared: str | None):
        self.reader, self.declared, self.pos = reader, declared, 0
        self.facts: FileFacts | None = None

    def read(self, n: int = -1) -> bytes:
        data = self.reader.read(n)
        self.pos += len(data)
        if self.facts is None and self.pos >= self.reader.size:
            self.facts = self.reader.finish(self.declared)
        return data
