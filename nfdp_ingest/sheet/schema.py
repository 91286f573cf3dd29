"""The pandera schema of a sheet: per-column checks built from the checklist.

Every column is read and validated as text (no casts): a check sees exactly
what the submitter wrote. Each check carries a key (its pandera ``name``) that
:func:`message` turns into a human sentence for a failing value. Checks that
need Python per value (dates, vocabularies) run on the distinct values of a
column only and are mapped back (hash-based, linear).

Vocabulary, layout/file and multi-row rules are not pandera checks: they live
in :mod:`.validate`, which attributes each failure to the right column itself.
"""

from __future__ import annotations

import datetime as _dt
import re

import pandas as pd
import pandera.pandas as pa

from ..domain import vocabulary as vocab
from ..domain.checklists import Checklist, Field
from ..files import formats

SAMPLE_ALIAS = "sample_alias"
PROJECT = "project_accession"
CHECKLIST = "checklist"  # names the sheet's checklist (CSV templates write it on every row)
SEQ_COLUMNS = ("platform", "instrument_model", "library_strategy", "library_source",
               "library_selection", "library_layout", "insert_size", "library_name")
VOCAB_COLUMNS = ("platform", "instrument_model", "library_strategy", "library_source",
                 "library_selection", "library_layout")
FILE_COLUMNS = ("filename_forward", "filename_reverse", "md5_forward", "md5_reverse")

INT_RE = r"\+?[0-9]+"
NUM_RE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
MD5_RE = r"[0-9A-Fa-f]{32}"
PROJECT_RE = r"(?i)NFDP-PRJ-[0-9]{6,}"
INJECTION_RE = re.compile(r"^[=@]|^[+\-](?!" + NUM_RE + r"$)")
INJECTION_FIRST = ("=", "@", "+", "-")
# anything that could leave the files root: absolute, drive letter, ~, backslash, '..', control chars
BAD_PATH_RE = r"^[/~\\]|^[A-Za-z]:|\\|(?:^|/)\.\.(?:/|$)|[\x00-\x1f\x7f]"


def missing_term(value: str) -> str | None:
    canon, _ = vocab.normalise("missing_value", value)
    return canon


def path_problem(name: str) -> str | None:
    """Why a filename could escape the files root (None when it is safe)."""
    if name.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path; give the path relative to the files folder"
    if "\\" in name:
        return "a Windows path (backslashes); use '/' between folders"
    parts = name.split("/")
    if ".." in parts:
        return "a path containing '..', which could leave the files folder"
    if re.search(r"[\x00-\x1f\x7f]", name):
        return "a name containing control characters"
    return None


def date_problem(value: str, today: _dt.date) -> str | None:
    m = DATE_RE.fullmatch(value)
    if not m:
        if missing_term(value):
            return None
        return "format"
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        if d:
            date = _dt.date(int(y), int(mo), int(d))
            future = date > today
        elif mo:
            _dt.date(int(y), int(mo), 1)
            future = (int(y), int(mo)) > (today.year, today.month)
        else:
            future = int(y) > today.year
    except ValueError:
        return "calendar"
    if int(y) < 1700:
        return "calendar"
    return "future" if future else None


def _on_unique(fn):
    """A vectorised check that evaluates ``fn`` once per distinct value."""

    def check(s: pd.Series) -> pd.Series:
        uniq = s.dropna().unique()
        table = {v: fn(v) for v in uniq}
        return s.map(table).fillna(True).astype(bool)

    return check


def _fullmatch(pattern: str):
    return lambda s: s.str.fullmatch(pattern).fillna(True).astype(bool)


def _range(lo, hi):
    def check(s: pd.Series) -> pd.Series:
        num = pd.to_numeric(s, errors="coerce")
        ok = num.isna()
        if lo is not None and hi is not None:
            ok |= (num >= lo) & (num <= hi)
        elif lo is not None:
            ok |= num >= lo
        else:
            ok |= num <= hi
        return ok

    return check


def _check(fn, key: str) -> pa.Check:
    return pa.Check(fn, name=key, error=key, ignore_na=True)


def field_checks(f: Field, today: _dt.date) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if f.type == "integer":
        checks.append(_check(_fullmatch(INT_RE), "integer"))
    elif f.type == "number":
        checks.append(_check(_on_unique(lambda v: bool(re.fullmatch(NUM_RE, v)) or missing_term(v) is not None),
                             "number"))
    elif f.type == "date":
        checks.append(_check(_on_unique(lambda v: date_problem(v, today) not in ("format", "calendar")), "date"))
        checks.append(_check(_on_unique(lambda v: date_problem(v, today) != "future"), "future"))
    if f.type in ("integer", "number") and (f.min is not None or f.max is not None):
        checks.append(_check(_range(f.min, f.max), f"range:{f.name}"))
    if f.pattern:
        checks.append(_check(_fullmatch(f.pattern), f"pattern:{f.name}"))
    return checks


def build_schema(checklist: Checklist, headers: list[str], today: _dt.date) -> pa.DataFrameSchema:
    cols: dict[str, pa.Column] = {}

    def col(name, checks):
        if name in headers and checks:
            cols[name] = pa.Column(checks=checks, nullable=True, required=False, coerce=False)

    for f in checklist.fields:
        col(f.name, field_checks(f, today))
    col(PROJECT, [_check(_fullmatch(PROJECT_RE), "project")])
    for name in ("md5_forward", "md5_reverse"):
        col(name, [_check(_fullmatch(MD5_RE), "md5")])
    for name in ("filename_forward", "filename_reverse"):
        col(name, [_check(lambda s: ~s.str.contains(BAD_PATH_RE, regex=True).fillna(False).astype(bool), "path"),
                   _check(lambda s: (s.str.fullmatch(formats.NAME_PATTERN) | s.str.contains(BAD_PATH_RE, regex=True))
                          .fillna(True).astype(bool), "extension")])
    return pa.DataFrameSchema(cols, strict=False, coerce=False)


def message(key: str, value: str, checklist: Checklist, today: _dt.date) -> str:
    v = value
    if key == "integer":
        return f"{v!r} is not a whole number"
    if key == "number":
        return f"{v!r} is not a number"
    if key == "date":
        return (f"{v!r} is not a valid date: use YYYY, YYYY-MM or YYYY-MM-DD "
                "(or missing, not collected, not provided, not applicable, restricted access)")
    if key == "future":
        return f"{v!r} is in the future (today is {today.isoformat()})"
    if key.startswith("range:"):
        f = checklist.field(key.split(":", 1)[1])
        if f is not None and f.min is not None and f.max is not None:
            return f"{v} is outside the range {f.min}–{f.max}"
        if f is not None and f.min is not None:
            return f"{v} is less than {f.min}"
        return f"{v} is more than {f.max if f else '?'}"
    if key.startswith("pattern:"):
        f = checklist.field(key.split(":", 1)[1])
        return f"{v!r} does not match the pattern {f.pattern if f else '?'}"
    if key == "project":
        return f"{v!r} is not a project accession (NFDP-PRJ- and at least 6 digits)"
    if key == "md5":
        return f"{v!r} is not an MD5 checksum (32 hexadecimal digits)"
    if key == "path":
        return f"{v!r} is {path_problem(v)}"
    if key == "extension":
        return f"{v!r} is not a supported file type (use {formats.extensions_text()})"
    return f"{v!r} failed check {key}"
