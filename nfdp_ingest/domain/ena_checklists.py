"""ENA's sample checklists as ENA defines them (``sheets/checklists/ena/*.json``).

The files are ENA's checklist XML as extracted by ELIXIR-Belgium's
ENA-metadata-templates (see ``/work/shared/ena``): every field with its
cardinality, units, regular expression and choices, names case- and
space-exact. Nothing here knows about sheets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property

from ..resources import sheets_dir

CARDINALITIES = ("mandatory", "recommended", "optional")
_SEP = re.compile(r"[\s\-]+")


def field_key(name: str) -> str:
    """A field name as a sheet header: trimmed, lower case, spaces and hyphens as ``_``.

    The sheet loader normalises every header this way, so ``host health state``
    written verbatim and ``host_health_state`` reach the same field.
    """
    name = _SEP.sub("_", name.replace("\ufeff", "").strip().lower())
    return re.sub(r"_+", "_", name).strip("_")


@dataclass(frozen=True)
class EnaField:
    name: str  # ENA's exact field name
    cardinality: str  # mandatory | recommended | optional
    units: tuple[str, ...] = ()
    regex: str | None = None
    choices: tuple[str, ...] = ()

    @property
    def mandatory(self) -> bool:
        return self.cardinality == "mandatory"

    @cached_property
    def pattern(self) -> re.Pattern | None:
        return re.compile(self.regex) if self.regex else None

    @cached_property
    def choice_set(self) -> frozenset[str]:
        return frozenset(self.choices)


@dataclass(frozen=True)
class EnaChecklist:
    id: str
    title: str
    fields: tuple[EnaField, ...]

    @cached_property
    def by_name(self) -> dict[str, EnaField]:
        return {f.name: f for f in self.fields}

    @cached_property
    def by_key(self) -> dict[str, EnaField]:
        return {field_key(f.name): f for f in self.fields}

    def field(self, name: str) -> EnaField | None:
        """The field called ``name`` exactly, else written as a header (``host_health_state``)."""
        return self.by_name.get(name) or self.by_key.get(field_key(name))

    @property
    def mandatory(self) -> list[str]:
        return [f.name for f in self.fields if f.mandatory]

    @property
    def recommended(self) -> list[str]:
        return [f.name for f in self.fields if f.cardinality == "recommended"]


def _parse(data: dict) -> EnaChecklist:
    fields = []
    for raw in data["fields"]:
        if raw["cardinality"] not in CARDINALITIES:
            raise ValueError(f"ENA checklist {data['id']}: field {raw['name']!r} has cardinality {raw['cardinality']!r}")
        units = raw.get("units") or ()
        fields.append(EnaField(
            name=raw["name"], cardinality=raw["cardinality"],
            units=(units,) if isinstance(units, str) else tuple(units),
            regex=raw.get("regex") or None, choices=tuple(raw.get("choices") or ())))
    mandatory = set(data.get("mandatory", ()))
    if mandatory != {f.name for f in fields if f.mandatory}:
        raise ValueError(f"ENA checklist {data['id']}: its 'mandatory' list and the fields disagree")
    return EnaChecklist(id=data["id"], title=data["title"], fields=tuple(fields))


@cache
def ena_checklists() -> dict[str, EnaChecklist]:
    out = {}
    for path in sorted((sheets_dir() / "checklists" / "ena").glob("ERC*.json")):
        with open(path, encoding="utf-8") as fh:
            cl = _parse(json.load(fh))
        out[cl.id] = cl
    return out


def get_ena_checklist(checklist_id: str) -> EnaChecklist | None:
    return ena_checklists().get(checklist_id)
