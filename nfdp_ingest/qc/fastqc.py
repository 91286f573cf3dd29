"""FastQC: parse ``fastqc_data.txt``, and run the real ``fastqc`` on FASTQ runs.

``run_fastqc`` picks the FASTQ runs that have no FastQC report yet (or the ones
asked for), runs ``fastqc`` on each file — in place in local mode, from a
temporary copy streamed out of storage in MinIO mode — judges the result against
the thresholds, keeps the HTML report through ``storage.put_report`` and records
each QCReport as soon as its run is done.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InfrastructureError, InvalidInput, NfdpError, UsageError
from ..registry.db import open_registry
from . import records
from .records import RunRef
from .thresholds import FastqcThresholds, Thresholds, fastqc_status, resolve_thresholds

REPORT_NAME = "fastqc_report.html"
DATA_NAME = "fastqc_data.txt"


class FastqcMissing(UsageError):
    """The fastqc executable is not there (exit 2); the message says how to install it."""


# --------------------------------------------------------------------------- parsing


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def parse_fastqc_data(text: str) -> dict[str, Any]:
    """Summary of one ``fastqc_data.txt``: Basic Statistics and every module's verdict.

    Keys: ``total_sequences`` (int), ``gc_content`` (float, %GC), ``sequence_length``
    (FastQC's text, e.g. ``"100"`` or ``"35-151"``), ``min_sequence_length`` /
    ``max_sequence_length`` (int), ``poor_quality_sequences`` (int), ``total_bases``
    (FastQC ≥ 0.12, as reported), ``encoding``, ``file_type``, ``filename``,
    ``fastqc_version`` and ``modules`` {module name: "pass" | "warn" | "fail"}.
    Raises InvalidInput when the text is not a FastQC data file.
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("##FastQC"):
        raise InvalidInput("not a FastQC data file (no '##FastQC' header line)")
    summary: dict[str, Any] = {"fastqc_version": lines[0].split("\t", 1)[-1].strip()}
    modules: dict[str, str] = {}
    basic: dict[str, str] = {}
    current: str | None = None
    for line in lines[1:]:
        if line.startswith(">>END_MODULE"):
            current = None
        elif line.startswith(">>"):
            name, _, verdict = line[2:].rpartition("\t")
            current = name.strip()
            modules[current] = verdict.strip().lower()
        elif current == "Basic Statistics" and line and not line.startswith("#"):
            key, _, value = line.partition("\t")
            basic[key.strip()] = value.strip()
    if "Basic Statistics" not in modules or "Total Sequences" not in basic:
        raise InvalidInput("FastQC data file has no Basic Statistics (Total Sequences missing)")

    summary["filename"] = basic.get("Filename")
    summary["file_type"] = basic.get("File type")
    summary["encoding"] = basic.get("Encoding")
    total = _number(basic["Total Sequences"].replace(",", ""))
    summary["total_sequences"] = int(total) if total is not None else None
    if "Total Bases" in basic:
        summary["total_bases"] = basic["Total Bases"]
    poor = _number(basic.get("Sequences flagged as poor quality", ""))
    summary["poor_quality_sequences"] = int(poor) if poor is not None else None
    length = basic.get("Sequence length", "")
    summary["sequence_length"] = length
    bounds = [_number(p) for p in length.split("-")] if length else []
    if bounds and all(b is not None for b in bounds):
        summary["min_sequence_length"] = int(bounds[0])
        summary["max_sequence_length"] = int(bounds[-1])
    gc = _number(basic.get("%GC", ""))
    summary["gc_content"] = float(gc) if gc is not None else None
    summary["modules"] = modules
    return summary


# --------------------------------------------------------------------------- running


@dataclass
class FastqcResult:
    run_accession: str
    filename: str
    status: str | None = None  # passed | warn | failed; None when FastQC could not run
    summary: dict[str, Any] = field(default_factory=dict)
    report_path: str | None = None
    error: str | None = None
    error_exit: int = 0  # exit code the error maps to (1 input, 3 infrastructure)
    stored: bool = False  # the QCReport row was committed

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_accession": self.run_accession, "filename": self.filename, "status": self.status,
            "summary": self.summary, "report_path": self.report_path, "error": self.error,
            "stored": self.stored,
        }


def find_fastqc(command: str | None = None) -> str:
    """The fastqc executable, or FastqcMissing (exit 2) saying how to install it."""
    name = command or "fastqc"
    found = shutil.which(name)
    if not found:
        raise FastqcMissing(f"FastQC is not installed ({name!r} not found); "
                            "install it with `apt-get install fastqc` (Debian/Ubuntu)")
    return found


def _stage_input(storage, run: RunRef, work: Path) -> Path:
    """A file FastQC can read: the local file itself, or a temporary copy named like the run's file."""
    if storage.mode == "local":
        path = Path(run.file_path)
        if not path.is_file():
            raise InvalidInput(f"{run.accession}: data file is no longer at {path}")
        return path
    target = work / Path(run.filename).name  # FastQC recognises .fastq.gz / .fq by the name
    try:
        with storage.open_file(run.file_path) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    except NfdpError:
        raise
    except OSError as exc:
        raise InfrastructureError(f"{run.accession}: cannot copy {run.file_path} from storage: {exc}") from exc
    return target


_EXCEPTION = re.compile(r"^\s*(?:[\w$]+\.)+\w*(?:Exception|Error)\b.*$", re.MULTILINE)


def _fastqc_problem(proc: subprocess.CompletedProcess) -> str:
    """The line of FastQC's output that says what went wrong (not the Java stack trace)."""
    text = proc.stderr or proc.stdout or ""
    m = _EXCEPTION.search(text)
    if m:
        return m.group(0).strip()
    for line in text.splitlines():
        if line.startswith("Failed to process") or "rror" in line:
            return line.strip()
    return f"exit status {proc.returncode}"


def _fastqc_one(run: RunRef, storage, fastqc: str, th: FastqcThresholds, tmp_root: Path) -> FastqcResult:
    result = FastqcResult(run.accession, run.filename)
    with tempfile.TemporaryDirectory(prefix=f"qc-{run.accession}-", dir=tmp_root) as tmp:
        work = Path(tmp)
        out = work / "out"
        out.mkdir()
        try:
            source = _stage_input(storage, run, work)
            proc = subprocess.run(
                [fastqc, "--extract", "--quiet", "-t", "1", "--dir", str(work), "-o", str(out), str(source)],
                check=False, capture_output=True, text=True, errors="replace",
            )
            data_files = sorted(out.glob("*/fastqc_data.txt"))
            problem = _fastqc_problem(proc)
            if proc.returncode != 0 or not data_files:
                raise InvalidInput(f"{run.accession}: FastQC could not analyse {run.filename}: {problem}")
            summary = parse_fastqc_data(data_files[0].read_text(encoding="utf-8", errors="replace"))
            if _EXCEPTION.search(proc.stderr or "") and not summary.get("total_sequences"):
                # FastQC 0.11 writes an empty report and exits 0 when reading fails early
                raise InvalidInput(f"{run.accession}: FastQC could not analyse {run.filename}: {problem}")
            status, reasons = fastqc_status(summary, th)
            summary["status_reasons"] = reasons
            html = data_files[0].parent / REPORT_NAME
            if not html.is_file():
                html = next(out.glob("*_fastqc.html"), html)
            report_path = storage.put_report(run.accession, REPORT_NAME, html) if html.is_file() else None
            # Kept too, so that `multiqc <qc folder>` can aggregate the stored reports later.
            storage.put_report(run.accession, DATA_NAME, data_files[0])
        except NfdpError as exc:
            result.error, result.error_exit = exc.message, exc.exit_code
            return result
        except OSError as exc:
            result.error, result.error_exit = f"{run.accession}: {exc}", 3
            return result
    result.status, result.summary, result.report_path = status, summary, report_path
    return result


def run_fastqc(
    settings: Settings,
    run_accessions: Iterable[str] | None = None,
    project: str | None = None,
    threads: int | None = None,
    *,
    thresholds: Thresholds | str | Path | None = None,
    fastqc: str | None = None,
    progress: Callable[[FastqcResult], None] | None = None,
    only_if_unchecked: bool | None = None,
) -> list[FastqcResult]:
    """FastQC on the given FASTQ runs, or on every FASTQ run (of ``project``) without a FastQC report.

    ``threads`` files are analysed at once (one FastQC process each). Returns one
    result per run in accession order; results with ``error`` were not stored.
    Each report is committed as soon as its run is done, so an interrupted batch
    keeps what it finished (a re-run without accessions picks up the rest).
    ``only_if_unchecked``: store a report only where the run has none (default: when no
    accessions are given; a queued job sets it so that a retried job stores no second report).
    """
    from ..storage import open_storage

    accessions = [a.strip() for a in (run_accessions or []) if a.strip()]
    if accessions and project:
        raise UsageError("give either a project or run accessions, not both")
    th = resolve_thresholds(thresholds)
    exe = find_fastqc(fastqc)
    engine = open_registry(settings.db_url)
    runs = records.runs_for_fastqc(engine, accessions, project)
    if not runs:
        return []
    storage = open_storage(settings)
    workers = max(1, min(threads or settings.threads or 1, len(runs)))
    tmp_root = Path(tempfile.mkdtemp(prefix="nfdp-fastqc-"))
    results: list[FastqcResult] = []
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastqc") as pool:
            futures = [pool.submit(_fastqc_one, run, storage, exe, th.fastqc, tmp_root) for run in runs]
            try:
                for run, fut in zip(runs, futures):
                    res = fut.result()
                    if res.ok:
                        # without accessions, another `qc run` may have checked this run meanwhile
                        res.stored = records.store_fastqc(engine, run.id, status=res.status, summary=res.summary,
                                                          report_path=res.report_path,
                                                          only_if_unchecked=not accessions
                                                          if only_if_unchecked is None else only_if_unchecked)
                    results.append(res)
                    if progress:
                        progress(res)
            except BaseException:
                for fut in futures:  # don't start FastQC on the rest once the batch has failed
                    fut.cancel()
                raise
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return results
