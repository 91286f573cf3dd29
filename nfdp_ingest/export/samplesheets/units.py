"""Runs → sheet units: a pair of FASTQ mates, a single-end FASTQ, a long-read FASTQ.

Runs arrive grouped by sample then experiment (``lookup.scope_runs``). Pairs come from
``Run.mate_accession`` (both runs of a sheet row name each other); everything else in an
experiment is a unit of its own, so no run is lost when an experiment has more than two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

LONG_READ_PLATFORMS = frozenset({"OXFORD_NANOPORE", "PACBIO_SMRT"})

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Unit:
    """One line's worth of reads: ``runs`` is (forward, reverse) for ``paired``, else one run."""

    kind: str  # paired | single | long | other (not FASTQ)
    runs: tuple[Row, ...]
    lane: int  # 1, 2, … per sample, in run-accession order
    _attrs: dict = field(default_factory=dict, compare=False, repr=False)  # shared by a sample's units

    def attributes(self) -> dict[str, Any]:
        """The sample's attributes, keys normalised (``host subject id`` → ``host_subject_id``),
        parsed once per sample."""
        if "\0parsed" not in self._attrs:
            raw = self.first["sample_attributes"]
            data = json.loads(raw) if isinstance(raw, str) else (raw or {})
            self._attrs.update({str(k).strip().lower().replace(" ", "_"): v for k, v in data.items()})
            self._attrs["\0parsed"] = True
        return self._attrs

    @property
    def first(self) -> Row:
        return self.runs[0]

    @property
    def accessions(self) -> tuple[str, ...]:
        return tuple(r["accession"] for r in self.runs)


def _experiment_units(runs: list[Row]) -> Iterator[tuple[str, tuple[Row, ...]]]:
    by_acc = {r["accession"]: r for r in runs}
    used: set[str] = set()
    for run in runs:
        acc = run["accession"]
        if acc in used:
            continue
        used.add(acc)
        if (run["file_type"] or "").upper() != "FASTQ":
            yield "other", (run,)
            continue
        if (run["platform"] or "").upper() in LONG_READ_PLATFORMS:
            yield "long", (run,)
            continue
        mate = by_acc.get(run["mate_accession"] or "")
        if (mate is not None and mate["accession"] not in used and (mate["file_type"] or "").upper() == "FASTQ"
                and {run["read_direction"], mate["read_direction"]} == {"forward", "reverse"}):
            used.add(mate["accession"])
            pair = (run, mate) if run["read_direction"] == "forward" else (mate, run)
            yield "paired", pair
            continue
        yield "single", (run,)


def units(rows: Iterable[Row]) -> Iterator[Unit]:
    """The units of a stream of run rows (grouped by sample, then experiment)."""
    for _sample, sample_rows in groupby(rows, key=lambda r: r["sample_accession"]):
        lane = 0
        attrs: dict = {}
        for _exp, exp_rows in groupby(sample_rows, key=lambda r: r["experiment_accession"]):
            for kind, runs in _experiment_units(list(exp_rows)):
                if kind != "other":
                    lane += 1
                yield Unit(kind, runs, lane if kind != "other" else 0, attrs)
