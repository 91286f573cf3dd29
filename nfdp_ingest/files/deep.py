"""Opt-in deep checks (``--deep``): gzip integrity to the last byte, FASTQ records, pairs.

These decompress the whole file (igzip from python-isal when available, ~2-3x zlib),
so they cost far more than hashing and are a second pass over the file.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from dataclasses import dataclass

from .detect import BGZF_EOF, CRAM3_EOF, SUPPORTED, is_gzip
from .problems import FileProblem

try:  # python-isal comes with dnaio (via xopen) on x86-64 / arm64
    from isal import igzip as _gz
    from isal.isal_zlib import error as _IsalError
except ImportError:  # pragma: no cover - fall back to the standard library
    _gz = gzip
    _IsalError = zlib.error

READ_BUF = 4 * 1024 * 1024
MAX_NAME = 256  # ENA: read names of at most 256 characters


@dataclass(frozen=True)
class DeepFacts:
    filename: str
    path: str
    file_type: str
    compressed: bool
    uncompressed_size: int | None = None
    read_count: int | None = None          # FASTQ reads
    record_count: int | None = None        # VCF data lines
    first_name: str | None = None          # FASTQ: first read's header (without '@')
    last_name: str | None = None
    #: FASTQ: (index, name) of the reads at index 0, 1, 2, 4, 8, ... and the last one; a
    #: pair with equal counts must have mate names at every one of these positions
    sample_names: tuple[tuple[int, str], ...] = ()


def deep_check(path: str | os.PathLike, file_type: str, *, filename: str | None = None) -> DeepFacts:
    """Read the whole file and check its structure; FileProblem naming the place otherwise."""
    path = os.fspath(path)
    name = filename or os.path.basename(path)
    if file_type not in SUPPORTED:
        raise ValueError(f"unknown file type {file_type!r}")
    try:
        with open(path, "rb") as raw:
            head = raw.read(4)
            raw.seek(0)
            compressed = is_gzip(head)
            if file_type == "FASTQ":
                return _fastq(raw, path, name, compressed)
            if file_type == "VCF":
                return _vcf(raw, path, name, compressed)
            if file_type == "BAM":
                return _bam(raw, path, name)
            return _cram(raw, path, name)
    except FileNotFoundError:
        raise FileProblem(name, "no such file", kind="missing") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise FileProblem(name, f"cannot be read ({exc.strerror})", kind="unreadable") from None


def _open_payload(raw, compressed: bool):
    return _gz.GzipFile(fileobj=raw, mode="rb") if compressed else raw


def _gzip_error(name: str, exc: BaseException, where: str) -> FileProblem:
    if isinstance(exc, EOFError):
        why = "the gzip data ends early: the file is truncated (incomplete download or copy?)"
    else:
        why = f"the gzip data is corrupt ({exc})"
    return FileProblem(name, f"{why}; {where}", kind="corrupt")


_GZ_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, _IsalError, OSError)


def _fastq(raw, path: str, name: str, compressed: bool) -> DeepFacts:
    import dnaio

    stream = _open_payload(raw, compressed)
    count = 0
    first = last = None
    samples: list[tuple[int, str]] = []
    try:
        with dnaio.open(stream, fileformat="fastq", mode="r") as reader:
            for rec in reader:
                rname = rec.name
                if count & (count - 1) == 0:  # 0, 1, 2, 4, 8, ...
                    samples.append((count, rname))
                    if count == 0:
                        first = rname
                if len(rname) > MAX_NAME:
                    raise FileProblem(name, f"read {count + 1} (line {4 * count + 1}) has a name "
                                            f"of {len(rname)} characters; at most {MAX_NAME} are "
                                            "allowed", kind="corrupt")
                count += 1
                last = rname
    except dnaio.exceptions.FileFormatError as exc:
        line = getattr(exc, "line", None)
        if isinstance(line, int):
            read_no = line // 4 + 1
            where = f"read {read_no} (lines {4 * read_no - 3}-{4 * read_no})"
        else:
            where = f"after read {count}"
        msg = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
        raise FileProblem(name, f"invalid FASTQ in {where}: {msg}", kind="corrupt") from None
    except _GZ_ERRORS as exc:
        try:
            pos = stream.tell()
        except Exception:  # noqa: BLE001 - only for the message
            pos = None
        at = f" at uncompressed byte {pos}" if pos else ""
        raise _gzip_error(name, exc, f"it stops{at}, {count} complete reads were checked before") from None
    except UnicodeDecodeError as exc:
        raise FileProblem(name, f"invalid FASTQ after read {count}: non-ASCII bytes ({exc.reason})",
                          kind="corrupt") from None
    if count == 0:
        raise FileProblem(name, "contains no reads (a FASTQ file needs at least one)", kind="corrupt")
    if samples[-1][0] != count - 1:
        samples.append((count - 1, last))
    return DeepFacts(filename=name, path=path, file_type="FASTQ", compressed=compressed,
                     read_count=count, first_name=first, last_name=last,
                     sample_names=tuple(samples),
                     uncompressed_size=stream.tell() if compressed else os.fstat(raw.fileno()).st_size)


def _drain(stream) -> int:
    buf = bytearray(READ_BUF)
    total = 0
    while True:
        n = stream.readinto(buf)
        if not n:
            return total
        total += n


def _bam(raw, path: str, name: str) -> DeepFacts:
    try:
        size = _drain(_gz.GzipFile(fileobj=raw, mode="rb"))
    except _GZ_ERRORS as exc:
        raise _gzip_error(name, exc, "BGZF blocks could not all be read") from None
    raw.seek(max(0, os.fstat(raw.fileno()).st_size - len(BGZF_EOF)))
    if raw.read() != BGZF_EOF:
        raise FileProblem(name, "has no BGZF end-of-file marker: the BAM file is truncated",
                          kind="corrupt")
    return DeepFacts(filename=name, path=path, file_type="BAM", compressed=True, uncompressed_size=size)


def _cram(raw, path: str, name: str) -> DeepFacts:
    head = raw.read(26)
    size = os.fstat(raw.fileno()).st_size
    if len(head) < 26 or head[:4] != b"CRAM":
        raise FileProblem(name, "is too short for a CRAM file definition", kind="corrupt")
    if head[4] == 3:  # CRAM 3.x has a fixed end-of-file container
        raw.seek(max(0, size - len(CRAM3_EOF)))
        if raw.read() != CRAM3_EOF:
            raise FileProblem(name, "has no CRAM end-of-file container: the CRAM file is truncated",
                              kind="corrupt")
    return DeepFacts(filename=name, path=path, file_type="CRAM", compressed=False)


def _vcf(raw, path: str, name: str, compressed: bool) -> DeepFacts:
    stream = io.BufferedReader(_open_payload(raw, compressed), READ_BUF) if compressed else raw
    line_no = 0
    records = 0
    saw_chrom = False
    try:
        for line in stream:
            line_no += 1
            if line.startswith(b"#"):
                if line.startswith(b"#CHROM"):
                    saw_chrom = True
                elif records:
                    raise FileProblem(name, f"header line after data at line {line_no}", kind="corrupt")
                continue
            if not line.strip():
                continue
            if not saw_chrom:
                raise FileProblem(name, f"data at line {line_no} before the '#CHROM' header line",
                                  kind="corrupt")
            if line.count(b"\t") < 7:
                raise FileProblem(name, f"line {line_no} has fewer than the 8 VCF columns",
                                  kind="corrupt")
            records += 1
    except FileProblem:
        raise
    except _GZ_ERRORS as exc:
        raise _gzip_error(name, exc, f"after line {line_no}") from None
    if not saw_chrom:
        raise FileProblem(name, "has no '#CHROM' header line", kind="corrupt")
    return DeepFacts(filename=name, path=path, file_type="VCF", compressed=compressed,
                     record_count=records)


# ---------------------------------------------------------------------------------------
# pairs

_CASAVA = re.compile(r"^([12]):[YN]:")


def mate_key(read_name: str) -> tuple[str, str | None]:
    """(read id without mate marker, '1' / '2' / None) for Casava 1.8 or /1 /2 names."""
    head, _, comment = read_name.partition(" ")
    if not _:
        head, _, comment = read_name.partition("\t")
    if len(head) > 2 and head[-2] == "/" and head[-1] in "12":
        return head[:-2], head[-1]
    m = _CASAVA.match(comment.lstrip())
    return head, (m.group(1) if m else None)


def mates_problem(forward_read: str, reverse_read: str) -> str | None:
    """Why these two read names are not mates (forward then reverse), or None."""
    fid, fmate = mate_key(forward_read)
    rid, rmate = mate_key(reverse_read)
    if fid != rid:
        return f"read names differ: {forward_read!r} vs {reverse_read!r}"
    if fmate == "2" or rmate == "1":
        return (f"mate numbers are swapped ({forward_read!r} in the forward file, {reverse_read!r} "
                "in the reverse file)")
    return None


def check_pair(forward: DeepFacts, reverse: DeepFacts, forward_name: str | None = None,
               reverse_name: str | None = None) -> None:
    """Equal read counts and matching mate names at every sampled position, else FileProblem.

    The problem is reported against the reverse file; its message names both.
    """
    fname = forward_name or forward.filename
    rname = reverse_name or reverse.filename
    if forward.file_type != "FASTQ" or reverse.file_type != "FASTQ":
        raise FileProblem(rname, f"paired files must both be FASTQ ({fname} is {forward.file_type}, "
                                 f"{rname} is {reverse.file_type})", kind="pair_mismatch")
    if forward.read_count != reverse.read_count:
        raise FileProblem(rname, f"has {reverse.read_count} reads but its forward mate {fname} has "
                                 f"{forward.read_count}; paired files must have the same number "
                                 "of reads", kind="pair_mismatch",
                          expected=str(forward.read_count), actual=str(reverse.read_count))
    fwd = dict(forward.sample_names)
    for index, rev_read in reverse.sample_names:
        fwd_read = fwd.get(index)
        if fwd_read is None:
            continue
        why = mates_problem(fwd_read, rev_read)
        if why:
            raise FileProblem(rname, f"is not the mate of {fname}: at read {index + 1} the {why}",
                              kind="pair_mismatch", expected=fwd_read, actual=rev_read)
