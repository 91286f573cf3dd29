"""The one small interface every storage mode implements.

``store`` is where the single pass over a file happens: it reads the file once
through a HashingReader (MD5, SHA-256, type sniffing, progress) and, in MinIO
mode, feeds the same bytes to the upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from ..files import FileFacts


@dataclass(frozen=True)
class ObjectKey:
    """Where a run's file goes: {project}/{sample}/{run}/{filename}."""

    project: str
    sample: str
    run: str
    filename: str

    @property
    def key(self) -> str:
        return f"{self.project}/{self.sample}/{self.run}/{Path(self.filename).name}"


@dataclass(frozen=True)
class StoredFile:
    file_path: str  # what the Run records: local path, or "bucket/key"
    facts: FileFacts
    skipped: bool = False  # already stored with the same size and MD5 (resume)


class Storage(Protocol):
    mode: str  # "local" | "minio"

    def store(
        self,
        source: Path,
        key: ObjectKey,
        *,
        expected_type: str | None,
        declared_md5: str | None,
        progress=None,
    ) -> StoredFile:
        """Read ``source`` once: check it and (in MinIO mode) upload it, telling
        ``progress`` about bytes as they pass and the file when done, and record its
        checksums with the stored object without rewriting it (MinIO: object tags, plus
        the declared MD5 as metadata from the start). Raises FileProblem for bad content
        or a wrong MD5 (nothing left behind: the upload is aborted before it completes),
        and InfrastructureError when storage fails after retries or cannot heal (TLS,
        credentials)."""

    def verify(self, stored: StoredFile) -> None:
        """Before commit: the stored object still has the recorded size and checksums
        (MinIO: read back from its tags). Raises InfrastructureError otherwise."""

    def discard(self, file_path: str) -> None:
        """Remove what a failed submission stored (local mode: nothing to do)."""

    def download_url(self, file_path: str) -> str | None:
        """A presigned GET URL valid 24 h (MinIO), or None (local mode)."""

    def open_file(self, file_path: str) -> BinaryIO:
        """Stream a stored data file (for QC)."""

    def put_report(self, run_accession: str, name: str, source: Path) -> str:
        """Keep a QC report; returns its report_path."""

    def report_url(self, report_path: str) -> str | None:
        """Where a client can fetch a stored report (MinIO: presigned), or None (served locally)."""

    def check(self) -> str:
        """Connect and check credentials, buckets and that checksums can be recorded and read
        back (MinIO: tagging a test object); returns a verdict line or raises InfrastructureError."""
