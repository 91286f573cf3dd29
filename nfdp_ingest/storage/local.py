"""Local mode (the embedded default, the seed's "dev mode"): nothing is copied.

The run records the resolved path of the file where the submitter left it;
QC reports are kept under the data dir.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

from ..errors import InfrastructureError
from ..files import FileProblem, scan_file
from .base import ObjectKey, StoredFile


class LocalStorage:
    mode = "local"

    def __init__(self, qc_dir: Path):
        self.qc_dir = Path(qc_dir)

    def store(self, source: Path, key: ObjectKey, *, expected_type, declared_md5, progress=None) -> StoredFile:
        facts = scan_file(
            source, filename=key.filename, expected_type=expected_type,
            declared_md5=declared_md5, progress=progress,
        )
        if progress is not None:
            progress.file_done(key.filename)
        # absolute, not realpath'ed again: callers pass what resolve_file resolved
        return StoredFile(file_path=os.path.abspath(source), facts=facts)

    def verify(self, stored: StoredFile) -> None:
        path = Path(stored.file_path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise FileProblem(str(path), f"disappeared before commit ({exc.strerror})", kind="missing") from exc
        if size != stored.facts.size:
            raise FileProblem(
                str(path), f"changed before commit (size {size}, checked {stored.facts.size})", kind="changed"
            )

    def discard(self, file_path: str) -> None:
        return None  # the submitter's file is never ours to delete

    def download_url(self, file_path: str) -> str | None:
        return None

    def open_file(self, file_path: str) -> BinaryIO:
        return open(file_path, "rb")

    def put_report(self, run_accession: str, name: str, source: Path) -> str:
        target = self.qc_dir / run_accession / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return str(target.resolve())

    def report_url(self, report_path: str) -> str | None:
        return None

    def check(self) -> str:
        try:
            self.qc_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InfrastructureError(f"local storage: cannot create {self.qc_dir}: {exc.strerror}") from exc
        return f"local storage: files stay where they are; QC reports under {self.qc_dir.resolve()}"
