"""Find the mates of paired FASTQ runs registered before runs recorded them.

New submissions take the mate from the sheet row (pipeline.plan.row_pairs).
Rows registered earlier are paired here, per experiment, by the most certain
evidence first:

1. mate names: the two file names differ only in the read token
   (``_R1``/``_R2``, ``_1``/``_2``, ``.1``/``.2``, ``_F``/``_R`` …);
2. submission history: a row's forward and reverse files were reserved one
   after the other, so in one submission the reverse run's accession number
   is the forward run's plus one;
3. what is left: one forward and one reverse run in the experiment.

Runs that none of these pairs stay without a mate (``ena validate`` says so).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from .accessions import parse_accession

# The read token: R1/R2, 1/2, F/R, fwd/rev as a whole name part, the last one in the name.
_TOKEN = re.compile(r"(?i)(?<=[._-])(r?[12]|f|r|fwd|rev|forward|reverse)(?=[._-])")
_SAME = {"r1": "r2", "1": "2", "f": "r", "fwd": "rev", "forward": "reverse"}


class RegisteredRun(NamedTuple):
    accession: str
    experiment_id: int
    submission_id: int | None
    read_direction: str
    filename: str


def _name_key(filename: str, forward: bool) -> str | None:
    """The file name with its read token blanked, if the token fits the direction."""
    matches = list(_TOKEN.finditer(filename))
    if not matches:
        return None
    m = matches[-1]
    token = m.group(1).lower()
    if forward and token not in _SAME:
        return None
    if not forward and token not in _SAME.values():
        return None
    kind = token if forward else next(k for k, v in _SAME.items() if v == token)
    return f"{filename[:m.start()]}\0{kind}\0{filename[m.end():]}"


def _number(accession: str) -> int | None:
    parsed = parse_accession(accession)
    return parsed[1] if parsed else None


def pair_registered(runs: Iterable[RegisteredRun]) -> list[tuple[str, str]]:
    """(forward accession, reverse accession) for every pair the evidence supports."""
    by_experiment: dict[int, list[RegisteredRun]] = defaultdict(list)
    for run in runs:
        if run.read_direction in ("forward", "reverse"):
            by_experiment[run.experiment_id].append(run)
    found: list[tuple[str, str]] = []
    for group in by_experiment.values():
        fwd = [r for r in group if r.read_direction == "forward"]
        rev = [r for r in group if r.read_direction == "reverse"]
        for rule in (_by_name, _by_history):
            for f, r in rule(fwd, rev):
                found.append((f.accession, r.accession))
                fwd.remove(f)
                rev.remove(r)
        if len(fwd) == 1 and len(rev) == 1:
            found.append((fwd[0].accession, rev[0].accession))
    return found


def _by_name(fwd: list[RegisteredRun], rev: list[RegisteredRun]) -> list[tuple[RegisteredRun, RegisteredRun]]:
    keys_f = _unique_keys(fwd, forward=True)
    keys_r = _unique_keys(rev, forward=False)
    return [(keys_f[k], keys_r[k]) for k in keys_f.keys() & keys_r.keys()]


def _unique_keys(runs: list[RegisteredRun], *, forward: bool) -> dict[str, RegisteredRun]:
    """Name key → run, for keys exactly one run has (an ambiguous name proves nothing)."""
    seen: dict[str, list[RegisteredRun]] = defaultdict(list)
    for r in runs:
        key = _name_key(r.filename, forward)
        if key is not None:
            seen[key].append(r)
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


def _by_history(fwd: list[RegisteredRun], rev: list[RegisteredRun]) -> list[tuple[RegisteredRun, RegisteredRun]]:
    by_number = {(r.submission_id, _number(r.accession)): r for r in rev if r.submission_id is not None}
    out = []
    for f in fwd:
        n = _number(f.accession)
        mate = by_number.get((f.submission_id, n + 1)) if n is not None and f.submission_id is not None else None
        if mate is not None:
            out.append((f, mate))
    return out
