"""Helpers shared by the storage tests (importable: tests/storage is on sys.path)."""

from __future__ import annotations

import gzip
import random
from dataclasses import replace
from pathlib import Path

from nfdp_ingest.config import MinioSettings

MiB = 1024 * 1024


def minio_settings(s3, endpoint: str | None = None, **changes) -> MinioSettings:
    base = MinioSettings(endpoint=endpoint or s3.endpoint, access_key=s3.access_key,
                         secret_key=s3.secret_key, part_size=5 * MiB, parallel_parts=2,
                         retry_attempts=6, retry_max_seconds=30.0)
    return replace(base, **changes)


def write_fastq_gz(path: Path, *, records: int = 200, size: int | None = None, seed: int = 1) -> Path:
    """A real gzip'd FASTQ. With ``size``: random reads, stored uncompressed (level 0) so the
    file reaches about ``size`` bytes quickly (gzip still valid, sniffing still passes)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if size is None:
        with gzip.open(path, "wb") as fh:
            for i in range(records):
                seq = "".join(rng.choice("ACGT") for _ in range(50)).encode()
                fh.write(b"@r%d/1\n%s\n+\n%s\n" % (i, seq, b"I" * 50))
        return path
    block = []
    for i in range(2000):
        seq = "".join(rng.choice("ACGT") for _ in range(100)).encode()
        block.append(b"@read%d/1\n%s\n+\n%s\n" % (i, seq, b"F" * 100))
    chunk = b"".join(block)
    with gzip.open(path, "wb", compresslevel=0) as fh:
        written = 0
        n = 0
        while written < size:
            piece = chunk.replace(b"@read", b"@c%d_" % n)
            fh.write(piece)
            written += len(piece)
            n += 1
    return path


class RecordingProgress:
    """Stands in for nfdp_ingest.progress: records what it is told."""

    def __init__(self, on_advance=None):
        self.advanced = 0
        self.done: list[str] = []
        self.on_advance = on_advance

    def advance(self, n: int) -> None:
        self.advanced += n
        if self.on_advance:
            self.on_advance(self)

    def file_done(self, name: str) -> None:
        self.done.append(name)

    def close(self) -> None:
        pass



def s3_calls(heads: list[bytes]) -> list[tuple[str, str, dict[str, str]]]:
    """(method, request target, headers with lower-case names) for each request head a
    FaultProxy saw."""
    calls = []
    for head in heads:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        calls.append((method, target, headers))
    return calls


def copies(heads: list[bytes]) -> list[str]:
    """The requests that copy server side (CopyObject / UploadPartCopy): a rewrite of the bytes."""
    return [f"{m} {t}" for m, t, h in s3_calls(heads) if "x-amz-copy-source" in h]
