"""Cross-field rules of a sheet: layout against files, each file listed once,
the rows of one sample agreeing, and the checklist's own rules.

Each rule is a function of the :class:`~.context.SheetContext` and adds its
problems there. The experiment rules proper are the domain's
(:mod:`.experiments`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..files import formats
from . import schema
from .context import SheetContext


def _file_types(s: pd.Series) -> np.ndarray:
    """The type each row's name promises ('FASTQ', 'BAM', ...; '' for none), vectorised over formats.SUPPORTED."""
    low = s.str.lower()
    conds = [low.str.endswith(exts).fillna(False).to_numpy(dtype=bool) for exts in formats.SUPPORTED.values()]
    return np.select(conds, list(formats.SUPPORTED), default="")


def _canon_path(s: pd.Series) -> pd.Series:
    """The same file written two ways ('./a.fq', 'x//a.fq') maps to one key (vectorised)."""
    if not s.str.contains(r"//|/\./|^\./", regex=True).fillna(False).any():
        return s
    out = s.str.replace(r"/+", "/", regex=True)
    out = out.str.replace(r"/(?:\./)+", "/", regex=True)
    return out.str.replace(r"^(?:\./)+", "", regex=True)


def _fmt(v) -> str:
    return "(empty)" if v is None else repr(v)


def check_layout_and_files(ctx: SheetContext) -> None:
    """The files a row lists fit its library_layout; md5 only next to a file; each file listed once."""
    fwd_raw = ctx.series("filename_forward")
    rev_raw = ctx.series("filename_reverse")
    fwd = fwd_raw.mask(ctx.is_bad("filename_forward"))
    rev = rev_raw.mask(ctx.is_bad("filename_reverse"))
    has_f = fwd_raw.notna().to_numpy()
    has_r = rev_raw.notna().to_numpy()
    ok_f, ok_r = fwd.notna().to_numpy(), rev.notna().to_numpy()
    type_f = _file_types(fwd)
    type_r = _file_types(rev)
    single_type_f = np.isin(type_f, formats.SINGLE_FILE_TYPES)
    single_type_r = np.isin(type_r, formats.SINGLE_FILE_TYPES)

    layout = ctx.norm["library_layout"].to_numpy()
    nofile = ~has_f & ~has_r
    ctx.emit(ctx.errors, nofile, "filename_forward",
             "no data file: give filename_forward (and filename_reverse for PAIRED)")
    paired = (layout == "PAIRED") & ~nofile
    single = (layout == "SINGLE") & ~nofile
    # PAIRED with one file: fine for BAM/CRAM/VCF (one file holds both reads)
    ctx.emit(ctx.errors, paired & has_f & ~has_r & ~single_type_f, "filename_reverse",
             "library_layout is PAIRED but filename_reverse is empty")
    ctx.emit(ctx.errors, paired & ~has_f & has_r & ~single_type_r, "filename_forward",
             "library_layout is PAIRED but filename_forward is empty")
    ctx.emit(ctx.errors, single & has_f & has_r, "filename_reverse",
             "library_layout is SINGLE but two files are given: leave filename_reverse empty or use PAIRED")
    two_single = has_f & has_r & (single_type_f | single_type_r) & ok_f & ok_r
    ctx.emit(ctx.errors, two_single, "filename_reverse",
             "BAM, CRAM and VCF files hold all reads of a run: list one file in filename_forward")
    mixed = has_f & has_r & ok_f & ok_r & ~two_single & (type_f != type_r)
    ctx.emit(ctx.errors, mixed, "filename_reverse", "forward and reverse files are of different types")
    for md5_column, file_column, has in (("md5_forward", "filename_forward", has_f),
                                         ("md5_reverse", "filename_reverse", has_r)):
        if ctx.present(md5_column):
            ctx.emit(ctx.errors, ctx.df[md5_column].notna().to_numpy() & ~has, md5_column,
                     f"{md5_column} is given but {file_column} is empty")
    _each_file_once(ctx, _canon_path(fwd), _canon_path(rev))


def _each_file_once(ctx: SheetContext, forward: pd.Series, reverse: pd.Series) -> None:
    """A file listed twice in the sheet (in either column) is an error on its second listing."""
    n = ctx.n
    same = (forward.notna() & (forward == reverse)).to_numpy()
    ctx.emit(ctx.errors, same, "filename_reverse", "filename_reverse is the same file as filename_forward")
    # every listing in sheet order of columns: slot k < n is row k's forward file, slot n + k its reverse file
    listings = pd.concat([forward, reverse.where(~pd.Series(same, index=reverse.index))], ignore_index=True)
    repeated = (listings.duplicated(keep="first") & listings.notna()).to_numpy()
    if not repeated.any():
        return
    firsts = listings[listings.notna() & ~listings.duplicated(keep="first")]
    first_slot = pd.Series(firsts.index.to_numpy(), index=firsts.to_numpy())
    for offset, column in ((0, "filename_forward"), (n, "filename_reverse")):
        slots = np.flatnonzero(repeated[offset:offset + n]) + offset
        if not len(slots):
            continue
        names = listings.iloc[slots].tolist()
        messages = [None] * n
        for slot, name, first in zip(slots, names, first_slot.reindex(names).to_numpy()):
            first = int(first)
            where = "filename_forward" if first < n else "filename_reverse"
            messages[slot - offset] = (f"file {name!r} is already listed on line {int(ctx.lines[first % n])} "
                                       f"({where}); each file may be listed once")
        mask = np.zeros(n, dtype=bool)
        mask[slots - offset] = True
        ctx.emit(ctx.errors, mask, column, messages)


def check_alias_consistency(ctx: SheetContext, unknown: list[str]) -> None:
    """Rows of one sample agree on every sample field (an error), and on unknown columns (a warning)."""
    if not ctx.present(schema.SAMPLE_ALIAS):
        return
    codes, uniques = pd.factorize(ctx.df[schema.SAMPLE_ALIAS], use_na_sentinel=True)
    if len(uniques) == ctx.n or len(uniques) == 0:
        return
    _, first_idx = np.unique(codes, return_index=True)
    # np.unique sorts codes; -1 (NA) first when present
    code_first = np.full(len(uniques), -1, dtype=np.int64)
    uc = np.unique(codes)
    code_first[uc[uc >= 0]] = first_idx[uc >= 0]
    has = codes >= 0
    ref = np.where(has, code_first[np.maximum(codes, 0)], -1)  # the sample's first row
    attributes = set(unknown)
    for col in [f.name for f in ctx.cl.fields] + [schema.PROJECT] + list(unknown):
        if not ctx.present(col):
            continue
        values = ctx.df[col].fillna("\x00").to_numpy(dtype=object)
        mism = has & (values != values[np.maximum(ref, 0)])
        if not mism.any():
            continue
        cells = ctx.cols[col]
        alias = ctx.cols[schema.SAMPLE_ALIAS]
        msgs = [None] * ctx.n
        for i in np.flatnonzero(mism):
            r = ref[i]
            said = f"sample {alias[i]!r} has {col} {_fmt(cells[r])} on line {int(ctx.lines[r])} but {_fmt(cells[i])} here"
            if col in attributes:  # not a checklist field: may be per library (a lane, a note)
                msgs[i] = said + "; the sample keeps the first value"
            else:
                msgs[i] = said + ": rows of one sample must agree on every sample field"
        ctx.emit(ctx.warnings if col in attributes else ctx.errors, mism, col, msgs)


def check_checklist_rules(ctx: SheetContext) -> None:
    """The checklist's cross-field rules (today: ``not_greater``)."""
    for rule in ctx.cl.rules:
        if rule.get("type") != "not_greater":
            continue
        a, b = rule["field"], rule["than"]
        if not (ctx.present(a) and ctx.present(b)):
            continue
        x = pd.to_numeric(ctx.df[a], errors="coerce")
        y = pd.to_numeric(ctx.df[b], errors="coerce")
        bad = (x > y).fillna(False).to_numpy(dtype=bool) & ~ctx.is_bad(a) & ~ctx.is_bad(b)
        if bad.any():
            limit = ctx.cols[b]
            ctx.emit(ctx.errors, bad, a, [f"{a} must not be greater than {b} ({limit[i]})" if bad[i] else None
                                          for i in range(ctx.n)])
