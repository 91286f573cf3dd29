"""``nfdp-ingest fetch``: every file of a project, sample, experiment or run, downloaded in
parallel and verified (fetch.download), plus the chosen nf-core sheet with local paths.

``fetch_scope`` is the library call; it returns a FetchReport whose ``exit_code`` is 0 when
every file is verified, 1 on a checksum mismatch or a missing file, 3 when the server (or the
storage it redirects to) could not be reached.
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EXIT_INFRA, EXIT_INVALID, EXIT_OK, InvalidInput, UsageError
from ..progress import make_progress
from .client import Client, Transient, Unreachable
from .download import FileJob, Outcome, download, safe_target

FIELDS = "run_accession,filename,file_size,checksum_md5,checksum_sha256"
_FILES_URL = re.compile(r"/api/v1/runs/([^/]+)/files/([^/?#]+)$")


@dataclass
class FetchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    sheet: Path | None = None
    sheet_problem: str | None = None
    skipped_runs: str = ""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        if self.count("unreachable"):
            return EXIT_INFRA
        if self.count("mismatch") or self.count("missing") or self.sheet_problem:
            return EXIT_INVALID
        return EXIT_OK

    def summary(self) -> str:
        return (f"{self.count('downloaded')} downloaded, {self.count('present')} already verified, "
                f"{self.count('mismatch')} mismatched, {self.count('missing')} missing, "
                f"{self.count('unreachable')} unreachable")


def list_files(client: Client, accession: str) -> list[FileJob]:
    """The run files of the accession (the file report); InvalidInput for an unknown one."""
    try:
        status, body = client.get_json("/api/v1/filereport", {"accession": accession, "fields": FIELDS})
    except Transient as exc:
        raise Unreachable(f"cannot reach {client.server} ({exc})") from None
    if status != 200:
        detail = body.get("detail") if isinstance(body, dict) else body
        raise InvalidInput(f"{client.server}: {accession}: {detail} (HTTP {status})")
    return [FileJob(r["run_accession"], r["filename"], int(r["file_size"]), r["checksum_md5"],
                    r["checksum_sha256"]) for r in body]


def _local_cell(value: str, out_dir: Path) -> str:
    def one(ref: str) -> str:
        m = _FILES_URL.search(ref)
        if not m:
            return ref
        from urllib.parse import unquote

        return str((out_dir / m.group(1) / unquote(m.group(2))).resolve())

    return ";".join(one(part) for part in value.split(";")) if value else value


def write_local_sheet(client: Client, accession: str, pipeline: str, out_dir: Path) -> tuple[Path, str]:
    """The server's sheet (https references) rewritten to the downloaded files' absolute paths."""
    try:
        status, text, headers = client.get_text(f"/api/v1/samplesheets/{accession}/{pipeline}.csv",
                                                {"paths": "https"})
    except Transient as exc:
        raise Unreachable(f"cannot reach {client.server} for the sheet ({exc})") from None
    if status != 200:
        try:
            import json

            detail = json.loads(text).get("detail", text)
        except ValueError:
            detail = text[:300]
        raise InvalidInput(f"no {pipeline} sheet for {accession}: {detail}")
    reader = csv.reader(io.StringIO(text))
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if text.startswith('"') else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator="\n", quoting=quoting)
    for i, row in enumerate(reader):
        writer.writerow(row if i == 0 else [_local_cell(c, out_dir) for c in row])
    target = out_dir / f"samplesheet_{pipeline}.csv"
    part = target.with_name(target.name + ".part")
    part.write_text(out.getvalue(), encoding="utf-8")
    part.replace(target)
    return target, headers.get("X-Skipped-Runs", "")


def fetch_scope(server: str, accession: str, out_dir: Path, *, threads: int = 4, pipeline: str | None = None,
                token: str | None = None, attempts: int = 6, wait_max: float = 5.0,
                progress_stream=None, tty: bool | None = None) -> FetchReport:
    client = Client(server, token=token, threads=threads)
    if pipeline and accession.startswith("NFDP-RUN-"):
        raise UsageError("--pipeline needs a project, sample or experiment (a sheet of one run file is "
                         "not a sample sheet)")
    jobs = list_files(client, accession)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    targets: list[tuple[FileJob, Path]] = []
    for job in jobs:
        target = safe_target(out_dir, job)
        if target is None:
            report.outcomes.append(Outcome(job, "mismatch", f"unsafe file name {job.filename!r} refused"))
        else:
            targets.append((job, target))
    total = sum(j.size for j, t in targets if not (t.exists() and t.stat().st_size == j.size))
    with make_progress(total, len(targets), label="downloading", stream=progress_stream, tty=tty) as progress:
        def one(item: tuple[FileJob, Path]) -> Outcome:
            outcome = download(client, item[0], item[1], attempts=attempts, wait_max=wait_max,
                               progress=progress)
            progress.file_done(item[0].filename)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            report.outcomes.extend(pool.map(one, targets))
    if pipeline and report.exit_code == EXIT_OK:
        try:
            report.sheet, report.skipped_runs = write_local_sheet(client, accession, pipeline, out_dir)
        except InvalidInput as exc:
            report.sheet_problem = exc.message
    return report
