"""A registered sample as ENA sees it: its SAMPLE_ATTRIBUTEs and what ENA would reject.

The interface of the ENA export (``ena/``) and of the sheet validator:

- :func:`ena_checklist_id`: the ENA checklist brokered for an NFDP checklist id;
- :func:`ena_attributes`: a sample's fields → SAMPLE_ATTRIBUTEs under ENA's exact
  names, in checklist order, units attached;
- :func:`check_ena_sample`: mandatory missing, regex, choice, unit — through the
  same rule functions (:mod:`.ena_rules`) as the sheet.

``fields`` are the Sample columns (``organism``, ``collection_date``,
``geographic_location``, ``breed``, ``host``, ``tissue``, ``sex``,
``developmental_stage``) and the keys of its JSON ``attributes``, under short
names, ENA names or ENA names written as headers. A value with units is
``"12 m"`` or a value plus a ``"<field> units"`` / ``"<field>_units"`` key.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .checklists import get_checklist
from .ena_checklists import EnaChecklist, field_key, get_ena_checklist
from .ena_fields import (
    COUNTRY,
    GEOGRAPHIC_LOCATION,
    NOT_ATTRIBUTES,
    REGION,
    SHORT_TO_ENA,
    misuse,
    misuse_message,
    split_location,
)
from .ena_rules import check_value, split_units

__all__ = ["EnaAttribute", "check_ena_sample", "ena_attributes", "ena_checklist_id"]


@dataclass(frozen=True)
class EnaAttribute:
    tag: str  # ENA's exact field name, e.g. "geographic location (country and/or sea)"
    value: str
    units: str | None  # where the checklist gives units for the field


def ena_checklist_id(checklist_id: str) -> str | None:
    """The ENA checklist brokered for an NFDP checklist/profile id (ERC...), None if never brokered
    (``snpchip_livestock``). An unknown id raises :class:`~nfdp_ingest.errors.UsageError`."""
    return get_checklist(checklist_id).ena_id


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _tag(key: str, ena: EnaChecklist | None) -> str:
    if key in SHORT_TO_ENA:
        return SHORT_TO_ENA[key]
    if ena is not None:
        f = ena.field(key)
        if f is not None:
            return f.name
    return key


def _units_key(key: str) -> str | None:
    """``depth units`` / ``depth_units`` → ``depth`` (a unit given beside its value)."""
    k = field_key(key)
    return k[: -len("_units")] if k.endswith("_units") and len(k) > len("_units") else None


def _collect(fields: Mapping[str, Any], ena: EnaChecklist | None
             ) -> tuple[dict[str, tuple[str, str | None]], list[tuple[str, str, str]]]:
    """(tag → (value, given unit)) in input order, and the tags given twice with different values."""
    units_by_field: dict[str, str] = {}
    for key, value in fields.items():
        base = _units_key(key)
        if base is not None and ena is not None and ena.field(base) is not None and ena.field(base).units:
            text = _text(value)
            if text:
                units_by_field[ena.field(base).name] = text
    out: dict[str, tuple[str, str | None]] = {}
    twice: list[tuple[str, str, str]] = []

    def put(tag: str, value: str | None):
        if value is None:
            return
        if tag in out:
            if out[tag][0] != value:
                twice.append((tag, out[tag][0], value))
            return
        out[tag] = (value, units_by_field.get(tag))

    for key, value in fields.items():
        if key in NOT_ATTRIBUTES:
            continue
        base = _units_key(key)
        if base is not None and ena is not None and ena.field(base) is not None and ena.field(base).units:
            continue
        text = _text(value)
        if key == GEOGRAPHIC_LOCATION and text is not None:
            country, region = split_location(text)
            put(COUNTRY, country or None)
            put(REGION, region)
            continue
        put(_tag(key, ena), text)
    return out, twice


def _attributes(collected: dict[str, tuple[str, str | None]], ena: EnaChecklist | None) -> list[EnaAttribute]:
    out: list[EnaAttribute] = []
    if ena is not None:
        for f in ena.fields:
            got = collected.get(f.name)
            if got is None:
                continue
            value, units = got
            if f.units:
                value, units, _ = split_units(f, value, units)
            out.append(EnaAttribute(f.name, value, units))
    known = ena.by_name if ena is not None else {}
    out.extend(EnaAttribute(tag, value, units) for tag, (value, units) in collected.items() if tag not in known)
    return out


def ena_attributes(fields: Mapping[str, Any], checklist_id: str) -> list[EnaAttribute]:
    """A registered sample's fields → its SAMPLE_ATTRIBUTEs under ENA's exact names, in checklist order,
    units attached; NFDP profile extras and unknown fields as plain attributes (in the order given).
    ``organism`` and ``tax_id`` are SAMPLE_NAME, not attributes; ``ENA-CHECKLIST`` is the export's."""
    ena_id = ena_checklist_id(checklist_id)
    ena = get_ena_checklist(ena_id) if ena_id else None
    collected, _ = _collect(fields, ena)
    return _attributes(collected, ena)


def check_ena_sample(fields: Mapping[str, Any], checklist_id: str, *,
                     today: _dt.date | None = None) -> list[tuple[str, str, str, str]]:
    """What ENA would reject about this sample under its checklist: (severity 'error'|'warning',
    ENA field name, value, message) — mandatory missing, regex, choice, unit; recommended missing is a
    warning. A checklist never brokered (``snpchip_livestock``) has nothing to check."""
    ena_id = ena_checklist_id(checklist_id)
    ena = get_ena_checklist(ena_id) if ena_id else None
    if ena is None:
        return []
    collected, twice = _collect(fields, ena)
    problems: list[tuple[str, str, str, str]] = []
    wrong = misuse(ena.id, fields)
    if wrong:
        problems.append(("error", "ENA-CHECKLIST", ena.id, misuse_message(ena.id, ena.title, *wrong)))
    for tag, first, second in twice:
        problems.append(("error", tag, second, f"{tag!r} is given twice ({first!r} and {second!r}); "
                                               "ENA takes a field once"))
    for f in ena.fields:
        got = collected.get(f.name)
        if got is None:
            if f.mandatory:
                problems.append(("error", f.name, "", f"{f.name!r} is mandatory in ENA checklist {ena.id}"))
            elif f.cardinality == "recommended":
                problems.append(("warning", f.name, "", f"{f.name!r} is recommended by ENA checklist {ena.id}"))
            continue
        value, units = got
        _, _, found = check_value(f, value, units, checklist=ena.id, today=today)
        problems.extend((severity, f.name, value, message) for severity, message in found)
    return problems
