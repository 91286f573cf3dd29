"""A sample's fields as ENA sees them: the checklist brokered, SAMPLE_ATTRIBUTEs, ENA's rules.

PLACEHOLDER (ena helper): the minimal honest version of the interface the ENA exporter codes
against. The checklists helper's real version (ENA's six checklists, every field, regex,
choice and unit) replaces this file at merge; nothing here is relied on beyond the signatures.
Covers: the short columns of ENA-FACTS §2.6, `Country:Region` split, the two fields every
ENA checklist has made mandatory since 2023, and the collection-date regex ENA gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENA_CHECKLISTS = ("ERC000011", "ERC000020", "ERC000028", "ERC000033", "ERC000043", "ERC000055")

# Sheet short column → ENA field name (ENA-FACTS §2.6); geographic_location is split apart.
SHORT_COLUMNS = {
    "collection_date": "collection date",
    "host": "host scientific name",
    "tissue": "tissue_type",
    "developmental_stage": "dev_stage",
    "sex": "sex",
    "breed": "breed",
    "isolation_source": "isolation_source",
    "strain": "strain",
    "serotype": "serotype",
    "virus_identifier": "virus identifier",
}
COUNTRY = "geographic location (country and/or sea)"
REGION = "geographic location (region and locality)"
MANDATORY = ("collection date", COUNTRY)
# Not attributes: they go elsewhere in the SAMPLE element (or nowhere).
NOT_ATTRIBUTES = {"organism", "tax_id", "checklist_id", "sample_alias", "alias", "title",
                  "geographic_location"}

_MISSING = ("not applicable", "not collected", "not provided", "restricted access", "missing",
            "missing: control sample", "missing: sample group", "missing: synthetic construct",
            "missing: lab stock", "missing: third party data",
            "missing: data agreement established pre-2023", "missing: endangered species",
            "missing: human-identifiable")
_DATE = (r"^[12][0-9]{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?"
         r"([+-][0-9]{1,2})?)?)?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?"
         r"([+-][0-9]{1,2})?)?)?)?)?$")
COLLECTION_DATE_RE = re.compile(_DATE + "|" + "|".join(f"^{re.escape(m)}$" for m in _MISSING))


@dataclass(frozen=True)
class EnaAttribute:
    tag: str
    value: str
    units: str | None


def ena_checklist_id(checklist_id: str) -> str | None:
    """The ENA checklist brokered for an NFDP checklist/profile id; None: never brokered."""
    if checklist_id in ENA_CHECKLISTS:
        return checklist_id
    return None  # snpchip_livestock and anything unknown


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def ena_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """Sample fields (columns + attribute keys) → {ENA field name: value}."""
    out: dict[str, str] = {}
    location = _text(fields.get("geographic_location"))
    if location:
        country, _, region = location.partition(":")
        if country.strip():
            out[COUNTRY] = country.strip()
        if region.strip():
            out[REGION] = region.strip()
    for name, value in fields.items():
        text = _text(value)
        if text is None or name in NOT_ATTRIBUTES:
            continue
        out.setdefault(SHORT_COLUMNS.get(name, name), text)
    return out


def ena_attributes(fields: Mapping[str, Any], checklist_id: str) -> list[EnaAttribute]:
    """SAMPLE_ATTRIBUTEs under ENA's names (no units known to this placeholder)."""
    return [EnaAttribute(tag, value, None) for tag, value in ena_fields(fields).items()]


def check_ena_sample(fields: Mapping[str, Any], checklist_id: str) -> list[tuple[str, str, str, str]]:
    """(severity, ENA field, value, message) for what ENA would reject."""
    if ena_checklist_id(checklist_id) is None:
        return []
    values = ena_fields(fields)
    problems: list[tuple[str, str, str, str]] = []
    for name in MANDATORY:
        if name not in values:
            problems.append(("error", name, "", f"{name!r} is mandatory in every ENA checklist"))
    date = values.get("collection date")
    if date is not None and not COLLECTION_DATE_RE.match(date):
        problems.append(("error", "collection date", date,
                         "not an ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD, an interval) or an INSDC missing term"))
    return problems
