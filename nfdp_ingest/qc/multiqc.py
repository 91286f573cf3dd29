"""MultiQC: import the general statistics of ``multiqc_data.json`` (old and new layouts).

Each sample name is matched to exactly one run — by file name stem, then by the
stem without a read suffix, then by sample alias — and stored as a QCReport with
tool ``MultiQC``. A name that matches no run, or more than one, is listed and
never guessed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InvalidInput, UsageError
from ..registry.db import open_registry
from . import records
from .records import RunCandidate, canonical_json
from .thresholds import Thresholds, multiqc_status, resolve_thresholds

# Extensions MultiQC strips from sample names (the part of its fn_clean_exts that
# concerns our file types), removed repeatedly from the end of a run's filename.
_CLEAN_EXTS = (".gz", ".bz2", ".fastq", ".fq", ".bam", ".cram", ".sam", ".vcf", "_fastqc")
# A trailing read-direction suffix: _R1 _R2 _1 _2 .1 .2, optionally followed by Illumina's _001.
_READ_SUFFIX = re.compile(r"^(?P<base>.+?)[._](?:R(?P<r>[12])|(?P<n>[12]))(?:_001)?$")


def name_stem(name: str) -> str:
    """``S1_R1.fastq.gz`` → ``S1_R1``: the file name without path and data-file extensions."""
    stem = Path(name).name
    changed = True
    while changed:
        changed = False
        for ext in _CLEAN_EXTS:
            if stem.lower().endswith(ext) and len(stem) > len(ext):
                stem = stem[: -len(ext)]
                changed = True
    return stem


def read_key(stem: str) -> tuple[str, int | None]:
    """``S1_R1`` → (``S1``, 1); ``S1`` → (``S1``, None)."""
    m = _READ_SUFFIX.match(stem)
    if not m:
        return stem, None
    return m["base"], int(m["r"] or m["n"])


def general_stats(data: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{sample name: {module: {column: value}}}`` from a multiqc_data.json document.

    New layout (MultiQC ≥ 1.20 or so): ``report_general_stats_data`` is a dict
    ``{module: {sample: {column: value}}}``. Old layout: a list of
    ``{sample: {column: value}}``, one per module, with the module's name in the
    parallel ``report_general_stats_headers`` list (each column's ``namespace``).
    """
    if "report_general_stats_data" not in data:
        raise InvalidInput("not a MultiQC data file: no 'report_general_stats_data' "
                           "(use multiqc_data/multiqc_data.json)")
    raw = data["report_general_stats_data"]
    headers = data.get("report_general_stats_headers")
    blocks: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        blocks = list(raw.items())
    elif isinstance(raw, list):
        for i, block in enumerate(raw):
            module = None
            head = headers[i] if isinstance(headers, list) and i < len(headers) else None
            if isinstance(head, dict):
                spaces = {h.get("namespace") for h in head.values() if isinstance(h, dict) and h.get("namespace")}
                if len(spaces) == 1:
                    module = spaces.pop()
            blocks.append(((module or f"module_{i + 1}").lower().replace(" ", "_"), block))
    else:
        raise InvalidInput("MultiQC data file: 'report_general_stats_data' is neither a list nor an object")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for module, block in blocks:
        if not isinstance(block, dict):
            continue
        for sample, columns in block.items():
            if isinstance(columns, list):  # grouped rows (some versions): merge the rows' columns
                merged: dict[str, Any] = {}
                for row in columns:
                    if isinstance(row, dict):
                        merged.update(row.get("data", row) if isinstance(row.get("data"), dict) else row)
                columns = merged
            if not isinstance(columns, dict):
                continue
            out.setdefault(str(sample), {}).setdefault(module, {}).update(columns)
    return out


def _first(stats: dict[str, dict[str, Any]], keys: tuple[str, ...]) -> Any:
    """A column from the FastQC module first, else from any module."""
    order = sorted(stats, key=lambda m: (m != "fastqc", m))
    for module in order:
        for key in keys:
            value = stats[module].get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
    return None


def multiqc_summary(name: str, stats: dict[str, dict[str, Any]], version: str | None) -> dict[str, Any]:
    total = _first(stats, ("total_sequences", "total_reads"))
    gc = _first(stats, ("percent_gc", "gc_content"))
    summary: dict[str, Any] = {
        "sample_name": name,
        "total_sequences": int(total) if total is not None else None,
        "gc_content": float(gc) if gc is not None else None,
    }
    for key, cols in (("avg_sequence_length", ("avg_sequence_length",)),
                      ("percent_duplicates", ("percent_duplicates",)),
                      ("percent_fails", ("percent_fails",))):
        value = _first(stats, cols)
        if value is not None:
            summary[key] = value
    summary["general_stats"] = stats
    if version:
        summary["multiqc_version"] = version
    return summary


_DIRECTION_WORDS = {"forward": 1, "reverse": 2}


def _direction_ok(wanted: int | None, run_dir: int | None) -> bool:
    return wanted is None or run_dir is None or wanted == run_dir


class RunIndex:
    """The candidate runs keyed by file name stem, by stem without read suffix, and by
    sample alias: built once, so each name costs a few dict lookups however many runs."""

    def __init__(self, runs: list[RunCandidate]):
        self.by_stem: dict[str, list[RunCandidate]] = defaultdict(list)
        self.by_base: dict[str, list[tuple[RunCandidate, int | None]]] = defaultdict(list)
        self.by_alias: dict[str, list[RunCandidate]] = defaultdict(list)
        for run in runs:
            stem = name_stem(run.filename)
            base, direction = read_key(stem)
            self.by_stem[stem].append(run)
            self.by_base[base].append((run, direction))
            self.by_alias[run.alias].append(run)

    def match(self, name: str) -> tuple[RunCandidate | None, str, list[str]]:
        """(run, how, candidates): a unique run, or None with the ambiguous candidates (maybe none)."""
        stem = name_stem(name)
        exact = self.by_stem.get(stem, [])
        if len(exact) == 1:
            return exact[0], "filename", []
        if exact:
            return None, "", sorted(r.accession for r in exact)

        base, direction = read_key(stem)
        variant = [r for r, rdir in self.by_base.get(base, []) if _direction_ok(direction, rdir)]
        if len(variant) == 1:
            return variant[0], "read suffix", []
        if variant:
            return None, "", sorted(r.accession for r in variant)

        # the alias itself, or the alias plus a read suffix naming the run's direction
        by_alias = list(self.by_alias.get(stem, []))
        if base != stem:
            by_alias += [r for r in self.by_alias.get(base, [])
                         if _direction_ok(direction, _DIRECTION_WORDS.get(r.read_direction))]
        if len(by_alias) == 1:
            return by_alias[0], "sample alias", []
        return None, "", sorted(r.accession for r in by_alias)


@dataclass
class MatchedSample:
    name: str
    run_accession: str
    how: str  # "filename" | "read suffix" | "sample alias"
    status: str
    summary: dict[str, Any]
    created: bool = False  # False: the same MultiQC report was already stored

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "run_accession": self.run_accession, "matched_by": self.how,
                "status": self.status, "created": self.created, "summary": self.summary}


@dataclass
class UnmatchedSample:
    name: str
    reason: str
    candidates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason, "candidates": self.candidates}


@dataclass
class MultiqcImport:
    source: str
    matched: list[MatchedSample] = field(default_factory=list)
    unmatched: list[UnmatchedSample] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for m in self.matched if m.created)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "created": self.created,
                "matched": [m.as_dict() for m in self.matched],
                "unmatched": [u.as_dict() for u in self.unmatched]}


def match_samples(names, runs: list[RunCandidate]
                  ) -> tuple[dict[str, tuple[RunCandidate, str]], list[UnmatchedSample]]:
    """Each sample name → (its one run, how it matched), in name order, and the names left
    unmatched (sorted). Two names that resolve to one run are both unmatched: neither is trusted."""
    index = RunIndex(runs)
    found: dict[str, tuple[RunCandidate, str]] = {}
    unmatched: list[UnmatchedSample] = []
    for name in sorted(names):
        run, how, candidates = index.match(name)
        if run is None:
            reason = (f"ambiguous: matches {len(candidates)} runs" if candidates
                      else "no run with this file name stem or sample alias")
            unmatched.append(UnmatchedSample(name, reason, candidates))
        else:
            found[name] = (run, how)
    names_of: dict[str, list[str]] = defaultdict(list)
    for name, (run, _) in found.items():
        names_of[run.accession].append(name)
    matched = {}
    for name, (run, how) in found.items():
        others = names_of[run.accession]
        if len(others) > 1:
            unmatched.append(UnmatchedSample(
                name, f"ambiguous: {', '.join(sorted(others))} all match run {run.accession}", [run.accession]))
        else:
            matched[name] = (run, how)
    unmatched.sort(key=lambda u: u.name)
    return matched, unmatched


def read_multiqc_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: not a MultiQC data file (expected a JSON object)")
    return data


def import_multiqc(
    settings: Settings,
    path: str | Path,
    *,
    project: str | None = None,
    thresholds: Thresholds | str | Path | None = None,
) -> MultiqcImport:
    """Store a MultiQC QCReport for every general-statistics sample that matches one run.

    Matching, in order, each step only when it gives exactly one run: the run's
    file name stem (``S1_R1.fastq.gz`` ↔ ``S1_R1``); the stem without a read suffix
    (``_R1 _R2 _1 _2 .1 .2`` [``_001``], keeping the read direction when the name has
    one); the sample alias (a sample's only run, or its forward/reverse run when the
    name carries a direction). ``project`` narrows the runs considered. A report
    identical to one already stored for that run is not stored again.
    """
    path = Path(path)
    data = read_multiqc_json(path)
    stats = general_stats(data)
    version = data.get("config_version")
    th = resolve_thresholds(thresholds)

    engine = open_registry(settings.db_url)
    matched, unmatched = match_samples(stats, records.multiqc_candidates(engine, project))
    result = MultiqcImport(source=str(path), unmatched=unmatched)
    run_ids: dict[str, int] = {}
    for name, (run, how) in matched.items():
        summary = multiqc_summary(name, stats[name], version)
        status, reasons = multiqc_status(summary, th.multiqc)
        summary["status_reasons"] = reasons
        result.matched.append(MatchedSample(name, run.accession, how, status, canonical_json(summary)))
        run_ids[name] = run.id
    created = records.store_multiqc(engine, [(run_ids[m.name], m.status, m.summary) for m in result.matched])
    for m in result.matched:
        m.created = run_ids[m.name] in created
    return result
