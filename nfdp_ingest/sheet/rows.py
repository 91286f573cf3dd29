"""The parsed rows of a validated sheet: one :class:`SheetRow` per data row.

The validator hands over plain columns (:class:`RowColumns`, one list per
field, None = empty); :func:`build_rows` zips them into rows. The report
builds them on first use (``SheetReport.rows``): ``nfdp-ingest validate``
never needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat


@dataclass(frozen=True, slots=True)
class SheetFile:
    direction: str  # 'forward' | 'reverse' | 'single'
    filename: str
    md5: str | None
    column: str  # 'filename_forward' | 'filename_reverse'


@dataclass(frozen=True, slots=True)
class SheetRow:
    line: int
    sample_alias: str
    project_accession: str | None
    sample: dict[str, object]
    experiment: dict[str, object]
    files: tuple[SheetFile, ...]


@dataclass(frozen=True)
class RowColumns:
    """Every value a row needs, column by column (one item per row).

    Tuples, not lists: a tuple of str / int / None leaves the cycle collector's
    view after one pass, a list is walked again on every full collection.
    """

    lines: tuple[int, ...]
    sample_alias: tuple
    project_accession: tuple
    sample: dict[str, tuple]  # checklist fields and unknown columns, typed where the checklist says
    experiment: dict[str, tuple]  # the vocabulary columns, insert_size, library_name (normalised)
    filename_forward: tuple
    filename_reverse: tuple
    md5_forward: tuple
    md5_reverse: tuple
    library_layout: tuple


def _files(forward, reverse, md5_forward, md5_reverse, layout) -> tuple[SheetFile, ...]:
    if forward is not None and reverse is not None and layout != "SINGLE":
        return (SheetFile("forward", forward, md5_forward, "filename_forward"),
                SheetFile("reverse", reverse, md5_reverse, "filename_reverse"))
    if forward is not None:
        return (SheetFile("single", forward, md5_forward, "filename_forward"),)
    if reverse is not None:
        return (SheetFile("single", reverse, md5_reverse, "filename_reverse"),)
    return ()


def build_rows(columns: RowColumns) -> list[SheetRow]:
    sample_names = list(columns.sample)
    experiment_names = list(columns.experiment)
    # one tuple of values per row, per group of columns
    sample_values = zip(*columns.sample.values()) if sample_names else repeat(())
    experiment_values = zip(*columns.experiment.values())
    rows = []
    for line, alias, project, sample_row, experiment_row, forward, reverse, md5_f, md5_r, layout in zip(
            columns.lines, columns.sample_alias, columns.project_accession, sample_values, experiment_values,
            columns.filename_forward, columns.filename_reverse, columns.md5_forward, columns.md5_reverse,
            columns.library_layout):
        sample = dict(zip(sample_names, sample_row))
        if None in sample_row:  # empty cells are not attributes of the sample
            sample = {name: value for name, value in sample.items() if value is not None}
        rows.append(SheetRow(line=line, sample_alias=alias or "", project_accession=project,
                             sample=sample, experiment=dict(zip(experiment_names, experiment_row)),
                             files=_files(forward, reverse, md5_f, md5_r, layout)))
    return rows
