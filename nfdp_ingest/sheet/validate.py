"""Validate a loaded sheet against a checklist: every problem, in one pass.

Order of work (each step vectorised, or per distinct value and mapped back):

1. the checklist: asked for, else named by the sheet, else the default;
2. sheet level: unknown / missing columns, no rows;
3. formula-injection cells (``=…``, ``@…``, ``+``/``-`` not followed by a number);
4. required values;
5. the pandera schema (types, ranges, dates, checksums, file names), lazily;
6. checklist vocabularies (enums, countries) with correction;
7. the experiment columns, by the domain's rules (:mod:`.experiments`);
8. cross-field rules (:mod:`.rules`): layout vs files, file listed once,
   rows of one sample agreeing, checklist rules;
9. the columns the parsed rows are built from (:mod:`.rows`, on first use).

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
from . import ena_columns, rules, schema
from .aliases import aliased
from .context import SheetContext, factorize
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
    chosen, errors, warnings = choose_checklist(loaded, checklist)
    read_as, shown, alias_errors = aliased(loaded)
    validator = _Validator(read_as, chosen, today or _dt.date.today())
    validator.errors.extend(errors + alias_errors)
    validator.warnings.extend(warnings)
    report = validator.run()
    if shown:  # name each column as the sheet wrote it
        for p in (*report.errors, *report.warnings):
            p["column"] = shown.get(p["column"], p["column"])
        report.headers = list(loaded.headers)
        report.required_fields = [shown.get(c, c) for c in report.required_fields]
        report.table = loaded.columns
    return report


def _problem(line, column, value, message) -> dict:
    return {"row": line, "column": column, "value": value, "message": message}


def _named_checklist(loaded: LoadedSheet, errors: list[dict]) -> str | None:
    """The checklist the sheet names: its ``checklist`` column (CSV templates), else a ``# checklist:`` line."""
    comment = loaded.declared_checklist
    column = loaded.frame.get(schema.CHECKLIST)
    named = column.dropna() if column is not None else ()
    if not len(named):
        return comment
    first, first_line = named.iat[0], int(loaded.lines[named.index[0]])
    differs = named[named.str.lower() != first.lower()]
    errors.extend(_problem(int(loaded.lines[i]), schema.CHECKLIST, value,
                           f"checklist differs from {first!r} on line {first_line}: "
                           "a sheet is validated against one checklist")
                  for i, value in differs.items())
    if comment and comment.lower() != first.lower():
        errors.append(_problem(None, schema.CHECKLIST, first, f"the '# checklist: {comment}' line and the checklist "
                                                         f"column ({first!r}) disagree; the column is used"))
    return first


def choose_checklist(loaded: LoadedSheet, asked: Checklist | None) -> tuple[Checklist, list[dict], list[dict]]:
    """(the checklist to validate against, errors, warnings): the one asked for, else the one named, else the default."""
    errors: list[dict] = []
    warnings: list[dict] = []
    named = _named_checklist(loaded, errors)
    if asked is not None:
        if named and named.lower() != asked.id.lower():
            warnings.append(_problem(None, None, named, f"the sheet declares checklist {named!r} but it is "
                                                        f"validated against {asked.id} as asked"))
        return asked, errors, warnings
    if named:
        try:
            return get_checklist(named), errors, warnings
        except UsageError:
            errors.append(_problem(None, None, named, f"the sheet declares checklist {named!r}, which is unknown; "
                                                      f"validated against {DEFAULT_CHECKLIST}"))
    return get_checklist(DEFAULT_CHECKLIST), errors, warnings


class _Validator(SheetContext):
    # ------------------------------------------------------------------ run
    def run(self) -> SheetReport:
        cl = self.cl
        unknown = self.check_columns()
        row_columns = None
        if self.n:
            self.check_injection()
            self.check_required()
            self.check_schema()
            self.check_enums_and_countries()
            ena_columns.check_ena_columns(self)
            check_experiments(self)
            rules.check_layout_and_files(self)
            rules.check_alias_consistency(self, unknown)
            rules.check_checklist_rules(self)
            self.normalise_simple()
            row_columns = self._row_columns(unknown)
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
            lines=tuple(self.lines.tolist()), row_columns=row_columns,
        )

    # ------------------------------------------------------------------ 1. columns
    def check_columns(self) -> list[str]:
        """Sheet-level column problems; returns the unknown columns (kept as sample attributes)."""
        cl = self.cl
        known = {schema.SAMPLE_ALIAS, schema.PROJECT, schema.CHECKLIST, *cl.field_names, *schema.SEQ_COLUMNS,
                 *schema.FILE_COLUMNS, *ena_columns.units_columns(self)}
        unknown = [h for h in self.headers if h not in known]
        ena_columns.check_sheet_columns(self)
        missing_known = [c for c in [schema.SAMPLE_ALIAS, *cl.field_names, *schema.SEQ_COLUMNS, *schema.FILE_COLUMNS]
                         if c not in self.headers]
        for h in unknown:
            hint = difflib.get_close_matches(h, missing_known, n=1, cutoff=0.75)
            of = f"checklist {cl.id}" if cl.ena_id in (None, cl.id) else f"checklist {cl.id} (ENA {cl.ena_id})"
            msg = (f"unknown column {h!r}: not a field of {of} nor a sequencing or file column; "
                   "its values are kept as sample attributes")
            if hint:
                msg += f"; did you mean {hint[0]}?"
            self.sheet_warning(h, None, msg)
        for c in [schema.SAMPLE_ALIAS, *cl.required_fields]:
            if c not in self.headers:
                hint = difflib.get_close_matches(c, unknown, n=1, cutoff=0.75)
                msg = f"required column {c!r} is missing"
                if c != schema.SAMPLE_ALIAS:
                    note = self._ena_note(c)
                    msg += f" (checklist {cl.id}{'; ' + note if note else ''})"
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
        return unknown

    # ------------------------------------------------------------------ 2. injection
    def check_injection(self):
        for col in self.headers:
            s = self.df[col]
            maybe = s.str.slice(0, 1).isin(schema.INJECTION_FIRST).to_numpy(dtype=bool)
            if not maybe.any():
                continue
            msgs = self.per_value(s.where(maybe), lambda v: (
                f"{v[:60]!r} starts with {v[0]!r} and would run as a spreadsheet formula; "
                "formulas are not accepted (remove the leading character)") if schema.INJECTION_RE.match(v) else None)
            hit = msgs.notna().to_numpy(dtype=bool)
            self.emit(self.errors, hit, col, msgs.tolist())

    # ------------------------------------------------------------------ 3. required
    def check_required(self):
        for c in [schema.SAMPLE_ALIAS, *self.cl.required_fields]:
            if self.present(c):
                self.emit(self.errors, self.df[c].isna().to_numpy(), c,
                          f"required value {c} is empty" + (f" ({note})" if (note := self._ena_note(c)) else ""))

    def _ena_note(self, column: str) -> str:
        """``ENA checklist X field 'collection date' is mandatory`` for a column carrying an ENA field."""
        f = self.cl.field(column)
        if f is None or f.ena is None:
            return ""
        return f"ENA checklist {self.cl.ena_id} field {f.ena.name!r} is mandatory"

    # ------------------------------------------------------------------ 4. pandera
    def check_schema(self):
        pandera_schema = schema.build_schema(self.cl, self.headers, self.today)
        if not pandera_schema.columns:
            return
        work = self.df[list(pandera_schema.columns)]
        masked = {c: b for c, b in self.bad.items() if c in work.columns and b.any()}
        if masked:
            work = work.copy()
            for c, b in masked.items():
                work[c] = work[c].mask(b)
        try:
            pandera_schema.validate(work, lazy=True)
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
                    m = msg_of[v] = schema.message(str(check), v, self.cl, self.today)
                msgs[i] = m
            self.emit(self.errors, mask, column, msgs)

    # ------------------------------------------------------------------ 5. vocabularies
    def _vocab_column(self, col: str, fn):
        """``fn(value) -> (canonical|None, corrected: bool, error: str|None)`` per distinct value."""
        s = self.df[col].mask(self.is_bad(col))
        codes, uniques = factorize(s)
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
            miss = schema.missing_term(v)
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
            miss = schema.missing_term(v)
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
            return tuple([v if v is not None else r for v, r in zip(vals, raw)])
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
            return tuple(self.per_value(s, conv).tolist())
        return self.cols[f.name]

    def _row_columns(self, unknown: list[str]) -> RowColumns:
        none = (None,) * self.n

        def column(name: str) -> tuple:
            return self.cols[name] if self.present(name) else none

        sample = {f.store_key: self._typed(f) for f in self.cl.fields if self.present(f.name)}
        sample.update((u, self.cols[u]) for u in unknown)
        experiment = {c: tuple(self.norm[c].tolist()) for c in EXPERIMENT_RULE_FIELDS}
        experiment["library_name"] = column("library_name")
        return RowColumns(
            lines=tuple(self.lines.tolist()), sample_alias=column(schema.SAMPLE_ALIAS),
            project_accession=_as_list(self.df[schema.PROJECT].str.upper()) if self.present(schema.PROJECT) else none,
            sample=sample, experiment=experiment,
            filename_forward=column("filename_forward"), filename_reverse=column("filename_reverse"),
            md5_forward=_as_list(self.norm["md5_forward"]) if "md5_forward" in self.norm else none,
            md5_reverse=_as_list(self.norm["md5_reverse"]) if "md5_reverse" in self.norm else none,
            library_layout=tuple(self.norm["library_layout"].tolist()))


def _as_list(s: pd.Series) -> tuple:
    return tuple(s.to_numpy(dtype=object, na_value=None).tolist())
