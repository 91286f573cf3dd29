"""The columns of a sheet that carry ENA checklist fields, checked by the domain's rules.

:func:`nfdp_ingest.domain.ena_rules.check_value` is the one implementation of
ENA's rules (regex, choices, units); ``ena validate`` applies it to registered
samples. Here it runs once per distinct value of a column and its messages are
mapped back onto the rows. What only a sheet does stays here: a choice written
in another case or spacing is corrected with a warning (ENA's values are
case-exact, so the canonical spelling is what is stored), ``geographic_location``
is ``Country:Region`` and a ``<column>_units`` column gives the unit of its
column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain.checklists import Field
from ..domain.ena_checklists import get_ena_checklist
from ..domain.ena_fields import GEOGRAPHIC_LOCATION, misuse, misuse_message, split_location
from ..domain.ena_rules import canonical_choice, check_value
from .context import SheetContext, factorize

UNITS_SUFFIX = "_units"
RECOMMENDED_LISTED = 10


def units_columns(ctx: SheetContext) -> list[str]:
    """The ``<column>_units`` columns that give the unit of a checklist column with units."""
    out = []
    for f in ctx.cl.fields:
        if f.ena is not None and f.ena.units and ctx.present(f.name + UNITS_SUFFIX):
            out.append(f.name + UNITS_SUFFIX)
    return out


def check_sheet_columns(ctx: SheetContext) -> None:
    """Sheet-level: the seed system's pathogen/virus columns under ERC000020 / ERC000043; recommended
    fields the sheet lacks (one warning for all)."""
    cl = ctx.cl
    if cl.ena_id is None:
        return
    ena = get_ena_checklist(cl.ena_id)
    wrong = misuse(cl.ena_id, ctx.headers)
    if wrong:
        ctx.sheet_error(wrong[2][0], None, misuse_message(cl.ena_id, ena.title, *wrong))
    absent = [f.ena.name for f in cl.fields if f.cardinality == "recommended" and not ctx.present(f.name)]
    if absent:
        listed = ", ".join(repr(a) for a in absent[:RECOMMENDED_LISTED])
        if len(absent) > RECOMMENDED_LISTED:
            listed += f" and {len(absent) - RECOMMENDED_LISTED} more (nfdp-ingest checklists {cl.id} lists them)"
        ctx.sheet_warning(None, None, f"ENA checklist {cl.ena_id} recommends {len(absent)} "
                                      f"field{'s' if len(absent) > 1 else ''} this sheet does not give: {listed}")


def _values(ctx: SheetContext, f: Field) -> pd.Series:
    s = ctx.df[f.name].mask(ctx.is_bad(f.name))
    units = f.name + UNITS_SUFFIX
    if f.ena.units and ctx.present(units):
        u = ctx.df[units]
        s = s.where(u.isna() | s.isna(), s.str.cat(u, sep=" "))
    return s


def _one(f: Field, v: str, ctx: SheetContext) -> tuple[str | None, str | None, list[str]]:
    """(normalised value | None, error | None, warnings) of one distinct value."""
    region = None
    value = v
    if f.name == GEOGRAPHIC_LOCATION:
        value, region = split_location(v)
    warnings = []
    canon = canonical_choice(f.ena, value)
    if canon is not None:
        warnings.append(f"{value!r} corrected to {canon!r} (ENA's values are case-exact)")
        value = canon
    _, _, problems = check_value(f.ena, value, checklist=ctx.cl.ena_id, today=ctx.today)
    errors = [m for sev, m in problems if sev == "error"]
    warnings += [m for sev, m in problems if sev == "warning"]
    if errors:
        return None, "; ".join(errors), warnings
    if f.name == GEOGRAPHIC_LOCATION and region:
        value = f"{value}:{region}"
    return value, None, warnings


def check_ena_columns(ctx: SheetContext) -> None:
    """Each ENA column, value by distinct value: regex, choices, units; recommended cells left empty."""
    for f in ctx.cl.fields:
        if f.ena is None or not ctx.present(f.name):
            continue
        s = _values(ctx, f)
        codes, uniques = factorize(s)
        k = len(uniques)
        canon = np.full(k + 1, None, dtype=object)
        err = np.full(k + 1, None, dtype=object)
        warn = np.full(k + 1, None, dtype=object)
        for i, v in enumerate(uniques):
            canon[i], err[i], w = _one(f, v, ctx)
            warn[i] = "; ".join(w) if w else None
        if any(x is not None for x in err[:-1]):
            row_err = err[codes]
            ctx.emit(ctx.errors, row_err != None, f.name, row_err)  # noqa: E711 (elementwise)
        if any(x is not None for x in warn[:-1]):
            row_warn = warn[codes]
            ctx.emit(ctx.warnings, row_warn != None, f.name, row_warn)  # noqa: E711 (elementwise)
        if f.cardinality == "recommended":
            ctx.emit(ctx.warnings, ctx.df[f.name].isna().to_numpy(), f.name,
                     f"{f.ena.name!r} is recommended by ENA checklist {ctx.cl.ena_id}: the value is empty")
        ctx.norm[f.name] = pd.Series(canon[codes], dtype=object, index=s.index)
