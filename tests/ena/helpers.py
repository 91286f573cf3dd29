"""A brokerable project in the registry, and ENA's own XSDs from the ena-upload-cli package."""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from lxml import etree

from nfdp_ingest.registry.db import transaction
from tests.factories import make_experiment, make_project, make_run, make_sample

CENTER = "National Sequencing Centre"


def ena_upload_xsd_dir() -> Path:
    """Where the PyPI package ena-upload-cli ships ENA's SRA XSDs (ena_upload/templates/)."""
    spec = importlib.util.find_spec("ena_upload")
    assert spec is not None and spec.submodule_search_locations, "make install-test adds ena-upload-cli"
    folder = Path(next(iter(spec.submodule_search_locations))) / "templates"
    assert (folder / "SRA.common.xsd").is_file()
    return folder


def upstream_schema(name: str) -> etree.XMLSchema:
    """Loaded by its real path, so that the relative import of SRA.common.xsd resolves."""
    return etree.XMLSchema(etree.parse(str(ena_upload_xsd_dir() / name)))


@dataclass
class Brokerable:
    project: str
    samples: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # forward, reverse, forward, reverse, …, bam, vcf
    data: dict[str, bytes] = field(default_factory=dict)  # run accession → file bytes


def brokerable(engine, tmp_path: Path | None = None, *, pairs: int = 2, release_in_days: int = 200,
               **project_kw) -> Brokerable:
    """A project ENA would accept: paired FASTQ runs with mates, a BAM run, and a VCF (left out).
    With ``tmp_path`` each run's file is written there (real bytes, real MD5)."""
    if tmp_path is not None:
        tmp_path.mkdir(parents=True, exist_ok=True)
    with transaction(engine) as s:
        values = dict(title="Whole-genome sequencing of Boran cattle",
                      description="Resequencing of Boran cattle sampled across Kenya for NFDP",
                      release_date=date.today() + timedelta(days=release_in_days))
        values.update(project_kw)
        project = make_project(s, **values)
        out = Brokerable(project.accession)
        for i in range(pairs):
            # ENA's default checklist, only fields of it: valid under ENA's full checklist rules too
            sample = make_sample(s, project, alias=f"COW_{i:03d}", checklist_id="ERC000011",
                                 geographic_location="Kenya:Nairobi", collection_date="2025-03-14",
                                 breed=None, sex="female", tissue="blood", attributes={"strain": "Boran"})
            out.samples.append(sample.accession)
            exp = make_experiment(s, sample)
            out.experiments.append(exp.accession)
            runs = []
            for direction in ("forward", "reverse"):
                data = f"@r{i}/{direction}\nACGT\n+\nIIII\n".encode() * (i + 1)
                name = f"COW_{i:03d}_R{1 if direction == 'forward' else 2}.fastq.gz"
                path = None
                if tmp_path is not None:
                    path = tmp_path / name
                    path.write_bytes(data)
                run = make_run(s, exp, filename=name, read_direction=direction, data=data,
                               path=path or name)
                runs.append(run)
                out.data[run.accession] = data
            runs[0].mate_accession, runs[1].mate_accession = runs[1].accession, runs[0].accession
            out.runs += [r.accession for r in runs]
        bam_exp = make_experiment(s, s.get(type(sample), sample.id), library_layout="SINGLE",
                                  insert_size=None, library_selection=None)
        out.experiments.append(bam_exp.accession)
        bam_data = b"BAM\x01" + b"\x00" * 60
        bam_path = None
        if tmp_path is not None:
            bam_path = tmp_path / "aligned.bam"
            bam_path.write_bytes(bam_data)
        bam = make_run(s, bam_exp, filename="aligned.bam", file_type="BAM", read_direction="single",
                       data=bam_data, path=bam_path or "aligned.bam")
        out.runs.append(bam.accession)
        out.data[bam.accession] = bam_data
        vcf = make_run(s, bam_exp, filename="calls.vcf.gz", file_type="VCF", read_direction="single")
        out.runs.append(vcf.accession)
    return out


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
