"""File types: from the name, from the first bytes, and where a sheet's filename lies."""

from __future__ import annotations

import functools
import os
import re
import stat
import zlib
from pathlib import Path, PurePosixPath, PureWindowsPath

from .formats import SUPPORTED, SUPPORTED_TEXT, type_from_extension  # noqa: F401 (the table lives in .formats)
from .problems import FileProblem

#: how many leading bytes the sniffer wants before it decides (it decides earlier at EOF)
SNIFF_BYTES = 4096
#: it stops waiting for more (e.g. a gzip header with a huge extra field) after this many
SNIFF_LIMIT = 256 * 1024

GZIP_MAGIC = b"\x1f\x8b\x08"
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
CRAM3_EOF = bytes.fromhex(
    "0f000000ffffffff0fe0454f46000000000100" "05bdd94f00010006060100010001" "00ee63014b"
)

_SAM_HEADER = re.compile(rb"@(HD|SQ|RG|PG|CO)\t")


def compressed_by_extension(filename: str) -> bool:
    return filename.lower().endswith(".gz")


def is_gzip(head: bytes) -> bool:
    return head[:3] == GZIP_MAGIC


def is_bgzf(head: bytes) -> bool:
    """gzip member with the FEXTRA 'BC' subfield (htslib's blocked gzip)."""
    if len(head) < 18 or not is_gzip(head) or not head[3] & 4:
        return False
    xlen = int.from_bytes(head[10:12], "little")
    extra = head[12:12 + xlen]
    i = 0
    while i + 4 <= len(extra):
        sub_len = int.from_bytes(extra[i + 2:i + 4], "little")
        if extra[i:i + 2] == b"BC":
            return True
        i += 4 + sub_len
    return False


def gunzip_head(head: bytes, limit: int = 64 * 1024) -> bytes:
    """As much of the gzip payload as the first bytes give (partial streams are fine)."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, limit)
    except zlib.error:
        return b""


def _text_type(payload: bytes) -> str | None:
    if payload.startswith(b"##fileformat=VCF"):
        return "VCF"
    if payload.startswith(b"@") and not _SAM_HEADER.match(payload):
        lines = payload.split(b"\n", 3)
        # when the third line is complete in the head, it must be the '+' separator
        if len(lines) >= 4 and not lines[2].startswith(b"+"):
            return None
        return "FASTQ"
    return None


def sniff_type(head: bytes) -> str | None:
    """The supported type the content is, from its first bytes; None when none fits.

    FASTQ: plain or gzip payload starting '@' (a SAM header is not FASTQ; when the head
    holds a whole record its third line must start '+'). BAM: BGZF whose payload starts
    ``BAM\\1``. CRAM: ``CRAM`` + major (1-4) and minor version bytes. VCF: plain or
    gzip/bgzip payload starting ``##fileformat=VCF``.
    """
    if len(head) >= 6 and head[:4] == b"CRAM" and 1 <= head[4] <= 4 and head[5] <= 9:
        return "CRAM"
    if is_gzip(head):
        payload = gunzip_head(head)
        if payload.startswith(b"BAM\x01"):
            return "BAM" if is_bgzf(head) else None
        return _text_type(payload)
    return _text_type(head)


def sniff_needs_more(head: bytes) -> bool:
    """True while the head is too short to decide (the caller decides anyway at EOF)."""
    if len(head) >= SNIFF_LIMIT:
        return False
    if is_gzip(head):
        return len(gunzip_head(head)) < 64 and len(head) < SNIFF_LIMIT
    return len(head) < SNIFF_BYTES


def describe_content(head: bytes) -> str:
    """What the first bytes look like, in words, for error messages."""
    if not head:
        return "empty"
    found = sniff_type(head)
    if is_gzip(head):
        payload = gunzip_head(head)
        kind = "BGZF" if is_bgzf(head) else "gzip"
        if found:
            return f"{found} ({kind}-compressed)"
        if payload.startswith(b"BAM\x01"):
            return "BAM inside plain gzip (not BGZF, which BAM requires)"
        if payload.startswith(b"BCF"):
            return "BCF (binary VCF, not supported)"
        if _SAM_HEADER.match(payload):
            return "SAM (gzip-compressed; not supported)"
        if not payload:
            return "gzip data with no readable payload"
        return f"gzip-compressed data starting {_show(payload)}"
    if found:
        return f"{found} (uncompressed)" if found in ("FASTQ", "VCF") else found
    for magic, name in ((b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"),
                        (b"PK\x03\x04", "zip")):
        if head.startswith(magic):
            return f"{name}-compressed data (not supported; use gzip)"
    if head.startswith(b"CRAM"):
        return "CRAM of an unknown version"
    if _SAM_HEADER.match(head):
        return "SAM (not supported; convert to BAM or CRAM)"
    if head.startswith(b">"):
        return "FASTA (not supported)"
    if head.startswith(b"@"):
        return "text starting '@' that is not FASTQ (third line is not '+')"
    if head.count(b"\x00") == len(head):
        return "all zero bytes"
    return f"data starting {_show(head)}"


def _show(data: bytes, n: int = 16) -> str:
    text = data[:n].decode("latin-1")
    printable = "".join(c if c.isprintable() and c.isascii() else "." for c in text)
    return repr(printable)


# ---------------------------------------------------------------------------------------
# where a sheet's filename lies

def resolve_file(root: Path | str, filename: str) -> Path:
    """The absolute real path of ``filename`` under ``root``, or FileProblem.

    Refused: empty names, absolute paths (POSIX or Windows style), any '..' part,
    symlinks (at any level) whose target is outside the root, missing files and
    broken links, anything that is not a regular file, files we may not read.
    """
    shown = filename
    if filename is None or not str(filename).strip():
        raise FileProblem(repr(filename), "empty file name", kind="invalid_name")
    filename = str(filename)
    if "\x00" in filename:
        raise FileProblem(shown, "file name contains a NUL byte", kind="invalid_name")
    win = PureWindowsPath(filename)
    if PurePosixPath(filename).is_absolute() or win.drive or win.root or filename.startswith("~"):
        raise FileProblem(shown, "absolute paths are not allowed; give the path relative to the "
                                 "files folder", kind="invalid_name")
    parts = re.split(r"[\\/]+", filename)
    if ".." in parts:
        raise FileProblem(shown, "'..' is not allowed in file names; the file must lie inside "
                                 "the files folder", kind="invalid_name")
    # plain os.path strings: this runs once per file of a sheet of maybe 100,000 files
    root_real = _realpath_cached(os.fspath(root))
    if not os.path.isdir(root_real):
        raise FileProblem(shown, f"the files folder {str(root)!r} does not exist", kind="missing")
    candidate = os.path.join(root_real, *[p for p in parts if p not in ("", ".")])
    if not os.path.lexists(candidate):
        raise FileProblem(shown, f"no such file in the files folder {str(root)!r}", kind="missing")
    # Folders are resolved once each (cached); only the file itself is lstat'ed per
    # call, and a symlinked file is followed in full.
    folder, name = os.path.split(candidate)
    real = os.path.join(_realpath_cached(folder), name)
    if os.path.islink(real):
        real = os.path.realpath(real)
    if not real.startswith(root_real.rstrip(os.sep) + os.sep):
        raise FileProblem(shown, "is a symbolic link to a file outside the files folder "
                                 f"({str(root)!r}); copy the file in instead", kind="outside_root")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise FileProblem(shown, "is a broken symbolic link", kind="missing") from None
    except OSError as exc:
        raise FileProblem(shown, f"cannot be read ({exc.strerror})", kind="unreadable") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise FileProblem(shown, f"is {what}", kind="not_regular")
    if not os.access(real, os.R_OK):
        raise FileProblem(shown, "cannot be read (permission denied)", kind="unreadable")
    return Path(real)


@functools.lru_cache(maxsize=4096)
def _realpath_cached(folder: str) -> str:
    """Real path of a folder; cached because a sheet's files share few folders.
    (A folder swapped for a symlink while a process runs is not noticed: the
    per-file lstat still catches a symlinked file.)"""
    return os.path.realpath(folder)
