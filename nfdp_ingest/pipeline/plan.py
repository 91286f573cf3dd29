"""Plan a submission: what the sheet's rows mean against what the registry holds.

Pure functions over plain data: the caller loads the registry's current state
(``Existing``) and gets back a ``Plan`` naming every sample, experiment and run
as new or reused, or a list of conflicts. No I/O here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..files import type_from_extension
from ..registry.models import EXPERIMENT_FIELDS
from ..sheet import SheetRow


def experiment_key(sample_alias: str, fields: dict) -> str:
    """Rows sharing this key are one experiment (DESIGN §1): sample + library fields."""
    return json.dumps([sample_alias, *(fields.get(name) for name in EXPERIMENT_FIELDS)], separators=(",", ":"))


@dataclass
class PlannedSample:
    alias: str
    fields: dict
    line: int
    accession: str | None = None
    reused: bool = False


@dataclass
class PlannedExperiment:
    key: str
    sample_alias: str
    fields: dict
    line: int
    accession: str | None = None
    reused: bool = False


@dataclass
class PlannedRun:
    filename: str  # as in the sheet; the run's identity within a project
    experiment_key: str
    sample_alias: str
    direction: str  # forward | reverse | single
    declared_md5: str | None
    expected_type: str | None
    line: int
    column: str
    accession: str | None = None
    reused: bool = False

    @property
    def basename(self) -> str:
        return PurePosixPath(self.filename).name


@dataclass
class Existing:
    """What the project already holds, keyed like the plan."""

    samples: dict[str, tuple[str, dict]] = field(default_factory=dict)  # alias → (accession, fields)
    experiments: dict[str, str] = field(default_factory=dict)  # experiment key → accession
    # filename → (run accession, md5, experiment accession)
    runs: dict[str, tuple[str, str, str]] = field(default_factory=dict)


@dataclass
class Plan:
    samples: list[PlannedSample]
    experiments: list[PlannedExperiment]
    runs: list[PlannedRun]

    def new(self, kind: str) -> list:
        return [item for item in getattr(self, kind) if not item.reused]

    def reused(self, kind: str) -> list:
        return [item for item in getattr(self, kind) if item.reused]

    @property
    def nothing_new(self) -> bool:
        return not (self.new("samples") or self.new("experiments") or self.new("runs"))


def row_pairs(runs: list[PlannedRun]) -> list[tuple[PlannedRun, PlannedRun]]:
    """(forward, reverse) runs of each paired sheet row: each is the other's mate."""
    by_row: dict[tuple[int, str], dict[str, PlannedRun]] = {}
    for run in runs:
        by_row.setdefault((run.line, run.experiment_key), {})[run.direction] = run
    return [(r["forward"], r["reverse"]) for r in by_row.values() if "forward" in r and "reverse" in r]


def pairs(plan: Plan) -> list[tuple[PlannedRun, PlannedRun]]:
    """(forward, reverse) pairs among the plan's new runs."""
    return row_pairs(plan.new("runs"))


def _same(a, b) -> bool:
    return a == b or (a is not None and b is not None and str(a) == str(b))


def make_plan(rows: list[SheetRow], existing: Existing) -> tuple[Plan, list[dict]]:
    """Group rows into samples/experiments/runs and match them with ``existing``.

    Returns the plan and a list of conflicts ({row, column, value, message});
    any conflict means the sheet cannot be submitted as it stands.
    """
    conflicts: list[dict] = []
    samples: dict[str, PlannedSample] = {}
    experiments: dict[str, PlannedExperiment] = {}
    runs: list[PlannedRun] = []

    for row in rows:
        sample = samples.get(row.sample_alias)
        if sample is None:
            sample = samples[row.sample_alias] = PlannedSample(row.sample_alias, dict(row.sample), row.line)
        key = experiment_key(row.sample_alias, row.experiment)
        if key not in experiments:
            experiments[key] = PlannedExperiment(key, row.sample_alias, dict(row.experiment), row.line)
        for sheet_file in row.files:
            runs.append(PlannedRun(
                filename=sheet_file.filename, experiment_key=key, sample_alias=row.sample_alias,
                direction=sheet_file.direction, declared_md5=sheet_file.md5,
                expected_type=type_from_extension(sheet_file.filename), line=row.line, column=sheet_file.column,
            ))

    for sample in samples.values():
        found = existing.samples.get(sample.alias)
        if found is None:
            continue
        accession, stored = found
        for name, value in sample.fields.items():
            if value is not None and not _same(stored.get(name), value):
                conflicts.append({
                    "row": sample.line, "column": name, "value": str(value),
                    "message": f"sample '{sample.alias}' is already registered as {accession} with "
                               f"{name} = {stored.get(name)!r}; the sheet says {value!r}",
                })
        sample.accession, sample.reused = accession, True

    for experiment in experiments.values():
        accession = existing.experiments.get(experiment.key)
        if accession is not None:
            experiment.accession, experiment.reused = accession, True

    for run in runs:
        found = existing.runs.get(run.filename)
        if found is None:
            continue
        accession, md5, experiment_accession = found
        if run.declared_md5 and run.declared_md5 != md5:
            conflicts.append({
                "row": run.line, "column": run.column, "value": run.filename,
                "message": f"file {run.filename} is already registered as {accession} with MD5 {md5}; "
                           f"the sheet declares {run.declared_md5}",
            })
        elif experiments[run.experiment_key].accession != experiment_accession:
            conflicts.append({
                "row": run.line, "column": run.column, "value": run.filename,
                "message": f"file {run.filename} is already registered as {accession} of experiment "
                           f"{experiment_accession}, which this row does not describe",
            })
        run.accession, run.reused = accession, True

    return Plan(list(samples.values()), list(experiments.values()), runs), conflicts
