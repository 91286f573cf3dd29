"""Projects shaped for sample-sheet, DRS and fetch tests: paired, single-end, lanes, long reads, mixed."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from factories import make_experiment, make_project, make_run, make_sample  # noqa: E402

from nfdp_ingest.registry.db import transaction  # noqa: E402

PLATFORM_MODEL = {"ILLUMINA": "Illumina NovaSeq 6000", "OXFORD_NANOPORE": "MinION",
                  "PACBIO_SMRT": "PacBio Sequel II"}


def build(engine, samples: list[tuple[str, list[tuple[str, list[str]]]]], *, root: str = "/data/incoming",
          data: dict[str, bytes] | None = None, path_of=None, attributes: dict[str, dict] | None = None) -> dict:
    """``samples``: [(alias, [(platform, [unit, …]), …])] with unit "pair", "single", "bam", "vcf",
    "reverse" (a lone reverse file) or "plain" (an uncompressed pair). Returns accessions by kind
    and the run rows {accession: (filename, path)}."""
    out = {"project": None, "samples": [], "experiments": [], "runs": {}, "pairs": []}
    with transaction(engine) as s:
        project = make_project(s)
        out["project"] = project.accession
        for alias, experiments in samples:
            sample = make_sample(s, project, alias=alias, attributes=(attributes or {}).get(alias, {}))
            out["samples"].append(sample.accession)
            for platform, unit_list in experiments:
                layout = "PAIRED" if any(u in ("pair", "plain") for u in unit_list) else "SINGLE"
                exp = make_experiment(s, sample, platform=platform, library_layout=layout,
                                      instrument_model=PLATFORM_MODEL.get(platform, "Illumina NovaSeq 6000"))
                out["experiments"].append(exp.accession)
                for n, unit in enumerate(unit_list, start=1):
                    stem = f"{alias}_{exp.accession[-3:]}_L{n:03d}"
                    if unit in ("pair", "plain"):
                        ext = ".fastq" if unit == "plain" else ".fastq.gz"
                        runs = [_run(s, exp, f"{stem}_R{i}{ext}", d, root, data, path_of)
                                for i, d in ((1, "forward"), (2, "reverse"))]
                        runs[0].mate_accession, runs[1].mate_accession = runs[1].accession, runs[0].accession
                        out["pairs"].append((runs[0].accession, runs[1].accession))
                    elif unit == "reverse":
                        runs = [_run(s, exp, f"{stem}_R2.fastq.gz", "reverse", root, data, path_of)]
                    else:
                        ftype, ext = {"single": ("FASTQ", ".fastq.gz"), "bam": ("BAM", ".bam"),
                                      "vcf": ("VCF", ".vcf.gz")}[unit]
                        runs = [_run(s, exp, f"{stem}{ext}", "single", root, data, path_of, file_type=ftype)]
                    for r in runs:
                        out["runs"][r.accession] = (r.filename, r.file_path)
                s.flush()
    return out


def _run(s, exp, filename, direction, root, data, path_of, **kw):
    path = path_of(filename) if path_of else f"{root}/{filename}"  # may write the file (and its data)
    payload = data.get(filename) if data is not None else None
    return make_run(s, exp, filename=filename, read_direction=direction, path=path, data=payload, **kw)


PAIRED = [("S_A", [("ILLUMINA", ["pair"])]), ("S_B", [("ILLUMINA", ["pair"])])]
SINGLE = [("S_C", [("ILLUMINA", ["single"])]), ("S_D", [("ILLUMINA", ["single"])])]
LANES = [("S_E", [("ILLUMINA", ["pair", "pair", "pair"])]),
         ("S_F", [("ILLUMINA", ["pair"]), ("ILLUMINA", ["pair"])])]
LONG = [("S_G", [("OXFORD_NANOPORE", ["single"])]), ("S_H", [("PACBIO_SMRT", ["single"])])]
MIXED = [("S_I", [("ILLUMINA", ["pair", "bam"])]), ("S_J", [("ILLUMINA", ["single", "vcf"])]),
         ("S_K", [("OXFORD_NANOPORE", ["single"])]), ("S_L", [("ILLUMINA", ["pair"]), ("OXFORD_NANOPORE", ["single"])])]
LAYOUTS = {"paired": PAIRED, "single": SINGLE, "lanes": LANES, "long": LONG, "mixed": MIXED}
