"""`make demo`: the main job on the embedded defaults (SQLite, local storage).

Creates (or reuses) a demo project, writes a small realistic example — paired
gzipped FASTQ made on the fly, plus a BAM and a VCF when samtools / bcftools
are installed — and a sheet describing them under sheets/examples/demo/, then
submits it and prints the accessions and where the records live.
Running it again submits the same sheet again: nothing new is created.
"""

from __future__ import annotations

import gzip
import random
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from .cli.common import setup_logging
from .config import from_env
from .errors import NfdpError
from .files import file_digest
from .pipeline.report import submit_text
from .pipeline.submit import submit_sheet
from .registry import db
from .registry.models import Project
from .registry.projects import create_project

DEMO_TITLE = "NFDP demo: Arabian camel whole-genome and transcriptome"
BASES = "ACGT"


def write_fastq_pair(folder: Path, stem: str, reads: int, length: int, seed: int) -> tuple[Path, Path]:
    """Paired gzipped FASTQ with Casava 1.8 names; deterministic for a seed."""
    rng = random.Random(seed)
    paths = (folder / f"{stem}_R1.fastq.gz", folder / f"{stem}_R2.fastq.gz")
    handles = [gzip.GzipFile(p, "wb", mtime=0) for p in paths]
    try:
        for i in range(1, reads + 1):
            name = f"@A00123:8:HJ2KLDSXY:1:1101:{1000 + i}:{2000 + i}"
            for mate, fh in enumerate(handles, start=1):
                seq = "".join(rng.choice(BASES) for _ in range(length))
                qual = "".join(chr(33 + rng.randint(20, 40)) for _ in range(length))
                fh.write(f"{name} {mate}:N:0:ACGTACGT\n{seq}\n+\n{qual}\n".encode())
    finally:
        for fh in handles:
            fh.close()
    return paths


def write_bam(folder: Path, reads: int = 200) -> Path | None:
    if not shutil.which("samtools"):
        return None
    rng = random.Random(7)
    sam = folder / "camel03.sam"
    lines = ["@HD\tVN:1.6\tSO:unsorted", "@SQ\tSN:chr1\tLN:100000", "@RG\tID:camel03\tSM:camel03"]
    for i in range(reads):
        seq = "".join(rng.choice(BASES) for _ in range(100))
        lines.append(f"r{i}\t0\tchr1\t{1 + i * 10}\t60\t100M\t*\t0\t0\t{seq}\t{'I' * 100}\tRG:Z:camel03")
    sam.write_text("\n".join(lines) + "\n")
    bam = folder / "camel03.bam"
    subprocess.run(["samtools", "view", "-b", "--no-PG", "-o", str(bam), str(sam)], check=True)
    sam.unlink()
    return bam


def write_vcf(folder: Path) -> Path | None:
    if not shutil.which("bgzip"):
        return None
    rng = random.Random(11)
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=100000>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tcamel04"]
    for i in range(1, 101):
        ref, alt = rng.sample(BASES, 2)
        lines.append(f"chr1\t{i * 500}\t.\t{ref}\t{alt}\t50\tPASS\t.\tGT\t0/1")
    vcf = folder / "camel04.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    subprocess.run(["bgzip", "-f", str(vcf)], check=True)
    return folder / "camel04.vcf.gz"


SAMPLE = {
    "organism": "Camelus dromedarius", "tax_id": "9838", "collection_date": "2025-03-14",
    "geographic_location": "Saudi Arabia:Riyadh", "breed": "Majaheem", "sex": "female",
    "tissue": "blood", "developmental_stage": "adult", "host": "",
}
COLUMNS = ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location", "breed", "sex",
           "tissue", "developmental_stage", "platform", "instrument_model", "library_strategy",
           "library_source", "library_selection", "library_layout", "insert_size", "library_name",
           "filename_forward", "filename_reverse", "md5_forward", "md5_reverse"]


def build_example(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (stem, strategy, source, selection) in enumerate(
        [("camel01", "WGS", "GENOMIC", "RANDOM"), ("camel02", "RNA-Seq", "TRANSCRIPTOMIC", "PolyA")], start=1
    ):
        r1, r2 = write_fastq_pair(folder, stem, reads=2000, length=100, seed=n)
        rows.append({**SAMPLE, "sample_alias": stem, "platform": "ILLUMINA",
                     "instrument_model": "Illumina NovaSeq 6000", "library_strategy": strategy,
                     "library_source": source, "library_selection": selection, "library_layout": "PAIRED",
                     "insert_size": "350", "library_name": f"{stem}_lib1", "filename_forward": r1.name,
                     "filename_reverse": r2.name, "md5_forward": file_digest(r1), "md5_reverse": file_digest(r2)})
    single = {"platform": "ILLUMINA", "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
              "library_source": "GENOMIC", "library_selection": "RANDOM", "library_layout": "SINGLE",
              "insert_size": "", "filename_reverse": "", "md5_reverse": ""}
    bam = write_bam(folder)
    if bam:
        rows.append({**SAMPLE, **single, "sample_alias": "camel03", "library_name": "camel03_aln",
                     "filename_forward": bam.name, "md5_forward": file_digest(bam)})
    vcf = write_vcf(folder)
    if vcf:
        rows.append({**SAMPLE, **single, "sample_alias": "camel04", "library_name": "camel04_calls",
                     "filename_forward": vcf.name, "md5_forward": file_digest(vcf)})
    sheet = folder / "demo_sheet.tsv"
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        fh.write("# NFDP demo sheet (checklist ERC000055, farm animal); generated by `make demo`\n")
        fh.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            fh.write("\t".join(str(row.get(c, "")) for c in COLUMNS) + "\n")
    return sheet


def main() -> int:
    setup_logging()
    settings = from_env()
    try:
        engine = db.engine_for(settings.db_url)
        db.upgrade(engine)
        with db.transaction(engine) as session:
            project = session.scalar(select(Project.accession).where(Project.title == DEMO_TITLE))
        if project is None:
            project = create_project(engine, DEMO_TITLE, "Example records made by `make demo`.",
                                     "genome sequencing")["accession"]
        sheet = build_example(Path("sheets/examples/demo"))
        result = submit_sheet(sheet, settings, project=project, checklist="ERC000055")
    except NfdpError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    print(submit_text(result))
    print()
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"data files (local storage, not copied): {sheet.parent.resolve()}")
    print(f"sheet: {sheet}")
    print("look around: .venv/bin/nfdp-ingest project list; .venv/bin/nfdp-ingest serve "
          "then curl 'http://127.0.0.1:8000/api/v1/runs/?page=1&per_page=20'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
