"""A problem ENA would reject, found before anything is sent."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    document: str  # sample.xml, run.xml, … (or the record kind)
    object: str  # the alias (our accession) of the object
    field: str  # element, attribute or checklist field
    value: str
    message: str
    severity: str = "error"  # error | warning

    def line(self) -> str:
        value = f" = {self.value!r}" if self.value else ""
        return f"{self.severity}: {self.document} {self.object or '-'}: {self.field}{value}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)
