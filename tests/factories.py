"""Realistic registry rows for tests, inserted through the real ORM models and
``accessions.reserve`` (so counters and accessions behave as in production).

Every ``make_*`` takes an open Session (inside a transaction) and returns the
flushed ORM object; ``demo_tree`` builds a small hierarchy in one transaction
and returns the accessions by kind.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nfdp_ingest.registry import tokens
from nfdp_ingest.registry.accessions import reserve
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import Experiment, Project, QCReport, Run, Sample

_counter = itertools.count(1)


def _digest(algo: str, seed: str) -> str:
    return hashlib.new(algo, seed.encode()).hexdigest()


def make_project(session: Session, **kw: Any) -> Project:
    (acc,) = reserve(session, "PRJ")
    values = dict(title=f"Cattle genomes {acc}", description="Whole-genome sequencing of local breeds",
                  project_type="genome sequencing")
    values.update(kw)
    project = Project(accession=acc, **values)
    session.add(project)
    session.flush()
    return project


def make_sample(session: Session, project: Project, **kw: Any) -> Sample:
    (acc,) = reserve(session, "SAM")
    n = next(_counter)
    values = dict(
        alias=f"SAMPLE_{n:03d}", organism="Bos taurus", tax_id=9913, checklist_id="ERC000055",
        collection_date="2025-03-14", geographic_location="Kenya", breed="Boran", sex="female",
        tissue="blood", attributes={"project name": "NFDP cattle", "sample_storage": "-80C"},
    )
    values.update(kw)
    sample = Sample(accession=acc, project_id=project.id, **values)
    session.add(sample)
    session.flush()
    return sample


def make_experiment(session: Session, sample: Sample, **kw: Any) -> Experiment:
    (acc,) = reserve(session, "EXP")
    values = dict(platform="ILLUMINA", instrument_model="Illumina NovaSeq 6000", library_strategy="WGS",
                  library_source="GENOMIC", library_selection="RANDOM", library_layout="PAIRED",
                  insert_size=350)
    values.update(kw)
    experiment = Experiment(accession=acc, sample_id=sample.id, **values)
    session.add(experiment)
    session.flush()
    return experiment


def make_run(session: Session, experiment: Experiment, *, data: bytes | None = None,
             path: Path | str | None = None, **kw: Any) -> Run:
    """A run; with ``data`` its size and checksums are those of the bytes."""
    (acc,) = reserve(session, "RUN")
    direction = kw.pop("read_direction", "forward")
    filename = kw.pop("filename", f"{acc}_{'R2' if direction == 'reverse' else 'R1'}.fastq.gz")
    if data is not None:
        size, md5, sha = len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()
    else:
        size, md5, sha = 1234567890, _digest("md5", acc), _digest("sha256", acc)
    values = dict(filename=filename, file_type="FASTQ", file_size=size, checksum_md5=md5,
                  checksum_sha256=sha, read_direction=direction,
                  file_path=str(path) if path is not None else f"/data/incoming/{filename}")
    values.update(kw)
    run = Run(accession=acc, experiment_id=experiment.id, **values)
    session.add(run)
    session.flush()
    return run


def make_qc(session: Session, run: Run, **kw: Any) -> QCReport:
    values = dict(tool="FastQC", status="passed", summary={"total_sequences": 50000000, "gc_content": 42.5},
                  report_path=None)
    values.update(kw)
    report = QCReport(run_id=run.id, **values)
    session.add(report)
    session.flush()
    return report


def make_token(engine: Engine, name: str = "tests", role: str = "admin", projects: tuple[str, ...] = (),
               lifetime: timedelta | None = None) -> str:
    """A token's secret (default: an admin, as every token was before roles)."""
    with transaction(engine) as session:
        return tokens.create(session, name, role, projects, lifetime)


@dataclass
class Tree:
    projects: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    empty_project: str = ""
    empty_sample: str = ""


def demo_tree(engine: Engine, *, qc_dir: Path | None = None, samples: int = 2,
              runs_per_sample: int = 2) -> Tree:
    """The seed's demo data: NFDP-PRJ-000001 with samples of paired FASTQ runs
    (NFDP-RUN-000001 = SAMPLE_001_R1.fastq.gz with FastQC and MultiQC reports),
    a BAM run, and a project and a sample without runs. ``qc_dir`` receives the
    report files (local mode)."""
    tree = Tree()
    base = datetime(2026, 1, 15, 10, 30, 0)
    with transaction(engine) as s:
        project = make_project(s, title="Boran cattle WGS")
        tree.projects.append(project.accession)
        for i in range(1, samples + 1):
            sample = make_sample(s, project, alias=f"SAMPLE_{i:03d}")
            tree.samples.append(sample.accession)
            exp = make_experiment(s, sample)
            tree.experiments.append(exp.accession)
            for j in range(runs_per_sample):
                direction = ("forward", "reverse")[j % 2]
                name = f"SAMPLE_{i:03d}_R{j % 2 + 1}.fastq.gz" if j < 2 else f"SAMPLE_{i:03d}_L{j}.fastq.gz"
                run = make_run(s, exp, filename=name, read_direction=direction, file_path=name,
                               created_at=base + timedelta(minutes=len(tree.runs)),
                               checksum_md5=("d41d8cd98f00b204e9800998ecf8427e" if not tree.runs
                                             else _digest("md5", name)))
                tree.runs.append(run.accession)
        first_run = s.get(Run, s.query(Run.id).filter(Run.accession == tree.runs[0]).scalar())
        for tool, name, minutes in (("FastQC", "fastqc_report.html", 1), ("MultiQC", "multiqc_report.html", 0)):
            path = None
            if qc_dir is not None:
                target = Path(qc_dir) / first_run.accession / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"<html><body><h1>{tool} report</h1></body></html>\n")
                path = str(target.resolve())
            make_qc(s, first_run, tool=tool, report_path=path, created_at=base + timedelta(minutes=minutes),
                    summary={"total_sequences": 50000000, "gc_content": 42.5})
        bam_exp = make_experiment(s, s.get(Sample, s.query(Sample.id).filter(
            Sample.accession == tree.samples[-1]).scalar()), library_strategy="RNA-Seq",
            library_source="TRANSCRIPTOMIC", library_layout="SINGLE", insert_size=None,
            instrument_model="Illumina HiSeq 2500")
        tree.experiments.append(bam_exp.accession)
        bam = make_run(s, bam_exp, filename="aligned.bam", file_type="BAM", read_direction="single",
                       file_path="aligned.bam")
        tree.runs.append(bam.accession)
        empty_sample = make_sample(s, project, alias="NO_RUNS")
        tree.samples.append(empty_sample.accession)
        tree.empty_sample = empty_sample.accession
        other = make_project(s, title="Empty project")
        tree.projects.append(other.accession)
        tree.empty_project = other.accession
    return tree


@dataclass
class Branch:
    """One project with one sample, one experiment and a pair of runs (the first with a QC report file)."""

    project: str
    sample: str
    experiment: str
    runs: list[str]
    qc_file: str = "fastqc_report.html"


def project_branch(engine: Engine, *, title: str, release_date=None, qc_dir: Path | None = None) -> Branch:
    """A small project subtree; ``release_date`` in the future puts it under embargo."""
    with transaction(engine) as s:
        project = make_project(s, title=title, release_date=release_date)
        sample = make_sample(s, project)
        exp = make_experiment(s, sample)
        runs = [make_run(s, exp, read_direction=d) for d in ("forward", "reverse")]
        path = None
        if qc_dir is not None:
            target = Path(qc_dir) / runs[0].accession / "fastqc_report.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"<html><body>{title} QC</body></html>\n")
            path = str(target.resolve())
        make_qc(s, runs[0], report_path=path)
        return Branch(project.accession, sample.accession, exp.accession, [r.accession for r in runs])
