"""One nf-core sample sheet of a project, sample or experiment, built from the registry.

``prepare`` resolves the accession and makes the one pass over the runs: it raises SheetError
for a scope the pipeline cannot take (sarek single-end, an id nf-schema would cast to a number
with ``numeric_ids=refuse`` …) and collects the skipped runs, all before the first byte is sent
(the API puts them in a header). The rows go to a spooled temporary file (memory up to 8 MiB,
then disk); ``Sheet.chunks()`` streams it. Nothing else is held but the ids seen.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from ...registry.visibility import ANONYMOUS, Viewer
from .. import lookup
from .cells import Refs
from .context import Context, SheetError, Skip
from .pipelines import PIPELINES, Pipeline
from .units import units

__all__ = ["Sheet", "SheetError", "SkippedRun", "default_paths", "nextflow_config", "prepare"]

CHUNK = 64 * 1024


@dataclass(frozen=True)
class SkippedRun:
    accession: str
    filename: str
    code: str  # not-fastq | long-reads | platform | file-name | file-path
    reason: str

    def line(self) -> str:
        return f"skipped {self.accession} ({self.filename}): {self.reason}"


@dataclass
class Sheet:
    engine: Engine
    pipeline: Pipeline
    kind: str
    scope_id: int
    refs: Refs
    numeric_ids: str
    skipped: list[SkippedRun] = field(default_factory=list)
    rows_count: int = 0
    _body: tempfile.SpooledTemporaryFile | None = None

    def _rows(self) -> Iterator[dict]:
        ctx = Context(self.pipeline.name, self.refs, self.numeric_ids)
        patterns = {c: re.compile(p) for c, p in self.pipeline.patterns.items()}
        with self.engine.connect() as conn:
            for unit in units(lookup.scope_runs(conn, self.kind, self.scope_id, columns=lookup.SHEET_COLUMNS)):
                try:
                    rows = self.pipeline.rows(unit, ctx)
                    for row in rows:
                        _check_patterns(row, patterns, self.pipeline.name)
                except Skip as skip:
                    self.skipped.extend(SkippedRun(r["accession"], r["filename"], skip.code, skip.reason)
                                        for r in unit.runs)
                    continue
                yield from rows

    def check(self) -> Sheet:
        """The pass: errors raised (nothing kept), skipped runs collected, rows spooled."""
        self.skipped.clear()
        body = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+", encoding="utf-8", newline="")
        writer = csv.DictWriter(body, fieldnames=self.pipeline.columns, restval="", lineterminator="\n",
                                quoting=csv.QUOTE_ALL if self.pipeline.quote_all else csv.QUOTE_MINIMAL)
        writer.writeheader()
        count = 0
        try:
            for row in self._rows():
                writer.writerow(row)
                count += 1
        except BaseException:
            body.close()
            raise
        self.rows_count = count
        body.seek(0)
        self._body = body
        return self

    def chunks(self) -> Iterator[str]:
        """The CSV (header, then one line per row) in chunks of about 64 KiB; once."""
        if self._body is None:
            raise RuntimeError("the sheet was not prepared (or was already sent)")
        body, self._body = self._body, None
        try:
            while chunk := body.read(CHUNK):
                yield chunk
        finally:
            body.close()

    def skipped_header(self, limit: int = 200) -> str:
        """``ACC=code, …`` for the first ``limit`` skipped runs (the count goes in its own header)."""
        return ", ".join(f"{s.accession}={s.code}" for s in self.skipped[:limit])


def _check_patterns(row: dict, patterns: dict, pipeline: str) -> None:
    for column, pattern in patterns.items():
        value = row.get(column)
        if value and not pattern.search(value):
            raise Skip("file-name", f"{value.rsplit('/', 1)[-1]!r} does not match {pipeline}'s "
                       f"{column} pattern {pattern.pattern} (gzipped FASTQ, no blanks)")


def default_paths(storage_mode: str) -> str:
    return "s3" if storage_mode == "minio" else "https"


def prepare(engine: Engine, accession: str, pipeline: str, *, storage_mode: str, base_url: str,
            paths: str | None = None, numeric_ids: str = "prefix", viewer: Viewer = ANONYMOUS) -> Sheet:
    """Resolve, check and plan the sheet. Raises ValueError (bad pipeline, paths or numeric_ids),
    lookup.UnknownAccession (no such project/sample/experiment) and SheetError."""
    if pipeline not in PIPELINES:
        raise ValueError(f"unknown pipeline {pipeline[:40]!r}; known: {', '.join(PIPELINES)}")
    if numeric_ids not in ("prefix", "refuse"):
        raise ValueError(f"numeric_ids must be prefix or refuse (got {numeric_ids[:20]!r})")
    refs = Refs(paths or default_paths(storage_mode), storage_mode, base_url)
    with engine.connect() as conn:
        kind, record = lookup.find_record(conn, accession, ("project", "sample", "experiment"), viewer=viewer)
    sheet = Sheet(engine, PIPELINES[pipeline], kind, record["id"], refs, numeric_ids)
    return sheet.check()


def nextflow_config(storage_endpoint_url: str, region: str | None, bucket: str) -> str:
    """Nextflow settings to read ``s3://{bucket}/…`` from our S3 endpoint. Credentials are never
    written: Nextflow takes them from the environment variables named here."""
    secure = storage_endpoint_url.startswith("https://")
    return (
        "// Nextflow settings for the s3:// paths of NFDP sample sheets.\n"
        f"// Bucket: {bucket}. Credentials come from the environment, never from this file:\n"
        "//   export AWS_ACCESS_KEY_ID=...  AWS_SECRET_ACCESS_KEY=...\n"
        "aws {\n"
        f"    region = '{region or 'us-east-1'}'\n"
        "    client {\n"
        f"        endpoint = '{storage_endpoint_url}'\n"
        "        s3PathStyleAccess = true\n"
        f"        protocol = '{'https' if secure else 'http'}'\n"
        "    }\n"
        "}\n"
    )
