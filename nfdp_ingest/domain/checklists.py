"""The checklists a sheet is validated against, as sheet columns.

Three kinds, all loaded from ``sheets/checklists/``:

- **ENA's checklists** (``ena/ERC*.json``, ENA's own definitions): every ENA
  field is a column (type ``ena``), under its short name where the sheet has
  one (``collection_date``, ``geographic_location``, ``host``, ``tissue``,
  ``developmental_stage``) and otherwise under its ENA name written as a
  header (``host_health_state``). What is brokered is the checklist itself.
- **NFDP profiles** (a file with ``ena_checklist``): an ENA checklist plus
  NFDP's own fields and rules (e.g. ``nfdp_livestock`` requires ``breed`` and
  ``sex``); brokered as the ENA checklist, the extra fields as plain attributes.
- **NFDP's own** (``snpchip_livestock``): never brokered to ENA.

Every checklist also has ``organism`` and ``tax_id`` (the sample's SAMPLE_NAME)
and the seed system's short columns (``breed``, ``sex``, …), which are plain
attributes where the ENA checklist has no such field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache

from ..errors import UsageError
from ..resources import sheets_dir
from .ena_checklists import EnaChecklist, EnaField, ena_checklists, field_key
from .ena_fields import ENA_KEY_TO_SHORT, GEOGRAPHIC_LOCATION, SHORT_TO_ENA

FIELD_TYPES = ("string", "integer", "number", "date", "enum", "ena")
DEFAULT_CHECKLIST = "ERC000011"
#: the seed system's sample columns (a Sample's real columns), known to every checklist
SHORT_SAMPLE_COLUMNS = ("breed", "host", "tissue", "sex", "developmental_stage")


@dataclass(frozen=True)
class Field:
    name: str  # the sheet column
    type: str
    required: bool
    description: str = ""
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    vocabulary: str | None = None  # e.g. 'country'
    region_required: bool = False
    example: object = None
    example2: object = None
    ena: EnaField | None = None  # the ENA checklist field this column carries (type 'ena')
    key: str | None = None  # the name the sample stores it under (default: the column)

    @property
    def store_key(self) -> str:
        return self.key or self.name

    @property
    def cardinality(self) -> str:
        if self.ena is not None:
            return self.ena.cardinality
        return "mandatory" if self.required else "optional"

    def to_dict(self) -> dict:
        d = {"name": self.name, "type": self.type, "required": self.required,
             "description": self.description}
        for k in ("allowed", "pattern", "min", "max", "vocabulary"):
            v = getattr(self, k)
            if v not in (None, ()):
                d[k] = list(v) if isinstance(v, tuple) else v
        if self.region_required:
            d["region_required"] = True
        if self.ena is not None:
            d.update(ena_name=self.ena.name, cardinality=self.ena.cardinality)
            for k in ("units", "regex", "choices"):
                v = getattr(self.ena, k)
                if v:
                    d[k] = list(v) if isinstance(v, tuple) else v
        return d


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rules: tuple[dict, ...] = ()
    template_experiment: dict = field(default_factory=dict)
    ena_id: str | None = None  # the ENA checklist brokered (None: never brokered)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def recommended_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.cardinality == "recommended"]

    def field(self, name: str) -> Field | None:
        return self._by_name().get(name)

    def _by_name(self) -> dict[str, Field]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {f.name: f for f in self.fields}
            object.__setattr__(self, "_index", cached)
        return cached

    def summary(self) -> dict:
        return {"id": self.id, "title": self.title, "description": self.description, "ena_checklist": self.ena_id,
                "required": self.required_fields, "fields": [f.to_dict() for f in self.fields]}


def _field(raw: dict) -> Field:
    ftype = raw.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise ValueError(f"checklist field {raw['name']} has unknown type {ftype!r}")
    return Field(
        name=raw["name"], type=ftype, required=bool(raw.get("required", False)),
        description=raw.get("description", ""), allowed=tuple(raw.get("allowed", ())),
        pattern=raw.get("pattern"), min=raw.get("min"), max=raw.get("max"),
        vocabulary=raw.get("vocabulary"), region_required=bool(raw.get("region_required", False)),
        example=raw.get("example"), example2=raw.get("example2"),
    )


def _own(data: dict) -> Checklist:
    return Checklist(id=data["id"], title=data.get("title", data["id"]),
                     description=data.get("description", ""), fields=tuple(_field(r) for r in data["fields"]),
                     rules=tuple(data.get("rules", ())),
                     template_experiment=dict(data.get("template_experiment", {})))


_BASE = (
    {"name": "organism", "type": "string", "required": True,
     "description": "Scientific name of the organism sampled, as in the NCBI taxonomy (SAMPLE_NAME)."},
    {"name": "tax_id", "type": "integer", "required": True, "min": 1,
     "description": "NCBI taxonomy identifier of the organism, a positive integer (SAMPLE_NAME/TAXON_ID)."},
)


def _ena_field(ef: EnaField) -> Field:
    column = ENA_KEY_TO_SHORT.get(field_key(ef.name), field_key(ef.name))
    short = column in SHORT_TO_ENA or column == GEOGRAPHIC_LOCATION
    desc = f"ENA field {ef.name!r} ({ef.cardinality})"
    if column == GEOGRAPHIC_LOCATION:
        desc += "; written Country or Country:Region (the region goes to 'geographic location (region and locality)')"
    if ef.units:
        desc += f"; units {', '.join(ef.units)}"
    return Field(name=column, type="ena", required=ef.mandatory, description=desc, ena=ef,
                 key=None if short else ef.name)


def _on_ena(ena: EnaChecklist, *, id: str, title: str, description: str, extras: tuple[Field, ...],
            examples: dict, rules=(), template_experiment=None) -> Checklist:
    fields: dict[str, Field] = {f["name"]: _field(f) for f in _BASE}
    for ef in ena.fields:
        f = _ena_field(ef)
        fields[f.name] = f
    for short in SHORT_SAMPLE_COLUMNS:  # plain attributes where ENA's checklist has no such field
        fields.setdefault(short, Field(name=short, type="string", required=False,
                                       description=f"plain attribute {SHORT_TO_ENA[short]!r} "
                                                   f"(not a field of {ena.id})"))
    for f in extras:  # NFDP's own rules win over the plain defaults, never over ENA's fields
        if fields.get(f.name) is not None and fields[f.name].ena is not None:
            raise ValueError(f"profile {id}: {f.name} is a field of ENA checklist {ena.id}")
        fields[f.name] = f
    out = []
    for f in fields.values():
        ex = examples.get(f.name)
        if ex is not None:
            ex = ex if isinstance(ex, list) else [ex]
            f = replace(f, example=ex[0], example2=ex[-1])
        out.append(f)
    return Checklist(id=id, title=title, description=description, fields=tuple(out), rules=tuple(rules),
                     template_experiment=dict(template_experiment or {}), ena_id=ena.id)


@cache
def _all() -> dict[str, Checklist]:
    root = sheets_dir() / "checklists"
    with open(root / "ena_examples.json", encoding="utf-8") as fh:
        notes = json.load(fh)
    out: dict[str, Checklist] = {}
    for ena in ena_checklists().values():
        note = notes.get(ena.id, {})
        out[ena.id] = _on_ena(ena, id=ena.id, title=ena.title, description=note.get("description", ""),
                              extras=(), examples=note.get("examples", {}))
    own = []
    for path in sorted(root.glob("*.json")):
        if path.name == "ena_examples.json":
            continue
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        base = data.get("ena_checklist")
        if base is None:
            own.append(_own(data))
            continue
        ena = ena_checklists()[base]
        out[data["id"]] = _on_ena(
            ena, id=data["id"], title=data.get("title", data["id"]), description=data.get("description", ""),
            extras=tuple(_field(r) for r in data.get("fields", ())),
            examples={**notes.get(base, {}).get("examples", {}), **data.get("examples", {})},
            rules=data.get("rules", ()), template_experiment=data.get("template_experiment"))
    out.update((c.id, c) for c in own)
    return out


def checklist_ids() -> list[str]:
    return list(_all())


def get_checklist(checklist_id: str) -> Checklist:
    table = _all()
    if checklist_id in table:
        return table[checklist_id]
    lowered = {k.lower(): v for k, v in table.items()}
    if str(checklist_id).strip().lower() in lowered:
        return lowered[str(checklist_id).strip().lower()]
    raise UsageError(f"unknown checklist {checklist_id!r}; known checklists: {', '.join(table)}")


def list_checklists() -> list[dict]:
    return [{"id": c.id, "title": c.title, "ena_checklist": c.ena_id, "required": c.required_fields}
            for c in _all().values()]
