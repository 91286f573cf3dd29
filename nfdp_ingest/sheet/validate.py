"""Validate a loaded sheet against a checklist: every problem, in one pass.

Order of work (each step vectorised, or per distinct value and mapped back):

1. sheet level: unknown / missing columns, no rows;
2. formula-injection cells (``=…``, ``@…``, ``+``/``-`` not followed by a number);
3. required values;
4. the pandera schema (types, ranges, dates, checksums, file names), lazily;
5. vocabularies (checklist enums, countries, sequencing terms) with correction;
6. cross-field rules: platform/instrument, derived source/selection/layout,
   layout vs files, unusual strategy/source, file listed once, rows of one
   sample agreeing, checklist rules;
7. the parsed rows (:class:`SheetRow`).

Every error and warning is ``{"row": line, "column", "value", "message"}``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..domain import vocabulary as vocab
from ..domain.checklists import DEFAULT_CHECKLIST, Checklist, Field, get_checklist
from ..domain.experiment import EXPERIMENT_RULE_FIELDS
from ..errors import UsageError
from ..files import formats
from . import schema as S
from .experiments import check_experiments
from .loader import LoadedSheet, load_sheet
from .report import SheetReport
from .rows import RowColumns


def validate_sheet(path: str | Path, checklist: str | None = None, *, today: _dt.date | None = None) -> SheetReport:
    """Load and validate a sheet.

    ``checklist`` None: the checklist the sheet names (a ``checklist`` column,
    else a ``# checklist: ID`` comment line above the header), else ERC000011. Raises
    :class:`UsageError` for an unknown checklist or an unreadable / empty file;
    bad content never raises, it gives a report with errors.
    """
    chosen = get_checklist(checklist) if checklist else None
    return validate_loaded(load_sheet(path), chosen, today=today)


def validate_loaded(loaded: LoadedSheet, checklist: Checklist | None = None, *,
                    today: _dt.date | None = None) -> SheetReport:
    return _Validator(loaded, checklist, today or _dt.date.today()).run()


def _factorize(s: pd.Series) -> tuple[np.ndarray, list]:
    """(codes, distinct non-empty values); code -1 (empty) indexes the extra last slot of a lookup array."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, list(uniques)


def _map(s: pd.Series, table: dict) -> pd.Series:
    """Look each value of ``s`` up in ``table`` (hash-based); object Series with None where absent."""
    if not table:
        return pd.Series([None] * len(s), dtype=object, index=s.index)
    out = s.map(table)
    arr = out.to_numpy(dtype=object, copy=True)
    arr[pd.isna(arr)] = None
    return pd.Series(arr, dtype=object, index=s.index)


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


class _Validator:
    def __init__(self, loaded: LoadedSheet, checklist: Checklist | None, today: _dt.date):
        self.loaded = loaded
        self.today = today
        self.errors: list[dict] = list(loaded.errors)
        self.warnings: list[dict] = list(loaded.warnings)
        self.df = loaded.frame
        self.cols = loaded.columns
        self.headers = loaded.headers
        self.lines = loaded.lines
        self.n = len(self.df)
        self.bad: dict[str, np.ndarray] = {}  # column -> cells that already have an error
        self.norm: dict[str, pd.Series] = {}  # column -> normalised values (NA = none / invalid)
        declared = self.declared_checklist()
        if checklist is None:
            checklist = get_checklist(DEFAULT_CHECKLIST)
            if declared:
                try:
                    checklist = get_checklist(declared)
                except UsageError:
                    self.sheet_error(None, declared, f"the sheet declares checklist {declared!r}, which is unknown; "
                                     f"validated against {DEFAULT_CHECKLIST}")
        elif declared and declared.lower() != checklist.id.lower():
            self.sheet_warning(None, declared, f"the sheet declares checklist {declared!r} but it is validated "
                               f"against {checklist.id} as asked")
        self.cl = checklist

    def declared_checklist(self) -> str | None:
        """The checklist the sheet names: its ``checklist`` column (CSV templates), else a ``# checklist:`` line."""
        comment = self.loaded.declared_checklist
        if not self.present(S.CHECKLIST):
            return comment
        column = self.df[S.CHECKLIST]
        named = column.dropna()
        if named.empty:
            return comment
        first, first_line = named.iat[0], int(self.lines[named.index[0]])
        differs = (column.notna() & (column.str.lower() != first.lower())).to_numpy()
        self.emit(self.errors, differs, S.CHECKLIST,
                  f"checklist differs from {first!r} on line {first_line}: a sheet is validated against one checklist")
        if comment and comment.lower() != first.lower():
            self.sheet_error(S.CHECKLIST, first, f"the '# checklist: {comment}' line and the checklist column "
                                                 f"({first!r}) disagree; the column is used")
        return first

    # ------------------------------------------------------------------ helpers
    def sheet_error(self, column, value, message):
        self.errors.append({"row": None, "column": column, "value": value, "message": message})

    def sheet_warning(self, column, value, message):
        self.warnings.append({"row": None, "column": column, "value": value, "message": message})

    def emit(self, bucket: list, mask, column: str, message, values=None, mark_bad=None):
        """Add one problem per True in ``mask``; ``message`` is a str or a per-row sequence."""
        mask = np.asarray(mask, dtype=bool)
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        if values is None:
            values = self.cols.get(column)
        lines = self.lines[pos].tolist()
        vals = [values[i] for i in pos] if values is not None else [None] * len(pos)
        if isinstance(message, str):
            bucket.extend({"row": ln, "column": column, "value": v, "message": message}
                          for ln, v in zip(lines, vals))
        else:
            msgs = [message[i] for i in pos]
            bucket.extend({"row": ln, "column": column, "value": v, "message": m}
                          for ln, v, m in zip(lines, vals, msgs))
        if mark_bad is None:
            mark_bad = bucket is self.errors
        if mark_bad:
            self.mark(column, mask)

    def mark(self, column, mask):
        prev = self.bad.get(column)
        self.bad[column] = mask.copy() if prev is None else (prev | mask)

    def is_bad(self, column) -> np.ndarray:
        b = self.bad.get(column)
        return np.zeros(self.n, dtype=bool) if b is None else b

    def series(self, column) -> pd.Series:
        if column in self.df.columns:
            return self.df[column]
        return pd.Series([None] * self.n, dtype="str", index=self.df.index)

    def present(self, column) -> bool:
        return column in self.df.columns

    @staticmethod
    def per_value(s: pd.Series, fn) -> pd.Series:
        """``fn`` on each distinct non-empty value, mapped back onto the rows (object Series, None = no value)."""
        codes, uniques = _factorize(s)
        results = np.empty(len(uniques) + 1, dtype=object)  # the last slot answers for empty cells
        results[:-1] = [fn(v) for v in uniques]
        results[-1] = None
        return pd.Series(results[codes], dtype=object, index=s.index)

    @staticmethod
    def key2(a: pd.Series, b: pd.Series) -> pd.Series:
        """One hashable text key per row for a pair of columns (NA when either is NA)."""
        a = a.astype("str") if a.dtype == object else a
        b = b.astype("str") if b.dtype == object else b
        return a + "\x1f" + b

    # ------------------------------------------------------------------ run
    def run(self) -> SheetReport:
        cl = self.cl
        self.check_columns()
        row_columns = None
        if self.n:
            self.check_injection()
            self.check_required()
            self.check_schema()
            self.check_enums_and_countries()
            check_experiments(self)
            self.check_layout_and_files()
            self.check_alias_consistency()
            self.check_rules()
            self.normalise_simple()
            row_columns = self._row_columns()
        order = {h: i for i, h in enumerate(self.headers)}

        def sort_key(p):
            return (p["row"] is not None, p["row"] or 0, order.get(p.get("column"), 10_000))

        self.errors.sort(key=sort_key)
        self.warnings.sort(key=sort_key)
        return SheetReport(
            path=self.loaded.path, checklist=cl.id, valid=not self.errors,
            errors=self.errors, warnings=self.warnings,
            headers=list(self.headers), required_fields=["sample_alias"] + cl.required_fields,
            total_rows=self.n, format=self.loaded.format, table=self.cols,
            lines=self.lines.tolist(), row_columns=row_columns,
        )

    # ------------------------------------------------------------------ 1. columns
    def check_columns(self):
        cl = self.cl
        known = {S.SAMPLE_ALIAS, S.PROJECT, S.CHECKLIST, *cl.field_names, *S.SEQ_COLUMNS, *S.FILE_COLUMNS}
        unknown = [h for h in self.headers if h not in known]
        missing_known = [c for c in [S.SAMPLE_ALIAS, *cl.field_names, *S.SEQ_COLUMNS, *S.FILE_COLUMNS]
                         if c not in self.headers]
        self.unknown = unknown
        for h in unknown:
            hint = difflib.get_close_matches(h, missing_known, n=1, cutoff=0.75)
            msg = (f"unknown column {h!r}: not a field of checklist {cl.id} nor a sequencing or file column; "
                   "its values are kept as sample attributes")
            if hint:
                msg += f"; did you mean {hint[0]}?"
            self.sheet_warning(h, None, msg)
        for c in [S.SAMPLE_ALIAS, *cl.required_fields]:
            if c not in self.headers:
                hint = difflib.get_close_matches(c, unknown, n=1, cutoff=0.75)
                msg = f"required column {c!r} is missing"
                if c != S.SAMPLE_ALIAS:
                    msg += f" (checklist {cl.id})"
                if hint:
                    msg += f"; the sheet has a column {hint[0]!r} — a misspelling?"
                self.sheet_error(c, None, msg)
        if not self.present("platform") and not self.present("instrument_model"):
            self.sheet_error("platform", None, "columns platform and instrument_model are missing")
        elif not self.present("instrument_model"):
            self.sheet_error("instrument_model", None,
                             "column instrument_model is missing (write 'unspecified' when it is not known)")
        if not self.present("library_strategy"):
            self.sheet_error("library_strategy", None, "required column 'library_strategy' is missing")
        if not self.present("filename_forward") and not self.present("filename_reverse"):
            self.sheet_error("filename_forward", None,
                             "columns filename_forward and filename_reverse are missing: every row needs a data file")
        for md5c, fc in (("md5_forward", "filename_forward"), ("md5_reverse", "filename_reverse")):
            if self.present(md5c) and not self.present(fc):
                self.sheet_error(md5c, None, f"column {md5c} is given without a {fc} column")
        if self.n == 0:
            self.sheet_error(None, None, "the sheet has a header but no data rows")
        if len(self.headers) == 1 and self.loaded.format in ("csv", "tsv"):
            self.sheet_warning(None, None, "the header has a single column: is the delimiter right?")

    # ------------------------------------------------------------------ 2. injection
    def check_injection(self):
        for col in self.headers:
            s = self.df[col]
            maybe = s.str.slice(0, 1).isin(S.INJECTION_FIRST).to_numpy(dtype=bool)
            if not maybe.any():
                continue
            msgs = self.per_value(s.where(maybe), lambda v: (
                f"{v[:60]!r} starts with {v[0]!r} and would run as a spreadsheet formula; "
                "formulas are not accepted (remove the leading character)") if S.INJECTION_RE.match(v) else None)
            hit = msgs.notna().to_numpy(dtype=bool)
            self.emit(self.errors, hit, col, msgs.tolist())

    # ------------------------------------------------------------------ 3. required
    def check_required(self):
        for c in [S.SAMPLE_ALIAS, *self.cl.required_fields]:
            if self.present(c):
                self.emit(self.errors, self.df[c].isna().to_numpy(), c,
                          f"required value {c} is empty")

    # ------------------------------------------------------------------ 4. pandera
    def check_schema(self):
        schema = S.build_schema(self.cl, self.headers, self.today)
        if not schema.columns:
            return
        work = self.df[[c for c in schema.columns]]
        masked = {c: b for c, b in self.bad.items() if c in work.columns and b.any()}
        if masked:
            work = work.copy()
            for c, b in masked.items():
                work[c] = work[c].mask(b)
        try:
            schema.validate(work, lazy=True)
            return
        except pa.errors.SchemaErrors as exc:
            fc = exc.failure_cases
        except pa.errors.SchemaError as exc:  # pragma: no cover - lazy mode collects
            fc = exc.failure_cases if exc.failure_cases is not None else pd.DataFrame()
        if fc is None or fc.empty:
            return
        fc = fc[fc["index"].notna() & fc["column"].notna()]
        for (column, check), group in fc.groupby(["column", "check"], sort=False):
            idx = group["index"].astype(np.int64).to_numpy()
            mask = np.zeros(self.n, dtype=bool)
            mask[idx] = True
            vals = self.cols[column]
            msg_of = {}
            msgs = [None] * self.n
            for i in idx:
                v = vals[i]
                m = msg_of.get(v)
                if m is None:
                    m = msg_of[v] = S.message(str(check), v, self.cl, self.today)
                msgs[i] = m
            self.emit(self.errors, mask, column, msgs)

    # ------------------------------------------------------------------ 5. vocabularies
    def _vocab_column(self, col: str, fn):
        """``fn(value) -> (canonical|None, corrected: bool, error: str|None)`` per distinct value."""
        s = self.df[col].mask(self.is_bad(col))
        codes, uniques = _factorize(s)
        k = len(uniques)
        canon = np.full(k + 1, None, dtype=object)
        err = np.full(k + 1, None, dtype=object)
        corr = np.full(k + 1, None, dtype=object)
        for i, v in enumerate(uniques):
            c, corrected, e = fn(v)
            if e:
                err[i] = e
            else:
                canon[i] = c
                if corrected:
                    corr[i] = f"{v!r} corrected to {c!r}"
        if any(x is not None for x in err[:-1]):
            row_err = err[codes]
            self.emit(self.errors, row_err != None, col, row_err)  # noqa: E711 (elementwise)
        if any(x is not None for x in corr[:-1]):
            row_corr = corr[codes]
            self.emit(self.warnings, row_corr != None, col, row_corr)  # noqa: E711 (elementwise)
        self.norm[col] = pd.Series(canon[codes], dtype=object, index=s.index)

    def check_enums_and_countries(self):
        for f in self.cl.fields:
            if not self.present(f.name):
                continue
            if f.type == "enum":
                self._vocab_column(f.name, self._enum_fn(f))
            elif f.vocabulary == "country":
                self._vocab_column(f.name, self._country_fn(f))

    @staticmethod
    def _enum_fn(f: Field):
        index = {vocab.key(a): a for a in f.allowed}

        def fn(v):
            if v in f.allowed:
                return (v, False, None)
            c = index.get(vocab.key(v))
            if c:
                return (c, True, None)
            miss = S.missing_term(v)
            if miss:
                return (miss, miss != v, None)
            hint = difflib.get_close_matches(vocab.key(v), list(index), n=1, cutoff=0.6)
            msg = f"{v!r} is not one of {', '.join(f.allowed)}"
            if hint:
                msg += f"; did you mean {index[hint[0]]}?"
            return (None, False, msg)

        return fn

    @staticmethod
    def _country_fn(f: Field):
        def fn(v):
            miss = S.missing_term(v)
            if miss:
                return (miss, miss != v, None)
            country, _, region = v.partition(":")
            country, region = country.strip(), region.strip()
            canon, corrected = vocab.normalise("country", country)
            if canon is None:
                hint = " (write Country or Country:Region, e.g. 'Saudi Arabia:Riyadh')"
                return (None, False, vocab.get("country").unknown_message(country) + hint)
            if f.region_required and not region:
                msg = f"{v!r} has no region: this checklist wants Country:Region, e.g. '{canon}:Riyadh'"
                return (None, False, msg)
            out = f"{canon}:{region}" if region else canon
            return (out, corrected, None)

        return fn

    # ------------------------------------------------------------------ 6. files
    def check_layout_and_files(self):
        fwd_raw = self.series("filename_forward")
        rev_raw = self.series("filename_reverse")
        fwd = fwd_raw.mask(self.is_bad("filename_forward"))
        rev = rev_raw.mask(self.is_bad("filename_reverse"))
        has_f = fwd_raw.notna().to_numpy()
        has_r = rev_raw.notna().to_numpy()
        ok_f, ok_r = fwd.notna().to_numpy(), rev.notna().to_numpy()
        tf = _file_types(fwd)
        tr = _file_types(rev)
        single_type_f = np.isin(tf, formats.SINGLE_FILE_TYPES)
        single_type_r = np.isin(tr, formats.SINGLE_FILE_TYPES)

        lay = self.norm["library_layout"].to_numpy()
        nofile = ~has_f & ~has_r
        self.emit(self.errors, nofile, "filename_forward",
                  "no data file: give filename_forward (and filename_reverse for PAIRED)")
        paired = (lay == "PAIRED") & ~nofile
        single = (lay == "SINGLE") & ~nofile
        # PAIRED with one file: fine for BAM/CRAM/VCF (one file holds both reads)
        p_missing_r = paired & has_f & ~has_r & ~single_type_f
        p_missing_f = paired & ~has_f & has_r & ~single_type_r
        self.emit(self.errors, p_missing_r, "filename_reverse",
                  "library_layout is PAIRED but filename_reverse is empty")
        self.emit(self.errors, p_missing_f, "filename_forward",
                  "library_layout is PAIRED but filename_forward is empty")
        self.emit(self.errors, single & has_f & has_r, "filename_reverse",
                  "library_layout is SINGLE but two files are given: leave filename_reverse empty or use PAIRED")
        two_single = has_f & has_r & (single_type_f | single_type_r) & ok_f & ok_r
        self.emit(self.errors, two_single, "filename_reverse",
                  "BAM, CRAM and VCF files hold all reads of a run: list one file in filename_forward")
        mixed = has_f & has_r & ok_f & ok_r & ~two_single & (tf != tr)
        self.emit(self.errors, mixed, "filename_reverse", "forward and reverse files are of different types")
        # md5 without a file
        for mc, fc, has in (("md5_forward", "filename_forward", has_f), ("md5_reverse", "filename_reverse", has_r)):
            if self.present(mc):
                self.emit(self.errors, self.df[mc].notna().to_numpy() & ~has, mc,
                          f"{mc} is given but {fc} is empty")
        # each file listed once in the whole sheet
        cf = _canon_path(fwd)
        cr = _canon_path(rev)
        same = (cf.notna() & (cf == cr)).to_numpy()
        self.emit(self.errors, same, "filename_reverse", "filename_reverse is the same file as filename_forward")
        both = pd.concat([cf, cr.where(~pd.Series(same, index=cr.index))], ignore_index=True)
        dup = both.duplicated(keep="first") & both.notna()
        if dup.any():
            first = both[both.notna() & ~both.duplicated(keep="first")]
            first_pos = pd.Series(first.index.to_numpy(), index=first.to_numpy())
            dpos = np.flatnonzero(dup.to_numpy())
            for col_i, col in ((0, "filename_forward"), (1, "filename_reverse")):
                sel = dpos[(dpos >= self.n) == bool(col_i)] - col_i * self.n
                if not len(sel):
                    continue
                mask = np.zeros(self.n, dtype=bool)
                mask[sel] = True
                msgs = [None] * self.n
                names = both.iloc[sel + col_i * self.n].tolist()
                firsts = first_pos.reindex(names).to_numpy()
                for i, name, fp in zip(sel, names, firsts):
                    fp = int(fp)
                    where = "filename_forward" if fp < self.n else "filename_reverse"
                    line = int(self.lines[fp % self.n])
                    msgs[i] = (f"file {name!r} is already listed on line {line} "
                               f"({where}); each file may be listed once")
                self.emit(self.errors, mask, col, msgs)

    # ------------------------------------------------------------------ 6b. samples
    def check_alias_consistency(self):
        if not self.present(S.SAMPLE_ALIAS):
            return
        alias = self.df[S.SAMPLE_ALIAS]
        codes, uniques = pd.factorize(alias, use_na_sentinel=True)
        if len(uniques) == self.n or len(uniques) == 0:
            return
        _, first_idx = np.unique(codes, return_index=True)
        # np.unique sorts codes; -1 (NA) first when present
        code_first = np.full(len(uniques), -1, dtype=np.int64)
        uc = np.unique(codes)
        code_first[uc[uc >= 0]] = first_idx[uc >= 0]
        has = codes >= 0
        ref = np.where(has, code_first[np.maximum(codes, 0)], -1)
        fields = [f.name for f in self.cl.fields] + [S.PROJECT] + list(self.unknown)
        unknown = set(self.unknown)
        for col in fields:
            if not self.present(col):
                continue
            v = self.df[col].fillna("\x00").to_numpy(dtype=object)
            other = v[np.maximum(ref, 0)]
            mism = has & (v != other)
            if mism.any():
                vals = self.cols[col]
                al = self.cols[S.SAMPLE_ALIAS]
                msgs = [None] * self.n
                for i in np.flatnonzero(mism):
                    r = ref[i]
                    if col in unknown:  # not a checklist field: may be per library (a lane, a note)
                        msgs[i] = (f"sample {al[i]!r} has {col} {_fmt(vals[r])} on line {int(self.lines[r])} but "
                                   f"{_fmt(vals[i])} here; the sample keeps the first value")
                    else:
                        msgs[i] = (f"sample {al[i]!r} has {col} {_fmt(vals[r])} on line {int(self.lines[r])} but "
                                   f"{_fmt(vals[i])} here: rows of one sample must agree on every sample field")
                self.emit(self.warnings if col in unknown else self.errors, mism, col, msgs)

    def check_rules(self):
        for rule in self.cl.rules:
            if rule.get("type") == "not_greater":
                a, b = rule["field"], rule["than"]
                if not (self.present(a) and self.present(b)):
                    continue
                x = pd.to_numeric(self.df[a], errors="coerce")
                y = pd.to_numeric(self.df[b], errors="coerce")
                bad = (x > y).fillna(False).to_numpy(dtype=bool) & ~self.is_bad(a) & ~self.is_bad(b)
                yb = self.cols[b]
                self.emit(self.errors, bad, a,
                          [f"{a} must not be greater than {b} ({yb[i]})" if bad[i] else None
                           for i in range(self.n)] if bad.any() else "")

    # ------------------------------------------------------------------ 7. rows
    def normalise_simple(self):
        if self.present("md5_forward"):
            self.norm["md5_forward"] = self.df["md5_forward"].str.lower()
        if self.present("md5_reverse"):
            self.norm["md5_reverse"] = self.df["md5_reverse"].str.lower()

    def _typed(self, f: Field) -> list:
        s = self.df[f.name]
        if f.name in self.norm:
            vals = self.norm[f.name].tolist()
            raw = self.cols[f.name]
            return [v if v is not None else r for v, r in zip(vals, raw)]
        if f.type in ("integer", "number"):
            def conv(v):
                try:
                    if f.type == "integer" or ("." not in v and "e" not in v.lower()):
                        return int(v)
                    return float(v)
                except ValueError:
                    try:
                        return float(v)
                    except ValueError:
                        return v
            return self.per_value(s, conv).tolist()
        return self.cols[f.name]

    def _row_columns(self) -> RowColumns:
        none = [None] * self.n

        def column(name: str) -> list:
            return self.cols[name] if self.present(name) else none

        sample = {f.name: self._typed(f) for f in self.cl.fields if self.present(f.name)}
        sample.update((u, self.cols[u]) for u in self.unknown)
        experiment = {c: self.norm[c].tolist() for c in EXPERIMENT_RULE_FIELDS}
        experiment["library_name"] = column("library_name")
        return RowColumns(
            lines=self.lines.tolist(), sample_alias=column(S.SAMPLE_ALIAS),
            project_accession=_as_list(self.df[S.PROJECT].str.upper()) if self.present(S.PROJECT) else none,
            sample=sample, experiment=experiment,
            filename_forward=column("filename_forward"), filename_reverse=column("filename_reverse"),
            md5_forward=_as_list(self.norm["md5_forward"]) if "md5_forward" in self.norm else none,
            md5_reverse=_as_list(self.norm["md5_reverse"]) if "md5_reverse" in self.norm else none,
            library_layout=self.norm["library_layout"].tolist())


def _as_list(s: pd.Series) -> list:
    return s.to_numpy(dtype=object, na_value=None).tolist()
