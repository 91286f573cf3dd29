"""The single-pass reader for bytes that arrive over a stream (an HTTP upload body, a
stored object) rather than from a local file: same hashes, same sniffing, same checks.

``StreamHashingReader`` is a :class:`HashingReader` whose source is any binary stream;
the length may be unknown (chunked upload). ``finish(declared_md5)`` checks type, the
length announced (if any) and the declared MD5 exactly as for a file.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from typing import Any, BinaryIO

from .detect import SUPPORTED, SUPPORTED_TEXT, type_from_extension
from .hashing import CHUNK_SIZE, HashingReader
from .problems import FileProblem


class StreamHashingReader(HashingReader):
    def __init__(self, stream: BinaryIO, *, filename: str, length: int | None = None,
                 expected_type: str | None = None, progress: Any = None,
                 chunk_size: int = CHUNK_SIZE, parallel: bool = True):
        # HashingReader.__init__ opens a path; the state it sets up is repeated here instead.
        self.filename = filename
        self.path = filename
        if expected_type is not None and expected_type not in SUPPORTED:
            raise ValueError(f"unknown expected_type {expected_type!r}; use one of {list(SUPPORTED)}")
        self.expected_type = expected_type or type_from_extension(filename)
        if self.expected_type is None:
            raise FileProblem(filename, f"is not of a supported type; supported: {SUPPORTED_TEXT}",
                              kind="unsupported")
        self.progress = progress
        self.chunk_size = chunk_size
        self.parallel = parallel
        self._stream = stream
        self.length = length
        self.size = length if length is not None else sys.maxsize  # the growth check's bound
        self._md5 = hashlib.md5()
        self._sha = hashlib.sha256()
        self._head = bytearray()
        self.content_type = None
        self.compressed = False
        self._sniffed = False
        self._nread = 0
        self._eof = False
        self._checked_eof = False
        self._facts = None
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        return None  # the stream belongs to whoever gave it

    def _readinto_raw(self, view: memoryview) -> int:
        data = self._read_raw(len(view))
        view[:len(data)] = data
        return len(data)

    def _read_raw(self, n: int) -> bytes:
        try:
            return self._stream.read(n) or b""
        except OSError as exc:
            raise FileProblem(self.filename, f"the upload broke off ({exc})", kind="unreadable") from None

    def _check_unchanged(self) -> None:
        if self._checked_eof:
            return
        self._checked_eof = True
        if self.length is not None and self._nread != self.length:
            raise FileProblem(self.filename, f"the upload ended after {self._nread} of the "
                                             f"{self.length} bytes announced", kind="changed")
        self.size = self._nread

    def finish(self, declared_md5: str | None = None):
        if not self._eof:  # read to the end: an upload must not carry more than announced
            while self.read(self.chunk_size):
                pass
        return super().finish(declared_md5)
