"""The sheet's short columns and the ENA field names they stand for (ENA-FACTS §2.6).

A short column is the seed system's name for a sample field; each maps to
ENA's exact field name. ``geographic_location`` (``Country:Region``) is two
ENA fields, split at the first ``:``. ``breed`` has no ENA field in any
checklist: it goes as a plain attribute ``breed``.
"""

from __future__ import annotations

from . import vocabulary as vocab
from .ena_checklists import field_key

COUNTRY = "geographic location (country and/or sea)"
REGION = "geographic location (region and locality)"
GEOGRAPHIC_LOCATION = "geographic_location"

#: short column → ENA field name (geographic_location is split, see :func:`split_location`)
SHORT_TO_ENA = {
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
#: ENA field (as a header key) → the short column it is stored under (so a Sample's real columns fill)
ENA_KEY_TO_SHORT = {field_key(ena): short for short, ena in SHORT_TO_ENA.items() if field_key(ena) != short}
ENA_KEY_TO_SHORT[field_key(COUNTRY)] = GEOGRAPHIC_LOCATION

#: NFDP fields that are not SAMPLE_ATTRIBUTEs (SAMPLE_NAME, the sheet's own bookkeeping)
NOT_ATTRIBUTES = frozenset({"organism", "tax_id", "sample_alias", "checklist", "checklist_id", "alias",
                            "project_accession", "ENA-CHECKLIST"})

#: the seed system's columns for its own meaning of ERC000020 (pathogen) and ERC000043 (virus)
SEED_MISUSE = {
    "ERC000020": ("ERC000028", "ENA prokaryotic pathogen minimal sample checklist",
                  ("isolation_source", "strain", "serotype")),
    "ERC000043": ("ERC000033", "ENA virus pathogen reporting standard checklist",
                  ("virus_identifier", "host", "isolation_source", "serotype")),
}


def split_location(value: str) -> tuple[str, str | None]:
    """``Saudi Arabia:Riyadh`` → ('Saudi Arabia', 'Riyadh'); no region → (country, None); a missing term
    (``missing: lab stock``) is not split."""
    if vocab.normalise("missing_value", value)[0] is not None:
        return value.strip(), None
    country, _, region = value.partition(":")
    return country.strip(), (region.strip() or None)


def misuse(checklist_id: str, names) -> tuple[str, str, list[str]] | None:
    """(fitting ENA checklist, its title, the seed columns seen) when a sheet or sample uses
    ERC000020 / ERC000043 in the seed system's meaning, else None."""
    rule = SEED_MISUSE.get(checklist_id)
    if rule is None:
        return None
    keys = {field_key(n) for n in names}
    seen = [c for c in rule[2] if c in keys or field_key(SHORT_TO_ENA[c]) in keys]
    return (rule[0], rule[1], seen) if seen else None


def misuse_message(checklist_id: str, title: str, fits: str, fits_title: str, seen: list[str]) -> str:
    return (f"{', '.join(seen)} {'is a column' if len(seen) == 1 else 'are columns'} of the seed system's "
            f"pathogen/virus use of {checklist_id}, but at ENA {checklist_id} is {title!r}: "
            f"use {fits} ({fits_title}) for such samples")
