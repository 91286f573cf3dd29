"""What every check of a sheet shares: the loaded sheet, the problems so far, and
which cells already have an error (so that a cell gets one error, not several).

Every problem is ``{"row": line | None, "column", "value", "message"}``.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..domain.checklists import Checklist
from .loader import LoadedSheet


class SheetContext:
    def __init__(self, loaded: LoadedSheet, checklist: Checklist, today: _dt.date):
        self.loaded = loaded
        self.cl = checklist
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
        codes, uniques = factorize(s)
        results = np.empty(len(uniques) + 1, dtype=object)  # the last slot answers for empty cells
        results[:-1] = [fn(v) for v in uniques]
        results[-1] = None
        return pd.Series(results[codes], dtype=object, index=s.index)



def factorize(s: pd.Series) -> tuple[np.ndarray, list]:
    """(codes, distinct non-empty values); code -1 (empty) indexes the extra last slot of a lookup array."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, list(uniques)
