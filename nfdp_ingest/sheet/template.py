"""Blank-but-useful sheet templates: every column, two demo rows that validate."""

from __future__ import annotations

import csv
import io

from ..domain.checklists import Checklist, get_checklist
from .schema import CHECKLIST, FILE_COLUMNS, PROJECT, SAMPLE_ALIAS, SEQ_COLUMNS


def template_columns(checklist: Checklist) -> list[str]:
    required = [f.name for f in checklist.fields if f.required]
    # optional fields only where the checklist gives an example (ENA's have up to 177 fields)
    optional = [f.name for f in checklist.fields if not f.required and f.example is not None]
    return [SAMPLE_ALIAS, *required, *optional, *SEQ_COLUMNS, *FILE_COLUMNS, PROJECT]


_MD5 = ("3b5d5c3712955042212316173ccf37be", "7c4a8d09ca3762af61e59520943dc264",
        "b2e98ad6f6eb8508dd6a14cfa704bad7", "9f86d081884c7d659a2feaa0c55ad015")


def template_rows(checklist: Checklist) -> list[dict[str, str]]:
    exp = checklist.template_experiment
    rows = []
    for i in (0, 1):
        row: dict[str, str] = {SAMPLE_ALIAS: f"demo-sample-{i + 1:03d}"}
        for f in checklist.fields:
            ex = f.example if i == 0 or f.example2 is None else f.example2
            row[f.name] = "" if ex is None else str(ex)
        if exp.get("files") == "vcf":
            row.update({
                "platform": exp.get("platform", "ILLUMINA"),
                "instrument_model": exp.get("instrument_model", "unspecified"),
                "library_strategy": exp.get("library_strategy", "OTHER"),
                "library_source": exp.get("library_source", "GENOMIC"),
                "library_selection": exp.get("library_selection", "unspecified"),
                "library_layout": "SINGLE", "insert_size": "", "library_name": f"chip-{i + 1:03d}",
                "filename_forward": f"genotypes/{row[SAMPLE_ALIAS]}.vcf.gz", "filename_reverse": "",
                "md5_forward": _MD5[i], "md5_reverse": "",
            })
        else:
            name = row[SAMPLE_ALIAS]
            row.update({
                "platform": "ILLUMINA", "instrument_model": "Illumina NovaSeq 6000",
                "library_strategy": "WGS", "library_source": "GENOMIC", "library_selection": "RANDOM",
                "library_layout": "PAIRED", "insert_size": "350", "library_name": f"lib-{i + 1:03d}",
                "filename_forward": f"reads/{name}_R1.fastq.gz",
                "filename_reverse": f"reads/{name}_R2.fastq.gz",
                "md5_forward": _MD5[2 * i], "md5_reverse": _MD5[2 * i + 1],
            })
        row[PROJECT] = ""
        rows.append(row)
    return rows


def render_template(checklist_id: str, fmt: str = "tsv") -> str:
    """The template as text (``fmt`` tsv or csv), naming its checklist so that ``validate`` picks it.

    TSV starts with a ``# checklist: ID`` comment line. CSV is opened in
    spreadsheets, where a comment line full of commas becomes a row of stray
    cells: its first line is the header, and a ``checklist`` column names the
    checklist on every row.
    """
    checklist = get_checklist(checklist_id)
    cols = template_columns(checklist)
    rows = template_rows(checklist)
    buf = io.StringIO()
    if fmt == "csv":
        cols = [CHECKLIST, *cols]
        for row in rows:
            row[CHECKLIST] = checklist.id
    else:
        buf.write(f"# checklist: {checklist.id} — {checklist.title}. Required: "
                  f"{', '.join(['sample_alias', *checklist.required_fields])}."
                  + (f" ENA recommends {len(checklist.recommended_fields)} more (nfdp-ingest checklists "
                     f"{checklist.id})." if checklist.recommended_fields else "")
                  + " Lines starting with # are ignored.\n")
    writer = csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([row.get(c, "") for c in cols])
    return buf.getvalue()
