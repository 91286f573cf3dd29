"""Cell values the way nf-schema will read them, and file references that pass its patterns.

nf-schema casts every CSV cell with ``JSONObject.stringToValue``: ``"123"`` becomes an
integer, ``"true"`` a boolean, ``"1e5"`` a number, so a ``type: string`` id column then
fails. ``nf_cast`` mirrors that cast; ``sheet_id`` makes an id that survives it.
"""

from __future__ import annotations

import re

from ..names import base_name, files_url

_INT = re.compile(r"^-?\d+$")
_NUM = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^A-Za-z0-9_]")
# Glob metacharacters: Nextflow expands file:// and s3:// values containing them.
GLOB = re.compile(r"[*?\[\]{}]")

# The FASTQ patterns of the pipelines' schema_input.json files (NFCORE-FACTS §2).
TEMPLATE_FASTQ = r"^([\S\s]*\/)?[^\s\/]+\.f(ast)?q\.gz$"  # template, sarek, ampliseq, fetchngs output
RNASEQ_FASTQ = r"^([\S\s]*\/)?[^\s\/]+\.f(ast)?q(\.gz)?$"  # rnaseq >= 3.23
STRICT_FASTQ = r"^\S+\.f(ast)?q\.gz$"  # taxprofiler, mag, viralrecon (dev; 2.6.0's endswith check)


def nf_cast(value: str):
    """What nf-schema makes of a non-empty cell: bool, None, int, float or the string."""
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    if value[:1].isdigit() or value[:1] == "-":
        if _INT.match(value):
            return int(value)
        if _NUM.match(value):
            return float(value.rstrip("fFdD"))
    return value


class IdProblem(ValueError):
    pass


def sheet_id(raw: str, *, numeric: str = "prefix", prefix: str = "S", word_only: bool = False) -> str:
    """An id nf-schema keeps as a string: blanks → ``_``; a value it would cast (``123``,
    ``1e5``, ``true``) is prefixed (``S123``) or, with ``numeric="refuse"``, refused.
    ``word_only`` (ampliseq): letters, digits and ``_`` only, starting with a letter."""
    value = _SPACE.sub("_", raw.strip())
    if word_only:
        value = _NOT_WORD.sub("_", value)
    if not value:
        raise IdProblem("is empty")
    casts = not isinstance(nf_cast(value), str)
    needs_letter = word_only and not value[0].isalpha()
    if casts or needs_letter:
        if numeric == "refuse":
            why = ("nf-schema would read it as a " + type(nf_cast(value)).__name__.replace("NoneType", "null")
                   if casts else "it must start with a letter")
            raise IdProblem(f"{raw!r}: {why}; rename the sample or ask for numeric_ids=prefix "
                            f"(it becomes {prefix + value!r})")
        value = prefix + value
    return value


class Refs:
    """File references of one mode: ``s3`` (s3://bucket/key), ``https`` (our stable /files/ URL)
    or ``local`` (the stored absolute path)."""

    MODES = ("s3", "https", "local")

    def __init__(self, mode: str, storage_mode: str, base_url: str):
        if mode not in self.MODES:
            raise ValueError(f"paths must be one of s3, https, local (got {mode[:20]!r})")
        if mode == "s3" and storage_mode != "minio":
            raise ValueError("paths=s3 needs MinIO storage; this server keeps files locally "
                             "(use paths=https, or paths=local on this host)")
        if mode == "local" and storage_mode != "local":
            raise ValueError("paths=local needs local storage; files are in MinIO (use paths=s3 or https)")
        self.mode = mode
        self.base = base_url.rstrip("/")

    def of(self, run) -> str | None:
        """The reference of a run's file, or None when it cannot be given in this mode."""
        path = run["file_path"] or ""
        if self.mode == "s3":
            return f"s3://{path}" if "/" in path and not GLOB.search(path) else None
        if self.mode == "local":
            return path if path.startswith("/") and not GLOB.search(path) else None
        return files_url(self.base, run["accession"], run["filename"]) if base_name(run["filename"]) else None

