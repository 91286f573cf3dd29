"""The experiment columns of a sheet, checked by the domain's rules.

:func:`nfdp_ingest.domain.check_experiment` is the one implementation of the
rules (vocabularies, derived platform / source / selection, instrument of the
platform, insert size). A sheet of 100,000 rows has few distinct experiment
tuples, so the rule runs once per distinct tuple and its results are mapped
back onto the rows. What only a sheet has stays here: the layout derived from
a row's files, and one sheet-level note for a whole absent column instead of
one per row.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from ..domain.experiment import EXPERIMENT_RULE_FIELDS, check_experiment
from .context import SheetContext


def distinct_tuples(frame: pd.DataFrame) -> tuple[np.ndarray, list[dict]]:
    """(code per row, one ``{column: value|None}`` per distinct row of ``frame``)."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for name in frame.columns:
        column_codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)  # empty: -1
        # pair the codes so far with this column's, then renumber so codes stay below the row count
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + (column_codes + 1))
    _, first = np.unique(codes, return_index=True)  # first row of each code, in code order
    firsts = frame.iloc[first].astype(object)
    tuples = [{name: (None if pd.isna(value) else value) for name, value in row.items()}
              for row in firsts.to_dict("records")]
    return codes, tuples


def derive_layout(ctx: SheetContext) -> pd.Series:
    """library_layout per row, an empty cell filled from the row's files (two: PAIRED, one: SINGLE)."""
    has_f = ctx.series("filename_forward").notna().to_numpy()
    has_r = ctx.series("filename_reverse").notna().to_numpy()
    raw = ctx.series("library_layout")
    derive = raw.isna().to_numpy() & ~ctx.is_bad("library_layout") & (has_f | has_r)
    if not derive.any():
        return raw
    derived = np.where(has_f & has_r, "PAIRED", "SINGLE")
    if not ctx.present("library_layout"):
        ctx.sheet_warning("library_layout", None, "column library_layout is absent: derived from the files of "
                                                  "each row (two files: PAIRED, one: SINGLE)")
    else:
        ctx.emit(ctx.warnings, derive, "library_layout",
                 [f"library_layout derived from the files: {d}" if on else None for on, d in zip(derive, derived)])
    return raw.astype(object).where(~derive, derived)


def _absent_column_note(column: str, rows: list[int], normalised: pd.Series, ctx: SheetContext) -> str | None:
    """One sheet-level warning when a whole absent column was derived (instead of a warning per row)."""
    if not rows:
        return None
    if column == "platform":
        i = rows[0]
        return (f"column platform is absent: derived from instrument_model where it names one platform "
                f"(e.g. {ctx.norm['instrument_model'].iat[i]!r} → {normalised.iat[i]})")
    if column == "library_source":
        strategy = ctx.norm["library_strategy"]
        pairs = sorted({(strategy.iat[i], normalised.iat[i]) for i in rows}, key=str)[:5]
        return ("column library_source is absent: derived from library_strategy ("
                + ", ".join(f"{a} → {b}" for a, b in pairs) + ")")
    if column == "library_selection":
        return f"column library_selection is absent: {normalised.iat[rows[0]]!r} is used"
    return None


def check_experiments(ctx: SheetContext) -> None:
    """Apply the domain rules to every row; set ``ctx.norm`` for the experiment fields."""
    columns = {c: ctx.series(c) for c in EXPERIMENT_RULE_FIELDS}
    columns["library_layout"] = derive_layout(ctx)
    codes, tuples = distinct_tuples(pd.DataFrame(columns))
    already_bad = {c: ctx.is_bad(c).copy() for c in EXPERIMENT_RULE_FIELDS}
    # a column the sheet lacks altogether already has its own sheet-level error
    sheet_level = {e["column"] for e in ctx.errors if e["row"] is None}
    no_file = (ctx.series("filename_forward").isna() & ctx.series("filename_reverse").isna()).to_numpy()

    normalised = {c: np.empty(len(tuples), dtype=object) for c in EXPERIMENT_RULE_FIELDS}
    # (bucket, column, n-th problem of that column) -> message per distinct tuple
    messages: dict[tuple[str, str, int], np.ndarray] = defaultdict(lambda: np.full(len(tuples), None, dtype=object))
    for t, fields in enumerate(tuples):
        out, errors, warnings = check_experiment(fields)
        for c in EXPERIMENT_RULE_FIELDS:
            normalised[c][t] = out.get(c)
        for bucket, problems in (("errors", errors), ("warnings", warnings)):
            seen: dict[str, int] = defaultdict(int)
            for p in problems:
                messages[(bucket, p["column"], seen[p["column"]])][t] = p["message"]
                seen[p["column"]] += 1

    for c in EXPERIMENT_RULE_FIELDS:
        per_row = pd.Series(normalised[c][codes], dtype=object, index=ctx.df.index)
        ctx.norm[c] = per_row.where(~already_bad[c], None)
    for (bucket, column, _), by_tuple in sorted(messages.items(), key=lambda kv: kv[0][0]):
        per_row = by_tuple[codes]
        mask = (per_row != None) & ~already_bad[column]  # noqa: E711 (elementwise)
        if bucket == "errors":
            if column in sheet_level and not ctx.present(column):
                continue
            if column == "library_layout":
                mask &= ~no_file  # "no data file" already says what to give
            ctx.emit(ctx.errors, mask, column, per_row)
        elif ctx.present(column):
            ctx.emit(ctx.warnings, mask, column, per_row)
        else:
            note = _absent_column_note(column, np.flatnonzero(mask).tolist(), ctx.norm[column], ctx)
            if note:
                ctx.sheet_warning(column, None, note)
