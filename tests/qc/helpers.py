"""Helpers of the QC tests: FASTQ files with a known read count and GC content,
registry rows inserted through the real models, and the real FastQC / MultiQC."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Experiment, Project, QCReport, Run, Sample

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Fastq:
    path: Path
    reads: int
    length: int
    gc_percent: float  # exact, by construction


def write_gc_fastq(folder: Path, name: str, *, reads: int = 2000, length: int = 100, gc: float = 0.40,
                   low_quality: bool = False, seed: int = 0) -> Fastq:
    """Gzipped FASTQ whose every read has exactly round(length*gc) G/C bases, in random order.

    Good quality: Phred ~37 with a few Phred 25 ('F' and ':', Sanger encoding);
    low quality: Phred 10 everywhere ('+'), which FastQC fails.
    """
    rng = random.Random(seed)
    k = round(length * gc)
    quality = "+" * length if low_quality else "".join(":" if i % 10 == 9 else "F" for i in range(length))
    path = Path(folder) / name
    with gzip.open(path, "wt") as fh:
        for i in range(reads):
            bases = [rng.choice("GC") for _ in range(k)] + [rng.choice("AT") for _ in range(length - k)]
            rng.shuffle(bases)
            fh.write(f"@{name.split('.')[0]}.{i} read {i}\n{''.join(bases)}\n+\n{quality}\n")
    return Fastq(path, reads, length, 100.0 * k / length)


def count_fastq(path: Path) -> tuple[int, float]:
    """Independent recount: (reads, %GC) of a gzipped FASTQ."""
    reads = gc = total = 0
    with gzip.open(path, "rt") as fh:
        for i, line in enumerate(fh):
            if i % 4 == 1:
                seq = line.strip()
                reads += 1
                gc += seq.count("G") + seq.count("C")
                total += len(seq)
    return reads, 100.0 * gc / total


def _digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _next(session, model, prefix: str) -> str:
    n = session.execute(select(func.count()).select_from(model)).scalar() + 1
    return f"NFDP-{prefix}-{n:06d}"


def add_project(database_url: str, title: str = "QC test project") -> str:
    engine = db.make_engine(database_url)
    try:
        with db.transaction(engine) as s:
            acc = _next(s, Project, "PRJ")
            s.add(Project(accession=acc, title=title))
        return acc
    finally:
        engine.dispose()


def add_run(database_url: str, project: str, *, alias: str, filename: str, file_path: str | Path | None = None,
            read_direction: str = "single", file_type: str = "FASTQ") -> str:
    """One run (with its sample and experiment, made if missing) through the ORM; returns its accession."""
    engine = db.make_engine(database_url)
    try:
        with db.transaction(engine) as s:
            proj = s.execute(select(Project).where(Project.accession == project)).scalar_one()
            sample = s.execute(
                select(Sample).where(Sample.project_id == proj.id, Sample.alias == alias)
            ).scalar_one_or_none()
            if sample is None:
                sample = Sample(accession=_next(s, Sample, "SAM"), project_id=proj.id, alias=alias,
                                organism="Bos taurus", tax_id=9913, checklist_id="ERC000055", attributes={})
                s.add(sample)
                s.flush()
            exp = s.execute(select(Experiment).where(Experiment.sample_id == sample.id)).scalars().first()
            if exp is None:
                exp = Experiment(accession=_next(s, Experiment, "EXP"), sample_id=sample.id, platform="ILLUMINA",
                                 instrument_model="Illumina NovaSeq 6000", library_strategy="WGS",
                                 library_source="GENOMIC", library_selection="RANDOM",
                                 library_layout="PAIRED" if read_direction != "single" else "SINGLE")
                s.add(exp)
                s.flush()
            path = Path(file_path) if file_path else None
            real = path is not None and path.is_file()
            acc = _next(s, Run, "RUN")
            s.add(Run(
                accession=acc, experiment_id=exp.id, filename=filename, file_type=file_type,
                file_size=path.stat().st_size if real else 1,
                checksum_md5=_digest(path, "md5") if real else "0" * 32,
                checksum_sha256=_digest(path, "sha256") if real else "0" * 64,
                read_direction=read_direction, file_path=str(path.resolve()) if real else str(file_path or filename),
            ))
        return acc
    finally:
        engine.dispose()


def qc_reports(database_url: str, run_accession: str | None = None) -> list[dict]:
    engine = db.make_engine(database_url)
    try:
        with db.transaction(engine) as s:
            q = select(QCReport, Run.accession).join(Run, QCReport.run_id == Run.id).order_by(QCReport.id)
            if run_accession:
                q = q.where(Run.accession == run_accession)
            return [
                {"run": acc, "tool": r.tool, "status": r.status, "summary": r.summary, "report_path": r.report_path}
                for r, acc in s.execute(q)
            ]
    finally:
        engine.dispose()


def run_real_fastqc(files: list[Path], out: Path, threads: int = 4) -> None:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["fastqc", "--quiet", "--extract", "-t", str(threads), "-o", str(out), *map(str, files)],
                   check=True, capture_output=True)


def run_real_multiqc(search_dir: Path, out: Path) -> Path:
    """Real MultiQC over a folder of FastQC outputs; returns multiqc_data.json."""
    exe = VENV_BIN / "multiqc"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "multiqc"]
    proc = subprocess.run([*cmd, "--force", "--no-ansi", "-o", str(out), str(search_dir)],
                          check=False, capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = out / "multiqc_data" / "multiqc_data.json"
    assert data.is_file(), f"MultiQC wrote no {data}: {proc.stdout[-1000:]}"
    return data


def cli(*args: str, env: dict, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nfdp_ingest", *args], env=env, cwd=cwd or REPO,
                          check=False, capture_output=True, text=True, timeout=timeout)
