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
    return tuple(_load("platforms").get("any_platform_instruments", ["unspecified"]))


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


_EXPERIMENT_VOCAB = ("platform", "instrument_model", "library_strategy", "library_source",
                     "library_selection", "library_layout")


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def normalise_experiment_fields(fields: dict) -> tuple[dict, list[dict], list[dict]]:
    """Normalise one experiment record (as the API receives it).

    Returns ``(normalised, errors, warnings)``; problems are dicts
    ``{"row": None, "column": field, "value": str|None, "message": str}``.
    Vocabulary values are matched case/separator-insensitively and rewritten
    canonically (warning); the platform is derived from a single-platform
    instrument, ``library_source`` from the strategy and ``library_selection``
    defaults to ``unspecified`` (warnings). ``library_layout`` is not derived
    here (there are no files); it is required.
    """
    out = dict(fields)
    errors: list[dict] = []
    warnings: list[dict] = []

    def problem(bucket, column, value, message):
        bucket.append({"row": None, "column": column,
                       "value": None if value is None else str(value), "message": message})

    for name in _EXPERIMENT_VOCAB:
        raw = fields.get(name)
        if _blank(raw):
            out[name] = None
            continue
        if not isinstance(raw, str):
            problem(errors, name, raw, f"{raw!r} is not text")
            out[name] = None
            continue
        canon, corrected = normalise(name, raw)
        if canon is None:
            problem(errors, name, raw, get(name).unknown_message(raw.strip()))
            out[name] = None
            out.setdefault("_invalid", set()).add(name)
            continue
        if corrected:
            problem(warnings, name, raw, f"{raw.strip()!r} corrected to {canon!r}")
        out[name] = canon
    invalid = out.pop("_invalid", set())

    plat, model = out.get("platform"), out.get("instrument_model")
    if plat is None and "platform" not in invalid:
        owners = platform_for_instrument(model) if model else ()
        if len(owners) == 1:
            out["platform"] = owners[0]
            problem(warnings, "platform", None, f"platform derived from instrument_model {model!r}: {owners[0]}")
        elif model in any_platform_instruments():
            problem(errors, "platform", None, f"platform is required when instrument_model is {model!r}")
        else:
            problem(errors, "platform", None, "platform is required")
    if model is None and "instrument_model" not in invalid:
        problem(errors, "instrument_model", None,
                "instrument_model is required (write 'unspecified' when it is not known)")
    msg = instrument_problem(out.get("platform"), model)
    if msg:
        problem(errors, "instrument_model", model, msg)

    strategy = out.get("library_strategy")
    if strategy is None and "library_strategy" not in invalid:
        problem(errors, "library_strategy", None, "library_strategy is required")
    if out.get("library_source") is None and "library_source" not in invalid and strategy:
        derived = usual_source(strategy)
        out["library_source"] = derived
        problem(warnings, "library_source", None, f"library_source derived from library_strategy {strategy}: {derived}")
    else:
        msg = unusual_source(strategy, out.get("library_source"))
        if msg:
            problem(warnings, "library_source", out.get("library_source"), msg)
    if out.get("library_selection") is None and "library_selection" not in invalid:
        out["library_selection"] = default_selection()
        problem(warnings, "library_selection", None, f"library_selection not given: {default_selection()}")
    if out.get("library_layout") is None and "library_layout" not in invalid:
        problem(errors, "library_layout", None, "library_layout is required (PAIRED or SINGLE)")

    ins = fields.get("insert_size")
    if _blank(ins):
        out["insert_size"] = None
    else:
        val = _positive_int(ins)
        if val is None:
            problem(errors, "insert_size", ins, f"{str(ins).strip()!r} is not a positive integer")
            out["insert_size"] = None
        else:
            out["insert_size"] = val
    if "library_name" in fields:
        out["library_name"] = None if _blank(fields["library_name"]) else str(fields["library_name"]).strip()
    return out, errors, warnings


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    text = str(value).strip()
    if re.fullmatch(r"\+?0*[1-9][0-9]*", text):
        return int(text)
    return None
