"""The data-file types NFDP accepts and the extensions that name them: the one table.

A leaf module (standard library only) so that ``sheet/`` can check a filename
without importing the hashing and deep-check machinery of ``files/``.
"""

from __future__ import annotations

import re

#: file type -> the extensions that promise it (matched case-insensitively)
SUPPORTED: dict[str, tuple[str, ...]] = {
    "FASTQ": (".fastq", ".fq", ".fastq.gz", ".fq.gz"),
    "BAM": (".bam",),
    "CRAM": (".cram",),
    "VCF": (".vcf", ".vcf.gz"),
}

#: types where one file holds every read of a run (never a forward/reverse pair)
SINGLE_FILE_TYPES: tuple[str, ...] = ("BAM", "CRAM", "VCF")

#: one line for error messages: "FASTQ (.fastq, .fq, .fastq.gz, .fq.gz); BAM (.bam); ..."
SUPPORTED_TEXT = "; ".join(f"{t} ({', '.join(exts)})" for t, exts in SUPPORTED.items())

#: every extension, longest first (so ".fastq.gz" wins over ".gz"-less prefixes)
EXTENSIONS: tuple[tuple[str, str], ...] = tuple(sorted(
    ((ext, t) for t, exts in SUPPORTED.items() for ext in exts), key=lambda e: -len(e[0])))

#: a regular expression (for ``fullmatch``) of a name with a supported extension and a stem
NAME_PATTERN = "(?i).+(?:" + "|".join(re.escape(ext) for ext, _ in EXTENSIONS) + ")"


def type_from_extension(filename: str) -> str | None:
    """The type the name promises (case-insensitive), or None for an unsupported name."""
    low = filename.lower()
    for ext, file_type in EXTENSIONS:
        if low.endswith(ext) and len(low) > len(ext):
            return file_type
    return None


def extensions_text() -> str:
    """".fastq, .fq, .fastq.gz, .fq.gz, .bam, .cram, .vcf or .vcf.gz" (for messages)."""
    exts = [ext for exts in SUPPORTED.values() for ext in exts]
    return ", ".join(exts[:-1]) + " or " + exts[-1]
