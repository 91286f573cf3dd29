"""QC reports: FastQC on FASTQ runs, and the import of MultiQC's general statistics.

``run_fastqc`` picks the FASTQ runs that have no FastQC report yet (or the ones
asked for), runs the real ``fastqc`` on each file — in place in local mode, from a
temporary copy streamed out of storage in MinIO mode — parses ``fastqc_data.txt``,
judges it against the thresholds file, keeps the HTML report through
``storage.put_report`` and records every QCReport in one transaction.

``import_multiqc`` reads ``multiqc_data.json`` (old and new layouts), matches each
sample name to exactly one run (file name stem, then read-suffix variants, then the
sample alias) and records QCReports with tool ``MultiQC``. A name that matches no
run, or more than one, is listed and never guessed.

Thresholds come from ``sheets/qc_thresholds.toml`` (documented defaults there),
overridden key by key by a file the caller names (the CLI reads
``NFDP_QC_THRESHOLDS``; nothing here reads the environment).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select

from ..config import Settings
from ..errors import InfrastructureError, InvalidInput, NfdpError, UsageError
from ..registry.accessions import accession_order
from ..registry.db import open_registry, transaction
from ..registry.models import Experiment, Project, QCReport, Run, Sample
from ..resources import sheets_dir

FASTQC = "FastQC"
MULTIQC = "MultiQC"
REPORT_NAME = "fastqc_report.html"
DATA_NAME = "fastqc_data.txt"
STATUSES = ("passed", "warn", "failed")
INSTALL_HINT = "install it with `apt-get install fastqc` (Debian/Ubuntu) or point --fastqc / NFDP_FASTQC at it"


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class FastqcThresholds:
    fail_modules: tuple[str, ...] = ()
    ignore_modules: tuple[str, ...] = ()
    min_total_sequences: int = 0
    warn_total_sequences: int = 0
    max_poor_quality_percent: float = -1.0
    gc_content_min: float = -1.0
    gc_content_max: float = 101.0


@dataclass(frozen=True)
class MultiqcThresholds:
    min_total_sequences: int = 0
    warn_total_sequences: int = 0
    warn_percent_fails: float = 100.0
    fail_percent_fails: float = 100.0
    gc_content_min: float = -1.0
    gc_content_max: float = 101.0


@dataclass(frozen=True)
class Thresholds:
    fastqc: FastqcThresholds
    multiqc: MultiqcThresholds
    sources: tuple[str, ...] = ()  # files read, defaults first


SECTIONS = {"fastqc": FastqcThresholds, "multiqc": MultiqcThresholds}


def default_thresholds_path() -> Path:
    return sheets_dir() / "qc_thresholds.toml"


def _read_table(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"QC thresholds file {path}: cannot read it ({exc.strerror})") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise UsageError(f"QC thresholds file {path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'} ({exc})") from exc
    if not isinstance(data, dict):
        raise UsageError(f"QC thresholds file {path}: expected a table of sections [fastqc] and [multiqc]")
    return data


def _coerce(path: Path, section: str, key: str, value: Any, kind: type) -> Any:
    where = f"QC thresholds file {path}: [{section}] {key}"
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{where} must be a list of FastQC module names")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{where} must be a number, not {value!r}")
    if kind is int:
        if value != int(value):
            raise UsageError(f"{where} must be a whole number, not {value!r}")
        return int(value)
    return float(value)


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """The shipped defaults, overridden key by key by ``path`` (TOML or JSON) if given."""
    layers = [default_thresholds_path()] + ([Path(path)] if path else [])
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for layer in layers:
        data = _read_table(layer)
        for section, table in data.items():
            if section not in SECTIONS:
                raise UsageError(
                    f"QC thresholds file {layer}: unknown section [{section}] (use {', '.join(SECTIONS)})"
                )
            if not isinstance(table, dict):
                raise UsageError(f"QC thresholds file {layer}: [{section}] must be a table")
            types = {f.name: f.type for f in fields(SECTIONS[section])}
            for key, value in table.items():
                if key not in types:
                    raise UsageError(
                        f"QC thresholds file {layer}: unknown key {key!r} in [{section}] "
                        f"(known: {', '.join(types)})"
                    )
                kind = tuple if "tuple" in str(types[key]) else int if types[key] in (int, "int") else float
                values[section][key] = _coerce(layer, section, key, value, kind)
    return Thresholds(
        fastqc=FastqcThresholds(**values["fastqc"]),
        multiqc=MultiqcThresholds(**values["multiqc"]),
        sources=tuple(str(p) for p in layers),
    )


def _verdict(fails: list[str], warns: list[str]) -> tuple[str, list[str]]:
    if fails:
        return "failed", fails + warns
    if warns:
        return "warn", warns
    return "passed", []


def _check_read_count(total, th, fails: list[str], warns: list[str]) -> None:
    """The read-count thresholds both tools share."""
    if total is None:
        return
    if th.min_total_sequences and total < th.min_total_sequences:
        fails.append(f"{total} reads, fewer than the minimum {th.min_total_sequences}")
    elif th.warn_total_sequences and total < th.warn_total_sequences:
        warns.append(f"{total} reads, fewer than {th.warn_total_sequences}")


def fastqc_status(summary: dict[str, Any], th: FastqcThresholds) -> tuple[str, list[str]]:
    """``passed`` / ``warn`` / ``failed`` and the reasons, from a parsed FastQC summary."""
    fails: list[str] = []
    warns: list[str] = []
    for module, verdict in summary.get("modules", {}).items():
        if module in th.ignore_modules:
            continue
        if verdict == "fail":
            (fails if module in th.fail_modules else warns).append(f"module '{module}' failed")
        elif verdict == "warn":
            warns.append(f"module '{module}' warned")
    total = summary.get("total_sequences")
    _check_read_count(total, th, fails, warns)
    if total is not None:
        poor = summary.get("poor_quality_sequences")
        if poor is not None and total and th.max_poor_quality_percent >= 0:
            pct = 100.0 * poor / total
            if pct > th.max_poor_quality_percent:
                warns.append(f"{pct:.1f}% of reads flagged as poor quality (more than {th.max_poor_quality_percent}%)")
    gc = summary.get("gc_content")
    if gc is not None and not th.gc_content_min <= gc <= th.gc_content_max:
        warns.append(f"GC content {gc}% outside {th.gc_content_min}–{th.gc_content_max}%")
    return _verdict(fails, warns)


def multiqc_status(summary: dict[str, Any], th: MultiqcThresholds) -> tuple[str, list[str]]:
    fails: list[str] = []
    warns: list[str] = []
    _check_read_count(summary.get("total_sequences"), th, fails, warns)
    pf = summary.get("percent_fails")
    if isinstance(pf, (int, float)):
        if pf > th.fail_percent_fails:
            fails.append(f"{pf:g}% of FastQC modules failed (more than {th.fail_percent_fails:g}%)")
        elif pf > th.warn_percent_fails:
            warns.append(f"{pf:g}% of FastQC modules failed (more than {th.warn_percent_fails:g}%)")
    gc = summary.get("gc_content")
    if isinstance(gc, (int, float)) and not th.gc_content_min <= gc <= th.gc_content_max:
        warns.append(f"GC content {gc:g}% outside {th.gc_content_min:g}–{th.gc_content_max:g}%")
    return _verdict(fails, warns)


# --------------------------------------------------------------------------- FastQC parsing


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


# --------------------------------------------------------------------------- FastQC runs


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


@dataclass(frozen=True)
class _RunRef:
    id: int
    accession: str
    filename: str
    file_path: str


def find_fastqc(command: str | None = None) -> str:
    """The fastqc executable, or UsageError (exit 2) saying how to install it."""
    name = command or "fastqc"
    found = shutil.which(name)
    if not found:
        raise UsageError(f"FastQC is not installed ({name!r} not found); {INSTALL_HINT}")
    return found


def _select_runs(engine, run_accessions: list[str] | None, project: str | None) -> list[_RunRef]:
    with transaction(engine) as session:
        if run_accessions:
            wanted = list(dict.fromkeys(run_accessions))
            rows = session.execute(select(Run).where(Run.accession.in_(wanted))).scalars().all()
            by_acc = {r.accession: r for r in rows}
            missing = [a for a in wanted if a not in by_acc]
            if missing:
                raise InvalidInput(f"no such run: {', '.join(missing)}")
            not_fastq = [f"{a} ({by_acc[a].file_type})" for a in wanted if by_acc[a].file_type != "FASTQ"]
            if not_fastq:
                raise InvalidInput(f"FastQC checks FASTQ runs only: {', '.join(not_fastq)}")
            runs = [by_acc[a] for a in wanted]
        else:
            has_report = exists().where(QCReport.run_id == Run.id, QCReport.tool == FASTQC)
            query = select(Run).where(Run.file_type == "FASTQ", ~has_report)
            if project:
                if session.execute(select(Project.id).where(Project.accession == project)).first() is None:
                    raise InvalidInput(f"no such project: {project}")
                query = (query.join(Experiment, Run.experiment_id == Experiment.id)
                         .join(Sample, Experiment.sample_id == Sample.id)
                         .join(Project, Sample.project_id == Project.id)
                         .where(Project.accession == project))
            runs = session.execute(query.order_by(*accession_order(Run.accession))).scalars().all()
        return [_RunRef(r.id, r.accession, r.filename, r.file_path) for r in runs]


def _stage_input(storage, run: _RunRef, work: Path) -> Path:
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


def _fastqc_one(run: _RunRef, storage, fastqc: str, th: FastqcThresholds, tmp_root: Path) -> FastqcResult:
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
) -> list[FastqcResult]:
    """FastQC on the given FASTQ runs, or on every FASTQ run (of ``project``) without a FastQC report.

    ``threads`` files are analysed at once (one FastQC process each). Returns one
    result per run in accession order; results with ``error`` were not stored.
    Every report of the batch is committed in one transaction at the end.
    """
    from ..storage import open_storage

    accessions = [a.strip() for a in (run_accessions or []) if a.strip()]
    if accessions and project:
        raise UsageError("give either --project or run accessions, not both")
    th = thresholds if isinstance(thresholds, Thresholds) else load_thresholds(thresholds)
    exe = find_fastqc(fastqc)
    engine = open_registry(settings.db_url)
    runs = _select_runs(engine, accessions, project)
    if not runs:
        return []
    storage = open_storage(settings)
    workers = max(1, min(threads or settings.threads or 1, len(runs)))
    tmp_root = Path(tempfile.mkdtemp(prefix="nfdp-fastqc-"))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastqc") as pool:
            futures = [pool.submit(_fastqc_one, run, storage, exe, th.fastqc, tmp_root) for run in runs]
            results = []
            for fut in futures:
                res = fut.result()
                results.append(res)
                if progress:
                    progress(res)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    ids = {r.accession: r.id for r in runs}
    good = [r for r in results if r.ok]
    if good:
        with transaction(engine) as session:
            skip: set[int] = set()
            if not accessions:  # another `qc run` may have checked some of these meanwhile
                skip = set(session.execute(
                    select(QCReport.run_id).where(
                        QCReport.tool == FASTQC, QCReport.run_id.in_([ids[r.run_accession] for r in good])
                    )
                ).scalars())
            for res in good:
                if ids[res.run_accession] in skip:
                    continue
                session.add(QCReport(run_id=ids[res.run_accession], tool=FASTQC, status=res.status,
                                     summary=res.summary, report_path=res.report_path))
                res.stored = True
    return results


# --------------------------------------------------------------------------- MultiQC import

# Extensions MultiQC strips from sample names (the part of its fn_clean_exts that
# concerns our file types), removed repeatedly from the end of a run's filename.
_CLEAN_EXTS = (".gz", ".bz2", ".fastq", ".fq", ".bam", ".cram", ".sam", ".vcf", "_fastqc")
# A trailing read-direction suffix: _R1 _R2 _1 _2 .1 .2, optionally followed by Illumina's _001.
_READ_SUFFIX = re.compile(r"^(?P<base>.+?)[._](?:R(?P<r>[12])|(?P<n>[12]))(?:_001)?$")


def name_stem(name: str) -> str:
    """``S1_R1.fastq.gz`` → ``S1_R1``: the file name without path and data-file extensions."""
    stem = Path(name).name
    changed = True
    while changed:
        changed = False
        for ext in _CLEAN_EXTS:
            if stem.lower().endswith(ext) and len(stem) > len(ext):
                stem = stem[: -len(ext)]
                changed = True
    return stem


def read_key(stem: str) -> tuple[str, int | None]:
    """``S1_R1`` → (``S1``, 1); ``S1`` → (``S1``, None)."""
    m = _READ_SUFFIX.match(stem)
    if not m:
        return stem, None
    return m["base"], int(m["r"] or m["n"])


def general_stats(data: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{sample name: {module: {column: value}}}`` from a multiqc_data.json document.

    New layout (MultiQC ≥ 1.20 or so): ``report_general_stats_data`` is a dict
    ``{module: {sample: {column: value}}}``. Old layout: a list of
    ``{sample: {column: value}}``, one per module, with the module's name in the
    parallel ``report_general_stats_headers`` list (each column's ``namespace``).
    """
    if "report_general_stats_data" not in data:
        raise InvalidInput("not a MultiQC data file: no 'report_general_stats_data' (use multiqc_data/multiqc_data.json)")
    raw = data["report_general_stats_data"]
    headers = data.get("report_general_stats_headers")
    blocks: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        blocks = list(raw.items())
    elif isinstance(raw, list):
        for i, block in enumerate(raw):
            module = None
            head = headers[i] if isinstance(headers, list) and i < len(headers) else None
            if isinstance(head, dict):
                spaces = {h.get("namespace") for h in head.values() if isinstance(h, dict) and h.get("namespace")}
                if len(spaces) == 1:
                    module = spaces.pop()
            blocks.append(((module or f"module_{i + 1}").lower().replace(" ", "_"), block))
    else:
        raise InvalidInput("MultiQC data file: 'report_general_stats_data' is neither a list nor an object")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for module, block in blocks:
        if not isinstance(block, dict):
            continue
        for sample, columns in block.items():
            if isinstance(columns, list):  # grouped rows (some versions): merge the rows' columns
                merged: dict[str, Any] = {}
                for row in columns:
                    if isinstance(row, dict):
                        merged.update(row.get("data", row) if isinstance(row.get("data"), dict) else row)
                columns = merged
            if not isinstance(columns, dict):
                continue
            out.setdefault(str(sample), {}).setdefault(module, {}).update(columns)
    return out


def _first(stats: dict[str, dict[str, Any]], keys: tuple[str, ...]) -> Any:
    """A column from the FastQC module first, else from any module."""
    order = sorted(stats, key=lambda m: (m != "fastqc", m))
    for module in order:
        for key in keys:
            value = stats[module].get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
    return None


def multiqc_summary(name: str, stats: dict[str, dict[str, Any]], version: str | None) -> dict[str, Any]:
    total = _first(stats, ("total_sequences", "total_reads"))
    gc = _first(stats, ("percent_gc", "gc_content"))
    summary: dict[str, Any] = {
        "sample_name": name,
        "total_sequences": int(total) if total is not None else None,
        "gc_content": float(gc) if gc is not None else None,
    }
    for key, cols in (("avg_sequence_length", ("avg_sequence_length",)),
                      ("percent_duplicates", ("percent_duplicates",)),
                      ("percent_fails", ("percent_fails",))):
        value = _first(stats, cols)
        if value is not None:
            summary[key] = value
    summary["general_stats"] = stats
    if version:
        summary["multiqc_version"] = version
    return summary


@dataclass
class MatchedSample:
    name: str
    run_accession: str
    how: str  # "filename" | "read suffix" | "sample alias"
    status: str
    summary: dict[str, Any]
    created: bool = False  # False: the same MultiQC report was already stored

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "run_accession": self.run_accession, "matched_by": self.how,
                "status": self.status, "created": self.created, "summary": self.summary}


@dataclass
class UnmatchedSample:
    name: str
    reason: str
    candidates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason, "candidates": self.candidates}


@dataclass
class MultiqcImport:
    source: str
    matched: list[MatchedSample] = field(default_factory=list)
    unmatched: list[UnmatchedSample] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for m in self.matched if m.created)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "created": self.created,
                "matched": [m.as_dict() for m in self.matched],
                "unmatched": [u.as_dict() for u in self.unmatched]}


@dataclass(frozen=True)
class _Candidate:
    id: int
    accession: str
    filename: str
    read_direction: str
    alias: str


def _direction_ok(wanted: int | None, run_dir: int | None) -> bool:
    return wanted is None or run_dir is None or wanted == run_dir


def _match(name: str, runs: list[_Candidate]) -> tuple[_Candidate | None, str, list[str]]:
    """(run, how, candidates): a unique run, or None with the ambiguous candidates (maybe none)."""
    stem = name_stem(name)
    exact = [r for r in runs if name_stem(r.filename) == stem]
    if len(exact) == 1:
        return exact[0], "filename", []
    if exact:
        return None, "", sorted(r.accession for r in exact)

    base, direction = read_key(stem)
    variant = []
    for r in runs:
        rbase, rdir = read_key(name_stem(r.filename))
        if rbase == base and _direction_ok(direction, rdir):
            variant.append(r)
    if len(variant) == 1:
        return variant[0], "read suffix", []
    if variant:
        return None, "", sorted(r.accession for r in variant)

    dir_words = {"forward": 1, "reverse": 2}
    by_alias = [r for r in runs if r.alias in (stem, base)
                and (r.alias == stem or _direction_ok(direction, dir_words.get(r.read_direction)))]
    if len(by_alias) == 1:
        return by_alias[0], "sample alias", []
    return None, "", sorted(r.accession for r in by_alias)


def import_multiqc(
    settings: Settings,
    path: str | Path,
    *,
    project: str | None = None,
    thresholds: Thresholds | str | Path | None = None,
) -> MultiqcImport:
    """Store a MultiQC QCReport for every general-statistics sample that matches one run.

    Matching, in order, each step only when it gives exactly one run: the run's
    file name stem (``S1_R1.fastq.gz`` ↔ ``S1_R1``); the stem without a read suffix
    (``_R1 _R2 _1 _2 .1 .2`` [``_001``], keeping the read direction when the name has
    one); the sample alias (a sample's only run, or its forward/reverse run when the
    name carries a direction). ``project`` narrows the runs considered. A report
    identical to one already stored for that run is not stored again.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: not a MultiQC data file (expected a JSON object)")
    stats = general_stats(data)
    version = data.get("config_version")
    th = thresholds if isinstance(thresholds, Thresholds) else load_thresholds(thresholds)

    engine = open_registry(settings.db_url)
    result = MultiqcImport(source=str(path))
    with transaction(engine) as session:
        query = (select(Run.id, Run.accession, Run.filename, Run.read_direction, Sample.alias)
                 .join(Experiment, Run.experiment_id == Experiment.id)
                 .join(Sample, Experiment.sample_id == Sample.id))
        if project:
            if session.execute(select(Project.id).where(Project.accession == project)).first() is None:
                raise InvalidInput(f"no such project: {project}")
            query = query.join(Project, Sample.project_id == Project.id).where(Project.accession == project)
        runs = [_Candidate(*row) for row in session.execute(query)]

        pending: list[tuple[MatchedSample, int]] = []
        for name in sorted(stats):
            run, how, candidates = _match(name, runs)
            if run is None:
                reason = (f"ambiguous: matches {len(candidates)} runs" if candidates
                          else "no run with this file name stem or sample alias")
                result.unmatched.append(UnmatchedSample(name, reason, candidates))
                continue
            summary = multiqc_summary(name, stats[name], version)
            status, reasons = multiqc_status(summary, th.multiqc)
            summary["status_reasons"] = reasons
            pending.append((MatchedSample(name, run.accession, how, status, summary), run.id))

        names_of: dict[str, list[str]] = {}
        for match, _ in pending:
            names_of.setdefault(match.run_accession, []).append(match.name)
        for match, run_id in pending:
            others = sorted(names_of[match.run_accession])
            if len(others) > 1:  # two names resolving to one run: neither is trusted
                result.unmatched.append(UnmatchedSample(
                    match.name, f"ambiguous: {', '.join(others)} all match run {match.run_accession}",
                    [match.run_accession]))
                continue
            canonical = json.loads(json.dumps(match.summary, default=str))
            existing = session.execute(
                select(QCReport.summary).where(QCReport.run_id == run_id, QCReport.tool == MULTIQC)
            ).scalars().all()
            match.summary = canonical
            if canonical not in existing:
                session.add(QCReport(run_id=run_id, tool=MULTIQC, status=match.status,
                                     summary=canonical, report_path=None))
                match.created = True
            result.matched.append(match)
    result.unmatched.sort(key=lambda u: u.name)
    return result
