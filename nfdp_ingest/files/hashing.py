"""One streaming pass per file: MD5 + SHA-256 + type sniffing, in bounded memory.

``HashingReader`` is a binary file-like object: whoever reads it (``scan_file`` here, the
uploader in MinIO mode) gets every byte exactly once and each byte is hashed and sniffed
on the way. ``finish()`` then checks type, size/stability and the declared MD5.

Speed: hashlib releases the GIL for updates above 2 KiB, so files hashed in threads use
all cores. MD5 is the slow hash (~0.6 GB/s, strictly serial); SHA-256 with SHA-NI is
about twice as fast. Above ``PARALLEL_MIN`` bytes per read the SHA-256 update of a chunk
runs on a small shared helper pool while MD5 runs in the reading thread, so one file
costs about max(MD5, SHA-256) of wall time instead of their sum when cores are free.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import re
import stat
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .detect import (
    SUPPORTED,
    SUPPORTED_TEXT,
    compressed_by_extension,
    describe_content,
    is_gzip,
    sniff_needs_more,
    sniff_type,
    type_from_extension,
)
from .problems import FileProblem

if TYPE_CHECKING:  # pragma: no cover
    from .deep import DeepFacts

CHUNK_SIZE = 8 * 1024 * 1024
PARALLEL_MIN = 512 * 1024
MD5_RE = re.compile(r"^[0-9a-fA-F]{32}$")

_pool_lock = threading.Lock()
_pool: cf.ThreadPoolExecutor | None = None


def _helper_pool() -> cf.ThreadPoolExecutor:
    """Shared threads for SHA-256 updates (one task in flight per reader at most)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = cf.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                          thread_name_prefix="nfdp-sha256")
        return _pool


@dataclass(frozen=True)
class FileFacts:
    path: str
    size: int
    md5: str
    sha256: str | None  # None only when hashing was asked without SHA-256
    file_type: str
    read_count: int | None = None
    filename: str | None = None          # the name as the sheet wrote it
    compressed: bool = False             # gzip / BGZF content
    deep: DeepFacts | None = None      # filled by --deep checks


class HashingReader:
    """Read a local file once; every byte read feeds MD5, SHA-256 and the type sniffer.

    ``expected_type`` defaults to the type the filename's extension promises; a name of
    no supported type is refused at construction. As soon as enough leading bytes have
    been read (4 KiB, or the gzip payload's first line) the content type is checked
    against it and a disagreement raises FileProblem from ``read``. Growing past the
    size seen at open also raises from ``read``. ``finish()`` (after the last byte)
    checks the rest and returns FileFacts. ``progress.advance(n)`` is called per read;
    counting files done is the caller's business (``scan_files`` does it per job).

    ``read(-1)`` reads the rest of the file in one piece, as file objects do; streaming
    callers should read fixed sizes (or use ``readinto``) to keep memory bounded.
    """

    def __init__(self, path: str | os.PathLike, *, filename: str, expected_type: str | None = None,
                 progress: Any = None, chunk_size: int = CHUNK_SIZE, sha256: bool = True,
                 parallel: bool = True):
        self._start(filename, os.fspath(path), expected_type, progress, chunk_size, sha256, parallel)
        try:
            # O_NONBLOCK: a FIFO given by mistake must not hang the open (no effect on files)
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise FileProblem(filename, "no such file", kind="missing") from None
        except OSError as exc:
            raise FileProblem(filename, f"cannot be read ({exc.strerror})", kind="unreadable") from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise FileProblem(filename, f"is {what}", kind="not_regular")
        self._f = open(fd, "rb", buffering=0)
        self._st = st
        self.size: int = st.st_size

    def _start(self, filename: str, path: str, expected_type: str | None, progress: Any, chunk_size: int,
               sha256: bool, parallel: bool) -> None:
        """The expected type, checked, and the reading state: everything but the source, so a
        reader of another source (files.stream) sets up the same way."""
        self.filename = filename
        self.path = path
        if expected_type is not None and expected_type not in SUPPORTED:
            raise ValueError(f"unknown expected_type {expected_type!r}; use one of {list(SUPPORTED)}")
        self.expected_type = expected_type or type_from_extension(filename)
        if self.expected_type is None:
            raise FileProblem(filename, f"is not of a supported type; supported: {SUPPORTED_TEXT}",
                              kind="unsupported")
        self.progress = progress
        self.chunk_size = chunk_size
        self.parallel = parallel
        self._md5 = hashlib.md5()
        self._sha = hashlib.sha256() if sha256 else None
        self._head = bytearray()
        self.content_type: str | None = None
        self.compressed = False
        self._sniffed = False
        self._nread = 0
        self._eof = False
        self._checked_eof = False
        self._facts: FileFacts | None = None
        self._lock = threading.Lock()  # reads are serialised (a consumer may read from threads)

    # -- file-object protocol ---------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._nread

    @property
    def bytes_read(self) -> int:
        return self._nread

    @property
    def closed(self) -> bool:
        return self._f.closed

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while True:
                part = self.read(self.chunk_size)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        with self._lock:
            if n == 0 or self._eof:
                return b""
            data = self._read_raw(n)
            self._feed(data)
            return data

    def readinto(self, buffer) -> int:
        """Fill ``buffer`` (bytearray / memoryview) and hash it; 0 at EOF."""
        with self._lock:
            if self._eof:
                return 0
            view = memoryview(buffer).cast("B")
            got = 0
            while got < len(view):
                k = self._readinto_raw(view[got:])
                if not k:
                    break
                got += k
            self._feed(view[:got])
            return got

    # -- internals --------------------------------------------------------------------
    def _readinto_raw(self, view: memoryview) -> int:
        try:
            return self._f.readinto(view) or 0
        except OSError as exc:
            raise FileProblem(self.filename, f"read error ({exc.strerror})", kind="unreadable") from None

    def _read_raw(self, n: int) -> bytes:
        try:
            data = self._f.read(n)
            if data and len(data) < n:  # short read before EOF (rare on regular files)
                parts = [data]
                total = len(data)
                while total < n:
                    more = self._f.read(n - total)
                    if not more:
                        break
                    parts.append(more)
                    total += len(more)
                data = b"".join(parts)
        except OSError as exc:
            raise FileProblem(self.filename, f"read error ({exc.strerror})", kind="unreadable") from None
        return data or b""

    def _feed(self, data) -> None:
        n = len(data)
        if n == 0:
            self._eof = True
            self._sniff(final=True)
            self._check_unchanged()
            return
        self._nread += n
        if self._nread > self.size:
            raise FileProblem(self.filename, f"changed while being read (grew beyond the {self.size} "
                                             "bytes it had when opened)", kind="changed")
        if not self._sniffed:
            self._head += data[: max(0, 256 * 1024 - len(self._head))]
        if self._sha is not None and self.parallel and n >= PARALLEL_MIN:
            fut = _helper_pool().submit(self._sha.update, data)
            self._md5.update(data)
            fut.result()
        else:
            self._md5.update(data)
            if self._sha is not None:
                self._sha.update(data)
        if self.progress is not None:
            self.progress.advance(n)
        if not self._sniffed:
            self._sniff(final=self._nread == self.size)

    def _sniff(self, final: bool) -> None:
        if self._sniffed:
            return
        head = bytes(self._head)
        if not final and sniff_needs_more(head):
            return
        self._sniffed = True
        self._head = bytearray()
        if not head:
            raise FileProblem(self.filename, "is empty (0 bytes)", kind="empty")
        found = sniff_type(head)
        self.content_type = found
        self.compressed = is_gzip(head)
        expected = self.expected_type
        if found is None:
            raise FileProblem(
                self.filename,
                f"the content is not a supported type: it looks like {describe_content(head)}; "
                f"supported: {SUPPORTED_TEXT}", kind="unsupported", expected=expected,
                actual=describe_content(head))
        if found != expected:
            raise FileProblem(
                self.filename,
                f"the extension says {expected} but the content is {describe_content(head)}",
                kind="type_mismatch", expected=expected, actual=found)
        if found in ("FASTQ", "VCF") and type_from_extension(self.filename) == found:
            gz_name = compressed_by_extension(self.filename)
            if gz_name and not self.compressed:
                raise FileProblem(self.filename, f"the name ends in .gz but the content is "
                                                 f"uncompressed {found}", kind="type_mismatch",
                                  expected=f"{found} (gzip)", actual=f"{found} (uncompressed)")
            if self.compressed and not gz_name:
                raise FileProblem(self.filename, f"the content is gzip-compressed {found} but the "
                                                 "name does not end in .gz", kind="type_mismatch",
                                  expected=f"{found} (uncompressed)", actual=f"{found} (gzip)")

    def _check_unchanged(self) -> None:
        if self._checked_eof:
            return
        self._checked_eof = True
        if self._nread != self.size:
            raise FileProblem(self.filename, f"changed while being read ({self.size} bytes when "
                                             f"opened, {self._nread} read)", kind="changed")
        now = os.fstat(self._f.fileno())
        if now.st_size != self._st.st_size or now.st_mtime_ns != self._st.st_mtime_ns:
            raise FileProblem(self.filename, "changed while being read (modified on disk)",
                              kind="changed")
        try:
            at_path = os.stat(self.path)
        except OSError:
            raise FileProblem(self.filename, "was removed or renamed while being read",
                              kind="changed") from None
        if (at_path.st_ino, at_path.st_dev) != (self._st.st_ino, self._st.st_dev):
            raise FileProblem(self.filename, "was replaced by another file while being read",
                              kind="changed")

    # -- the end ----------------------------------------------------------------------
    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    def finish(self, declared_md5: str | None = None) -> FileFacts:
        """Check the file (type, unchanged, declared MD5) after its last byte; FileFacts."""
        if self._facts is not None and declared_md5 is None:
            return self._facts
        if not self._eof:
            if self._nread < self.size:
                raise RuntimeError(f"HashingReader.finish() for {self.filename} before the end "
                                   f"of the file ({self._nread} of {self.size} bytes read)")
            # the consumer stopped at the known size: make sure nothing follows
            if self.read(1):
                raise FileProblem(self.filename, "changed while being read (grew)", kind="changed")
        self._sniff(final=True)
        self._check_unchanged()
        md5 = self._md5.hexdigest()
        if declared_md5 is not None:
            declared = declared_md5.strip()
            if not MD5_RE.match(declared):
                raise FileProblem(self.filename, f"the declared MD5 {declared_md5!r} is not 32 "
                                                 "hexadecimal digits", kind="bad_md5",
                                  expected=declared_md5, actual=md5)
            if declared.lower() != md5:
                raise FileProblem(self.filename, f"MD5 mismatch: the sheet declares "
                                                 f"{declared.lower()} but the file's MD5 is {md5}",
                                  kind="md5_mismatch", expected=declared.lower(), actual=md5)
        self._facts = FileFacts(
            path=self.path, size=self.size, md5=md5,
            sha256=self._sha.hexdigest() if self._sha is not None else None,
            file_type=self.content_type or self.expected_type, filename=self.filename,
            compressed=self.compressed)
        return self._facts


# -----------------------------------------------------------------------------------------

def file_digest(path: str | os.PathLike, algorithm: str = "md5") -> str:
    """Hex digest of a whole file (sheets, generated examples)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def scan_file(path: str | os.PathLike, *, filename: str, expected_type: str | None = None,
              declared_md5: str | None = None, progress: Any = None, chunk_size: int = CHUNK_SIZE,
              sha256: bool = True, parallel: bool = True) -> FileFacts:
    """Hash and sniff one file in ``chunk_size`` reads into one reused buffer."""
    reader = HashingReader(path, filename=filename, expected_type=expected_type, progress=progress,
                           chunk_size=chunk_size, sha256=sha256, parallel=parallel)
    with reader:
        # small files get a small buffer: zeroing 8 MiB per file would dominate sheets of tiny files
        buf = bytearray(max(1, min(chunk_size, reader.size + 1)))
        while reader.readinto(buf):
            pass
        return reader.finish(declared_md5)
