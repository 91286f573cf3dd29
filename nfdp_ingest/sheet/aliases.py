"""Columns named by their ENA field where the sheet has a short column for it.

``tissue_type`` is read as ``tissue``, ``collection date`` as
``collection_date``, ``geographic location (country and/or sea)`` as
``geographic_location``: one column per field whatever name the sheet uses,
so that the stored sample fills its real columns. The report names each
column as the sheet wrote it.
"""

from __future__ import annotations

import dataclasses

from ..domain.ena_fields import ENA_KEY_TO_SHORT
from .loader import ColumnLists, LoadedSheet


def _problem(line, column, value, message) -> dict:
    return {"row": line, "column": column, "value": value, "message": message}


def aliased(loaded: LoadedSheet) -> tuple[LoadedSheet, dict[str, str], list[dict]]:
    """The sheet with ENA-named columns that have a short column read as it (``tissue_type`` as ``tissue``,
    ``geographic location (country and/or sea)`` as ``geographic_location``), the way back, and an error
    for a field given under both names."""
    renames, errors = {}, []
    for h in loaded.headers:
        short = ENA_KEY_TO_SHORT.get(h)
        if short is None:
            continue
        if short in loaded.headers:
            errors.append(_problem(None, h, None, f"column {h!r} is the ENA name of column {short!r}: "
                                                  "give the field once"))
        else:
            renames[h] = short
    if not renames:
        return loaded, {}, errors
    frame = loaded.frame.rename(columns=renames)
    read_as = dataclasses.replace(loaded, frame=frame, headers=[renames.get(h, h) for h in loaded.headers],
                                  columns=ColumnLists(frame))
    return read_as, {v: k for k, v in renames.items()}, errors
