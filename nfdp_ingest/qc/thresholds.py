"""QC thresholds: the shipped ``sheets/qc_thresholds.toml``, overridden key by key by a
file the caller names, and the ``passed`` / ``warn`` / ``failed`` verdicts they give.

Nothing here reads the environment (the CLI reads ``NFDP_QC_THRESHOLDS``).
"""

from __future__ import annotations

import json
import tomllib
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..resources import sheets_dir


@dataclass(frozen=True)
class FastqcThresholds:
    fail_modules: tuple[str, ...] = ()
    ignore_modules: tuple[str, ...] = ()
    min_total_sequences: int = 0
    warn_total_sequences: int = 0
    max_poor_quality_percent: float = -1.0
    gc_content_min: float = -1.0
    gc_content_max: float = 101.0


@dataclass(frozen=True)
class MultiqcThresholds:
    min_total_sequences: int = 0
    warn_total_sequences: int = 0
    warn_percent_fails: float = 100.0
    fail_percent_fails: float = 100.0
    gc_content_min: float = -1.0
    gc_content_max: float = 101.0


@dataclass(frozen=True)
class Thresholds:
    fastqc: FastqcThresholds
    multiqc: MultiqcThresholds
    sources: tuple[str, ...] = ()  # files read, defaults first


SECTIONS = {"fastqc": FastqcThresholds, "multiqc": MultiqcThresholds}


def default_thresholds_path() -> Path:
    return sheets_dir() / "qc_thresholds.toml"


def _field_types(cls: type) -> dict[str, type]:
    """Each field's type as a class (``tuple``, ``int``, ``float``), resolved from the real
    annotations; ``X | None`` counts as ``X``."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in fields(cls):
        hint = hints[f.name]
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        out[f.name] = typing.get_origin(hint) or hint
    return out


FIELD_TYPES = {name: _field_types(cls) for name, cls in SECTIONS.items()}


def _read_table(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"QC thresholds file {path}: cannot read it ({exc.strerror})") from exc
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(raw.decode("utf-8")) if is_json else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise UsageError(f"QC thresholds file {path}: not valid {'JSON' if is_json else 'TOML'} ({exc})") from exc
    if not isinstance(data, dict):
        raise UsageError(f"QC thresholds file {path}: expected a table of sections [fastqc] and [multiqc]")
    return data


def _coerce(where: str, value: Any, kind: type) -> Any:
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{where} must be a list of FastQC module names")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{where} must be a number, not {value!r}")
    if kind is int:
        if value != int(value):
            raise UsageError(f"{where} must be a whole number, not {value!r}")
        return int(value)
    return float(value)


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """The shipped defaults, overridden key by key by ``path`` (TOML or JSON) if given."""
    layers = [default_thresholds_path()] + ([Path(path)] if path else [])
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for layer in layers:
        for section, table in _read_table(layer).items():
            if section not in SECTIONS:
                raise UsageError(
                    f"QC thresholds file {layer}: unknown section [{section}] (use {', '.join(SECTIONS)})")
            if not isinstance(table, dict):
                raise UsageError(f"QC thresholds file {layer}: [{section}] must be a table")
            kinds = FIELD_TYPES[section]
            for key, value in table.items():
                if key not in kinds:
                    raise UsageError(f"QC thresholds file {layer}: unknown key {key!r} in [{section}] "
                                     f"(known: {', '.join(kinds)})")
                values[section][key] = _coerce(f"QC thresholds file {layer}: [{section}] {key}", value, kinds[key])
    return Thresholds(fastqc=FastqcThresholds(**values["fastqc"]), multiqc=MultiqcThresholds(**values["multiqc"]),
                      sources=tuple(str(p) for p in layers))


def resolve_thresholds(thresholds: Thresholds | str | Path | None) -> Thresholds:
    return thresholds if isinstance(thresholds, Thresholds) else load_thresholds(thresholds)


# --------------------------------------------------------------------------- verdicts

def _verdict(fails: list[str], warns: list[str]) -> tuple[str, list[str]]:
    if fails:
        return "failed", fails + warns
    if warns:
        return "warn", warns
    return "passed", []


def _check_read_count(total, th, fails: list[str], warns: list[str]) -> None:
    """The read-count thresholds both tools share."""
    if total is None:
        return
    if th.min_total_sequences and total < th.min_total_sequences:
        fails.append(f"{total} reads, fewer than the minimum {th.min_total_sequences}")
    elif th.warn_total_sequences and total < th.warn_total_sequences:
        warns.append(f"{total} reads, fewer than {th.warn_total_sequences}")


def fastqc_status(summary: dict[str, Any], th: FastqcThresholds) -> tuple[str, list[str]]:
    """``passed`` / ``warn`` / ``failed`` and the reasons, from a parsed FastQC summary."""
    fails: list[str] = []
    warns: list[str] = []
    for module, verdict in summary.get("modules", {}).items():
        if module in th.ignore_modules:
            continue
        if verdict == "fail":
            (fails if module in th.fail_modules else warns).append(f"module '{module}' failed")
        elif verdict == "warn":
            warns.append(f"module '{module}' warned")
    total = summary.get("total_sequences")
    _check_read_count(total, th, fails, warns)
    if total is not None:
        poor = summary.get("poor_quality_sequences")
        if poor is not None and total and th.max_poor_quality_percent >= 0:
            pct = 100.0 * poor / total
            if pct > th.max_poor_quality_percent:
                warns.append(f"{pct:.1f}% of reads flagged as poor quality (more than {th.max_poor_quality_percent}%)")
    gc = summary.get("gc_content")
    if gc is not None and not th.gc_content_min <= gc <= th.gc_content_max:
        warns.append(f"GC content {gc}% outside {th.gc_content_min}–{th.gc_content_max}%")
    return _verdict(fails, warns)


def multiqc_status(summary: dict[str, Any], th: MultiqcThresholds) -> tuple[str, list[str]]:
    fails: list[str] = []
    warns: list[str] = []
    _check_read_count(summary.get("total_sequences"), th, fails, warns)
    pf = summary.get("percent_fails")
    if isinstance(pf, (int, float)):
        if pf > th.fail_percent_fails:
            fails.append(f"{pf:g}% of FastQC modules failed (more than {th.fail_percent_fails:g}%)")
        elif pf > th.warn_percent_fails:
            warns.append(f"{pf:g}% of FastQC modules failed (more than {th.warn_percent_fails:g}%)")
    gc = summary.get("gc_content")
    if isinstance(gc, (int, float)) and not th.gc_content_min <= gc <= th.gc_content_max:
        warns.append(f"GC content {gc:g}% outside {th.gc_content_min:g}–{th.gc_content_max:g}%")
    return _verdict(fails, warns)
