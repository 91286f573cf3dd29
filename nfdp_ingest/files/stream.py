"""The single-pass reader for bytes that arrive over a stream (an HTTP upload body, a
stored object) rather than from a local file: same hashes, same sniffing, same checks.

``StreamHashingReader`` is a :class:`HashingReader` whose source is any binary stream;
the length may be unknown (chunked upload). ``finish(declared_md5)`` checks type, the
length announced (if any) and the declared MD5 exactly as for a file.
"""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

from .hashing import CHUNK_SIZE, HashingReader
from .problems import FileProblem


class StreamHashingReader(HashingReader):
    def __init__(self, stream: BinaryIO, *, filename: str, length: int | None = None,
                 expected_type: str | None = None, progress: Any = None,
                 chunk_size: int = CHUNK_SIZE, parallel: bool = True):
        self._start(filename, filename, expected_type, progress, chunk_size, True, parallel)
        self._stream = stream
        self.length = length
        self.size = length if length is not None else sys.maxsize  # the growth check's bound

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
