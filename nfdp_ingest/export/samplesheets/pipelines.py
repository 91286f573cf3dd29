"""One sheet layout per nf-core pipeline (NFCORE-FACTS §2): columns, rows per unit, patterns.

Each ``rows_*`` takes a Unit and the Context and returns the unit's rows (dicts keyed by
column), or raises Skip (the runs are listed as skipped) or SheetError (no sheet at all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .cells import RNASEQ_FASTQ, STRICT_FASTQ, TEMPLATE_FASTQ
from .context import Context, SheetError, Skip
from .units import Unit

STRANDEDNESS = ("forward", "reverse", "unstranded", "auto")
STRAND_KEYS = ("strandedness", "library_strandedness", "strand")
TAXPROFILER_PLATFORMS = frozenset({
    "ABI_SOLID", "BGISEQ", "CAPILLARY", "COMPLETE_GENOMICS", "DNBSEQ", "HELICOS", "ILLUMINA",
    "ION_TORRENT", "LS454", "OXFORD_NANOPORE", "PACBIO_SMRT"})
MAG_SHORT_PLATFORMS = frozenset({
    "ILLUMINA", "BGISEQ", "LS454", "ION_TORRENT", "DNBSEQ", "ELEMENT", "ULTIMA", "VELA_DIAGNOSTICS",
    "GENAPSYS", "GENEMIND", "TAPESTRI"})
HIFI_MODELS = ("sequel ii", "revio", "vega", "onso")
FETCHNGS_ENA = (
    "run_accession", "experiment_accession", "sample_accession", "secondary_sample_accession",
    "study_accession", "secondary_study_accession", "submission_accession", "run_alias",
    "experiment_alias", "sample_alias", "study_alias", "library_layout", "library_selection",
    "library_source", "library_strategy", "library_name", "instrument_model", "instrument_platform",
    "base_count", "read_count", "tax_id", "scientific_name", "sample_title", "experiment_title",
    "study_title", "sample_description", "fastq_md5", "fastq_bytes", "fastq_ftp", "fastq_galaxy",
    "fastq_aspera")

KIND = {"paired": "paired-end", "single": "single-end", "long": "single-end"}


@dataclass(frozen=True)
class Pipeline:
    name: str
    columns: tuple[str, ...]
    patterns: dict[str, str]  # file column → the schema's pattern
    rows: Callable[[Unit, Context], list[dict]]
    quote_all: bool = False  # fetchngs quotes every value


def _not_fastq(unit: Unit, ctx: Context) -> None:
    if unit.kind == "other":
        run = unit.first
        raise Skip("not-fastq", f"{run['file_type']} file; {ctx.pipeline} takes FASTQ")


def _no_long(unit: Unit, ctx: Context, why: str) -> None:
    if unit.kind == "long":
        raise Skip("long-reads", f"long reads ({unit.first['platform']}); {why}")


def _files(unit: Unit, ctx: Context) -> tuple[str, str]:
    refs = [ctx.ref(r) for r in unit.runs]
    return refs[0], refs[1] if len(refs) > 1 else ""


def _sample(unit: Unit, ctx: Context, column: str = "sample", **kw) -> str:
    r = unit.first
    return ctx.ident(column, r["sample_alias"] or r["sample_accession"], r["sample_accession"], **kw)


def _attr(unit: Unit, *keys: str) -> str | None:
    norm = unit.attributes()
    for key in keys:
        value = norm.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def rows_generic(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    _no_long(unit, ctx, "the nf-core template's sheet is for short reads")
    fq1, fq2 = _files(unit, ctx)
    ctx.same_per_sample(unit, KIND[unit.kind], "the nf-core template requires that multiple runs of a "
                        "sample be of the same datatype")
    return [{"sample": _sample(unit, ctx), "fastq_1": fq1, "fastq_2": fq2}]


def rows_rnaseq(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    _no_long(unit, ctx, "rnaseq has no long-read input")
    fq1, fq2 = _files(unit, ctx)
    ctx.same_per_sample(unit, KIND[unit.kind], "rnaseq concatenates the rows of a sample and requires "
                        "one endedness")
    strand = (_attr(unit, *STRAND_KEYS) or "auto").lower()
    if strand not in STRANDEDNESS:
        raise SheetError(f"rnaseq: sample {unit.first['sample_accession']} has strandedness {strand!r}; "
                         f"rnaseq accepts {', '.join(STRANDEDNESS)}")
    return [{"sample": _sample(unit, ctx), "fastq_1": fq1, "fastq_2": fq2, "strandedness": strand,
             "seq_platform": unit.first["platform"] or ""}]


def rows_sarek(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    _no_long(unit, ctx, "sarek maps short reads only")
    r = unit.first
    if unit.kind == "single":
        raise SheetError(
            f"sarek maps paired-end FASTQ only: run {r['accession']} ({r['filename']}) of sample "
            f"{r['sample_accession']} ({r['sample_alias']}) is single-end, and sarek would stop with "
            f"'Missing or unknown field in csv file header'. Export its paired experiments only, or "
            f"use another pipeline (generic, rnaseq, taxprofiler) for single-end data.")
    fq1, fq2 = _files(unit, ctx)
    sex = {"female": "XX", "male": "XY"}.get((_attr(unit, "sex") or "").lower(), "NA")
    status = "1" if (_attr(unit, "status", "tumor", "tumour") or "").lower() in ("1", "tumor", "tumour",
                                                                                "yes", "true") else "0"
    patient_raw = _attr(unit, "patient", "host_subject_id", "individual", "subject_id")
    patient = ctx.ident("patient", patient_raw or r["sample_alias"] or r["sample_accession"],
                        patient_raw or r["sample_accession"], what="patient of sample")
    return [{"patient": patient, "sex": sex, "status": status, "sample": _sample(unit, ctx),
             "lane": f"L{unit.lane}", "fastq_1": fq1, "fastq_2": fq2}]


def rows_taxprofiler(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    platform = (unit.first["platform"] or "").upper()
    if platform not in TAXPROFILER_PLATFORMS:
        raise Skip("platform", f"platform {platform} is not in taxprofiler's instrument_platform list")
    fq1, fq2 = _files(unit, ctx)
    return [{"sample": _sample(unit, ctx), "run_accession": unit.first["accession"],
             "instrument_platform": platform, "fastq_1": fq1, "fastq_2": fq2, "fasta": ""}]


def _mag_long_platform(run) -> str:
    if (run["platform"] or "").upper() == "OXFORD_NANOPORE":
        return "OXFORD_NANOPORE"
    model = (run["instrument_model"] or "").lower()
    return "PACBIO_HIFI" if any(m in model for m in HIFI_MODELS) else "PACBIO_CLR"


def rows_mag(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    r = unit.first
    row = {"sample": _sample(unit, ctx), "run": r["accession"],
           "group": _attr(unit, "group") or _sample(unit, ctx)}
    if unit.kind == "long":
        row.update(long_reads=ctx.ref(r), long_reads_platform=_mag_long_platform(r))
        return [row]
    platform = (r["platform"] or "").upper()
    if platform not in MAG_SHORT_PLATFORMS:
        raise Skip("platform", f"platform {platform} is not in mag's short_reads_platform list")
    fq1, fq2 = _files(unit, ctx)
    ctx.same_per_sheet(unit, KIND[unit.kind], "--single_end")
    row.update(short_reads_1=fq1, short_reads_2=fq2, short_reads_platform=platform)
    return [row]


def rows_ampliseq(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    r = unit.first
    if unit.kind == "long" and (r["platform"] or "").upper() != "PACBIO_SMRT":
        raise Skip("long-reads", "Oxford Nanopore reads; ampliseq takes PacBio (--pacbio) only")
    fq1, fq2 = _files(unit, ctx)
    ctx.same_per_sheet(unit, KIND[unit.kind], "--single_end or --pacbio")
    # One row per sample (uniqueEntries sampleID): a sample's further lanes get their own id.
    sample = r["sample_alias"] or r["sample_accession"]
    raw = sample if unit.lane == 1 else f"{sample}_L{unit.lane}"
    sid = ctx.ident("sampleID", raw, f"{r['sample_accession']}/L{unit.lane}", word_only=True)
    return [{"sampleID": sid, "forwardReads": fq1, "reverseReads": fq2}]


def rows_viralrecon(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    _no_long(unit, ctx, "viralrecon reads nanopore data from barcode folders, not from a sheet")
    fq1, fq2 = _files(unit, ctx)
    ctx.same_per_sample(unit, KIND[unit.kind], "viralrecon concatenates the rows of a sample and "
                        "requires one type")
    for ref in (fq1, fq2):
        if "," in ref:  # 2.6.0 splits cells on a bare comma
            raise Skip("file-name", "its reference contains a comma, which viralrecon cannot read")
    return [{"sample": _sample(unit, ctx).replace(",", "_"), "fastq_1": fq1, "fastq_2": fq2}]


def rows_fetchngs(unit: Unit, ctx: Context) -> list[dict]:
    _not_fastq(unit, ctx)
    fq1, fq2 = _files(unit, ctx)
    r = unit.first
    ena = {c: "" for c in FETCHNGS_ENA}
    ena.update(
        run_accession=r["ena_accession"] or r["accession"], experiment_accession=r["experiment_accession"],
        sample_accession=r["sample_accession"], study_accession=r["project_accession"],
        run_alias=r["accession"], sample_alias=r["sample_alias"] or "", library_layout=r["library_layout"] or "",
        library_selection=r["library_selection"] or "", library_source=r["library_source"] or "",
        library_strategy=r["library_strategy"] or "", library_name=r["library_name"] or "",
        instrument_model=r["instrument_model"] or "", instrument_platform=r["platform"] or "",
        read_count="" if r["read_count"] is None else str(r["read_count"]),
        tax_id="" if r["tax_id"] is None else str(r["tax_id"]), scientific_name=r["organism"] or "",
        sample_title=r["sample_alias"] or "", study_title=r["project_title"] or "",
        fastq_md5=";".join(x["checksum_md5"] for x in unit.runs),
        fastq_bytes=";".join(str(x["file_size"]) for x in unit.runs),
        fastq_ftp=";".join(ctx.ref(x) for x in unit.runs))
    # fetchngs: sample = the experiment accession; the id is <experiment>_<run>.
    return [{"sample": r["experiment_accession"], "fastq_1": fq1, "fastq_2": fq2, **ena}]


def _pipeline(name, columns, rows, file_pattern, files=("fastq_1", "fastq_2"), **kw) -> Pipeline:
    return Pipeline(name, tuple(columns), {c: file_pattern for c in files}, rows, **kw)


PIPELINES: dict[str, Pipeline] = {p.name: p for p in (
    _pipeline("rnaseq", ("sample", "fastq_1", "fastq_2", "strandedness", "seq_platform"), rows_rnaseq,
              RNASEQ_FASTQ),
    _pipeline("sarek", ("patient", "sex", "status", "sample", "lane", "fastq_1", "fastq_2"), rows_sarek,
              TEMPLATE_FASTQ),
    _pipeline("fetchngs", ("sample", "fastq_1", "fastq_2", *FETCHNGS_ENA), rows_fetchngs, TEMPLATE_FASTQ,
              quote_all=True),
    _pipeline("taxprofiler", ("sample", "run_accession", "instrument_platform", "fastq_1", "fastq_2", "fasta"),
              rows_taxprofiler, STRICT_FASTQ),
    _pipeline("mag", ("sample", "run", "group", "short_reads_1", "short_reads_2", "long_reads",
                      "short_reads_platform", "long_reads_platform"), rows_mag, STRICT_FASTQ,
              files=("short_reads_1", "short_reads_2", "long_reads")),
    _pipeline("ampliseq", ("sampleID", "forwardReads", "reverseReads"), rows_ampliseq, TEMPLATE_FASTQ,
              files=("forwardReads", "reverseReads")),
    _pipeline("viralrecon", ("sample", "fastq_1", "fastq_2"), rows_viralrecon, STRICT_FASTQ),
    _pipeline("generic", ("sample", "fastq_1", "fastq_2"), rows_generic, TEMPLATE_FASTQ),
)}
