"""Sample checklists, loaded from ``sheets/checklists/*.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

from ..errors import UsageError
from ..resources import sheets_dir

FIELD_TYPES = ("string", "integer", "number", "date", "enum")
DEFAULT_CHECKLIST = "ERC000011"


@dataclass(frozen=True)
class Field:
    name: str
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

    def to_dict(self) -> dict:
        d = {"name": self.name, "type": self.type, "required": self.required,
             "description": self.description}
        for k in ("allowed", "pattern", "min", "max", "vocabulary"):
            v = getattr(self, k)
            if v not in (None, ()):
                d[k] = list(v) if isinstance(v, tuple) else v
        if self.region_required:
            d["region_required"] = True
        return d


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rules: tuple[dict, ...] = ()
    template_experiment: dict = field(default_factory=dict)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def summary(self) -> dict:
        return {"id": self.id, "title": self.title, "description": self.description,
                "required": self.required_fields, "fields": [f.to_dict() for f in self.fields]}


def _parse(data: dict) -> Checklist:
    fields = []
    for raw in data["fields"]:
        ftype = raw.get("type", "string")
        if ftype not in FIELD_TYPES:
            raise ValueError(f"checklist {data['id']}: field {raw['name']} has unknown type {ftype!r}")
        fields.append(Field(
            name=raw["name"], type=ftype, required=bool(raw.get("required", False)),
            description=raw.get("description", ""), allowed=tuple(raw.get("allowed", ())),
            pattern=raw.get("pattern"), min=raw.get("min"), max=raw.get("max"),
            vocabulary=raw.get("vocabulary"), region_required=bool(raw.get("region_required", False)),
            example=raw.get("example"), example2=raw.get("example2"),
        ))
    return Checklist(id=data["id"], title=data.get("title", data["id"]),
                     description=data.get("description", ""), fields=tuple(fields),
                     rules=tuple(data.get("rules", ())),
                     template_experiment=dict(data.get("template_experiment", {})))


@cache
def _all() -> dict[str, Checklist]:
    out = {}
    for path in sorted((sheets_dir() / "checklists").glob("*.json")):
        with open(path, encoding="utf-8") as fh:
            cl = _parse(json.load(fh))
        out[cl.id] = cl
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
    return [{"id": c.id, "title": c.title, "required": c.required_fields} for c in _all().values()]
