"""Records of a project as plain data, without accessions or paths, to compare two submissions."""

from __future__ import annotations

from sqlalchemy import select

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import EXPERIMENT_FIELDS, Experiment, Project, Run, Sample
from tests.pipeline.conftest import row, write_sheet

SAMPLE_SKIP = {"id", "accession", "project_id", "submission_id", "created_at", "ena_accession",
               "biosample_accession"}


def project_records(engine, project: str) -> dict:
    with db.transaction(engine) as s:
        pid = s.scalar(select(Project.id).where(Project.accession == project))
        samples = s.scalars(select(Sample).where(Sample.project_id == pid)).all()
        out_samples = sorted(
            ({k: v for k, v in vars(x).items() if not k.startswith("_") and k not in SAMPLE_SKIP}
             for x in samples), key=lambda d: d["alias"])
        alias = {x.id: x.alias for x in samples}
        exps = s.scalars(select(Experiment).where(Experiment.sample_id.in_(alias))).all()
        exp_key = {e.id: (alias[e.sample_id], *(getattr(e, f) for f in EXPERIMENT_FIELDS)) for e in exps}
        runs = s.scalars(select(Run).where(Run.experiment_id.in_(exp_key))).all()
        by_acc = {r.accession: r.filename for r in runs}
        out_runs = sorted((r.filename, exp_key[r.experiment_id], r.file_type, r.file_size, r.checksum_md5,
                           r.checksum_sha256, r.read_direction, by_acc.get(r.mate_accession), r.read_count)
                          for r in runs)
        return {"samples": out_samples, "experiments": sorted(exp_key.values()), "runs": out_runs}


def mixed_sheet(folder, files) -> tuple:
    """A sheet of a paired FASTQ, a BAM and a VCF (the issue's end-to-end case)."""
    rows = [row("camel-1", files["forward"], files["reverse"]),
            row("camel-2", files["bam"], library_strategy="WGS"),
            row("camel-3", files["vcf"], library_strategy="WGS")]
    return write_sheet(folder / "sheet.tsv", rows), [files[k] for k in ("forward", "reverse", "bam", "vcf")]
