"""Controlled vocabularies (ENA / INSDC), loaded from ``sheets/vocabulary/*.json``.

Matching follows ENA: compare after lower-casing and dropping spaces, ``_`` and
``-``; a match that is not spelled canonically is corrected with a warning, a
value that matches nothing is an error that suggests the closest valid term.

``normalise_experiment_fields`` applies the same rules (and derivations) to one
experiment record given as a dict; the sheet validator uses the same helpers
on the distinct values of each column.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from ..resources import sheets_dir

KINDS = ("platform", "instrument_model", "library_strategy", "library_source",
         "library_selection", "library_layout", "country", "missing_value")

_KIND_NOUN = {
    "platform": "a platform",
    "instrument_model": "an instrument model",
    "library_strategy": "a library strategy",
    "library_source": "a library source",
    "library_selection": "a library selection",
    "library_layout": "a library layout (PAIRED or SINGLE)",
    "country": "an INSDC country or sea name",
    "missing_value": "an INSDC missing-value term",
}

_SEP = re.compile(r"[\s_\-]+")


def key(value: str) -> str:
    """The comparison key: lower case without spaces, underscores or hyphens."""
    return _SEP.sub("", value).lower()


@dataclass
class Vocabulary:
    kind: str
    terms: tuple[str, ...]
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            self._index.setdefault(key(term), term)

    def __contains__(self, value: str) -> bool:
        return value in self._index.values()

    def normalise(self, value: str) -> tuple[str | None, bool]:
        """(canonical, corrected) or (None, False) when nothing matches."""
        value = value.strip()
        canon = self._index.get(key(value))
        if canon is None:
            return None, False
        return canon, canon != value

    def suggest(self, value: str) -> str | None:
        k = key(value)
        if not k:
            return None
        hits = difflib.get_close_matches(k, list(self._index), n=1, cutoff=0.6)
        if hits:
            return self._index[hits[0]]
        # a prefix / containment hint ("novaseq" -> "Illumina NovaSeq 6000")
        for ik, term in self._index.items():
            if len(k) >= 4 and k in ik:
                return term
        return None

    def unknown_message(self, value: str) -> str:
        msg = f"{value!r} is not {_KIND_NOUN.get(self.kind, 'a valid ' + self.kind)}"
        hint = self.suggest(value)
        if hint:
            msg += f"; did you mean {hint}?"
        return msg


def _load(name: str) -> dict:
    with open(sheets_dir() / "vocabulary" / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


@cache
def platforms() -> dict[str, tuple[str, ...]]:
    data = _load("platforms")
    return {p: tuple(models) for p, models in data["platforms"].items()}


@cache
def any_platform_instruments() -> tuple[str, ...]:
    """Models valid under any platform (none since the SRA XSD's lists: BGISEQ has no 'unspecified')."""
    return tuple(_load("platforms").get("any_platform_instruments", []))


@cache
def instrument_platforms() -> dict[str, tuple[str, ...]]:
    """Canonical instrument model -> the platforms it belongs to."""
    out: dict[str, list[str]] = {}
    for plat, models in platforms().items():
        for m in models:
            out.setdefault(m, []).append(plat)
    return {m: tuple(p) for m, p in out.items()}


@cache
def strategy_sources() -> dict[str, tuple[str, ...]]:
    return {s: tuple(v) for s, v in _load("strategy_source")["usual_sources"].items()}


@cache
def countries() -> tuple[str, ...]:
    data = _load("countries")
    return tuple(data["countries"] + data["oceans_and_seas"] + data["historical"])


@cache
def get(kind: str) -> Vocabulary:
    if kind == "platform":
        terms: Iterable[str] = platforms().keys()
    elif kind == "instrument_model":
        terms = list(instrument_platforms()) + list(any_platform_instruments())
    elif kind == "country":
        terms = countries()
    elif kind == "missing_value":
        terms = _load("missing_values")["terms"]
    elif kind in ("library_strategy", "library_source", "library_selection", "library_layout"):
        terms = _load(kind)["terms"]
    else:
        raise KeyError(f"unknown vocabulary {kind!r}")
    return Vocabulary(kind, tuple(terms))


def normalise(kind: str, value: str) -> tuple[str | None, bool]:
    """Canonical spelling of ``value`` in vocabulary ``kind`` and whether it was corrected."""
    return get(kind).normalise(value)


def suggest(kind: str, value: str) -> str | None:
    return get(kind).suggest(value)


def default_selection() -> str:
    return _load("library_selection").get("default", "unspecified")


# --------------------------------------------------------------------------- #
# Cross-field rules shared by sheets and the API                               #
# --------------------------------------------------------------------------- #

def platform_for_instrument(model: str) -> tuple[str, ...]:
    return instrument_platforms().get(model, ())


def instrument_problem(platform: str | None, model: str | None) -> str | None:
    """Message when a (canonical) instrument model does not belong to the platform."""
    if not platform or not model or model in any_platform_instruments():
        return None
    owners = platform_for_instrument(model)
    if owners and platform not in owners:
        if len(owners) > 2:  # 'unspecified': a model of every platform but BGISEQ
            return (f"{model!r} is not an instrument model of {platform} in the SRA XSD "
                    f"(its models: {', '.join(platforms().get(platform, ()))})")
        return f"{model!r} is an instrument of {' / '.join(owners)}, not of {platform}"
    return None


def unusual_source(strategy: str | None, source: str | None) -> str | None:
    if not strategy or not source:
        return None
    usual = strategy_sources().get(strategy)
    if usual and source not in usual:
        return (f"library_source {source} is unusual for library_strategy {strategy} "
                f"(usually {', '.join(usual[:2])})")
    return None


def usual_source(strategy: str | None) -> str | None:
    usual = strategy_sources().get(strategy or "")
    return usual[0] if usual else None
