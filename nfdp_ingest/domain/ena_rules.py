"""The rules ENA applies to one checklist field's value, written once.

:func:`check_value` is used by the sheet validator (once per distinct value of
a column) and by :func:`~.ena_sample.check_ena_sample` (``ena validate``), so
both give the same words for the same mistake.

- **regex**: ENA's REGEX_VALUE must match the whole value (as ENA's validator
  does; the regexes carry their own ``^…$`` alternatives for missing terms);
- **choices**: the value must be one of ENA's values, case-exact;
- **units**: a field with units takes its unit written after the value
  (``12 m``, ``25 °C``) or given separately; a value without a unit takes the
  field's unit when ENA lists exactly one, otherwise it is an error.
- ``collection date`` must also be a real calendar date, not in the future.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import cache

from . import vocabulary as vocab
from .ena_checklists import EnaField

Problem = tuple[str, str]  # (severity 'error' | 'warning', message)

_NUM_UNIT = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*([^\s0-9.+\-].*)")
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
CHOICES_LISTED = 30  # longer choice lists are summarised in messages


@cache
def missing_terms() -> frozenset[str]:
    """The INSDC missing-value terms, ``missing: <reason>`` forms included."""
    return frozenset(vocab.get("missing_value").terms)


def split_units(f: EnaField, raw: str, units: str | None = None, where: str = ""
                ) -> tuple[str, str | None, list[Problem]]:
    """(value, unit, problems) of a value of a field with units: ``12 m`` → ('12', 'm')."""
    problems: list[Problem] = []
    value = raw.strip()
    given = units.strip() if units and units.strip() else None
    if given is None:
        for u in sorted(f.units, key=len, reverse=True):
            head = value[:-len(u)]
            if value.endswith(u) and head.strip() and (head[-1].isspace() or not u[0].isalnum() or head[-1].isdigit()):
                value, given = head.strip(), u
                break
        else:
            m = _NUM_UNIT.fullmatch(value)
            if m:
                value, given = m.group(1), m.group(2).strip()
    if given is not None and given not in f.units:
        problems.append(("error", f"{given!r} is not an allowed unit for {f.name!r}{where}: "
                                  f"allowed units are {', '.join(repr(u) for u in f.units)}"))
        return value, given, problems
    if given is None and value not in missing_terms():
        if len(f.units) == 1:
            given = f.units[0]  # ENA knows one unit for this field: it is the one meant
        else:
            problems.append(("error", f"no unit given for {f.name!r}{where}: write the value and its unit "
                                      f"(allowed units are {', '.join(repr(u) for u in f.units)})"))
    return value, given, problems


def _choices_text(f: EnaField, value: str) -> str:
    if len(f.choices) <= CHOICES_LISTED:
        return f"allowed values are {', '.join(repr(c) for c in f.choices)}"
    hint = vocab.Vocabulary("choice", f.choices).suggest(value)
    text = f"it must be one of ENA's {len(f.choices)} values for this field (case-exact)"
    return text + (f"; did you mean {hint!r}?" if hint else "")


def _date_problem(value: str, today: _dt.date) -> str | None:
    m = _DATE.fullmatch(value)
    if not m:
        return None  # intervals, times and missing terms: the regex has decided
    y, mo, d = (int(g) if g else None for g in m.groups())
    try:
        if d:
            future = _dt.date(y, mo, d) > today
        elif mo:
            _dt.date(y, mo, 1)
            future = (y, mo) > (today.year, today.month)
        else:
            future = y > today.year
    except ValueError:
        return f"{value!r} is not a calendar date"
    return f"{value!r} is in the future (today is {today.isoformat()})" if future else None


def check_value(f: EnaField, raw: str, units: str | None = None, *, checklist: str = "",
                today: _dt.date | None = None) -> tuple[str, str | None, list[Problem]]:
    """(value, unit, problems) of one non-empty value of ENA field ``f``."""
    where = f" (ENA checklist {checklist})" if checklist else ""
    problems: list[Problem] = []
    value, unit = raw.strip(), None
    if f.units:
        value, unit, problems = split_units(f, value, units, where)
    elif units and units.strip():
        problems.append(("error", f"{f.name!r} takes no unit, but {units.strip()!r} is given{where}"))
    if f.pattern is not None and not f.pattern.fullmatch(value):
        problems.append(("error", f"{value!r} does not match ENA's regular expression for {f.name!r}{where}: "
                                  f"{f.regex}"))
    if f.choices and value not in f.choice_set:
        problems.append(("error", f"{value!r} is not an allowed value of {f.name!r}{where}: "
                                  + _choices_text(f, value)))
    if value in missing_terms() and not f.mandatory and not problems:
        problems.append(("warning", f"{value!r} is a missing-value term, which ENA accepts in mandatory fields "
                                    f"only: leave {f.name!r} empty instead"))
    if f.name == "collection date" and not problems:
        msg = _date_problem(value, today or _dt.date.today())
        if msg:
            problems.append(("error", msg))
    return value, unit, problems


def canonical_choice(f: EnaField, value: str) -> str | None:
    """ENA's spelling of a choice written in another case or spacing (``saudi arabia``), else None."""
    if not f.choices or value in f.choice_set:
        return None
    return _choice_index(f).get(vocab.key(value))


@cache
def _choice_index_cached(choices: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in choices:
        out.setdefault(vocab.key(c), c)
    return out


def _choice_index(f: EnaField) -> dict[str, str]:
    return _choice_index_cached(f.choices)
