"""The rules of a valid experiment record, written once.

``check_experiment`` decides whether one experiment's fields are valid and
normalises them; the sheet validator applies it once per distinct tuple of
values and ``POST /experiments/`` once per body, so both give the same words
for the same mistake.
"""

from __future__ import annotations

import re

from .vocabulary import (
    any_platform_instruments,
    default_selection,
    get,
    instrument_problem,
    normalise,
    platform_for_instrument,
    unusual_source,
    usual_source,
)

EXPERIMENT_VOCABULARIES = ("platform", "instrument_model", "library_strategy", "library_source",
                           "library_selection", "library_layout")
#: every field the rules read; ``library_name`` is only trimmed
EXPERIMENT_RULE_FIELDS = (*EXPERIMENT_VOCABULARIES, "insert_size")

# the messages, shared by the sheet validator and the API
SELECTION_DEFAULTED = f"library_selection not given: {default_selection()!r} is used"
INSTRUMENT_REQUIRED = "instrument_model is required (write 'unspecified' when it is not known)"
LAYOUT_REQUIRED = "library_layout is required (PAIRED or SINGLE)"


def not_positive_whole_number(value: object) -> str:
    return f"{str(value).strip()!r} is not a positive whole number"


MAX_INSERT_SIZE = 2_147_483_647  # the registry's integer column


def insert_size_too_large(value: object) -> str:
    return f"{str(value).strip()!r} is larger than any insert size can be (at most {MAX_INSERT_SIZE:,} bp)"


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def check_experiment(fields: dict) -> tuple[dict, list[dict], list[dict]]:
    """Normalise one experiment record and say what is wrong with it.

    Returns ``(normalised, errors, warnings)``; problems are dicts
    ``{"row": None, "column": field, "value": str|None, "message": str}``.
    Vocabulary values are matched case/separator-insensitively and rewritten
    canonically (warning); the platform is derived from a single-platform
    instrument, ``library_source`` from the strategy and ``library_selection``
    defaults to ``unspecified`` (warnings). ``library_layout`` is required:
    this function knows no files, so a caller that derives the layout (the
    sheet, from a row's files) passes the derived value in.
    """
    out = dict(fields)
    errors: list[dict] = []
    warnings: list[dict] = []
    invalid: set[str] = set()  # given but not a term: no "required" error, nothing derived from it

    def problem(bucket, column, value, message):
        bucket.append({"row": None, "column": column,
                       "value": None if value is None else str(value), "message": message})

    for name in EXPERIMENT_VOCABULARIES:
        raw = fields.get(name)
        if _blank(raw):
            out[name] = None
            continue
        if not isinstance(raw, str):
            problem(errors, name, raw, f"{raw!r} is not text")
            out[name] = None
            invalid.add(name)
            continue
        canon, corrected = normalise(name, raw)
        if canon is None:
            problem(errors, name, raw, get(name).unknown_message(raw.strip()))
            out[name] = None
            invalid.add(name)
            continue
        if corrected:
            problem(warnings, name, raw, f"{raw.strip()!r} corrected to {canon!r}")
        out[name] = canon

    plat, model = out.get("platform"), out.get("instrument_model")
    # an unknown instrument says nothing about the platform: its own error is enough
    if plat is None and not invalid & {"platform", "instrument_model"}:
        owners = platform_for_instrument(model) if model else ()
        if len(owners) == 1:
            out["platform"] = owners[0]
            problem(warnings, "platform", None, f"platform derived from instrument_model {model!r}: {owners[0]}")
        elif len(owners) > 1 or model in any_platform_instruments():
            problem(errors, "platform", None, f"platform is required when instrument_model is {model!r}")
        else:
            problem(errors, "platform", None, "platform is required")
    if model is None and "instrument_model" not in invalid:
        problem(errors, "instrument_model", None, INSTRUMENT_REQUIRED)
    msg = instrument_problem(out.get("platform"), model)
    if msg:
        problem(errors, "instrument_model", model, msg)

    strategy = out.get("library_strategy")
    if strategy is None and "library_strategy" not in invalid:
        problem(errors, "library_strategy", None, "library_strategy is required")
    derived = usual_source(strategy)
    if out.get("library_source") is None and "library_source" not in invalid and derived:
        out["library_source"] = derived
        problem(warnings, "library_source", None, f"library_source derived from library_strategy {strategy}: {derived}")
    else:
        msg = unusual_source(strategy, out.get("library_source"))
        if msg:
            problem(warnings, "library_source", out.get("library_source"), msg)
    if out.get("library_selection") is None and "library_selection" not in invalid:
        out["library_selection"] = default_selection()
        problem(warnings, "library_selection", None, SELECTION_DEFAULTED)
    if out.get("library_layout") is None and "library_layout" not in invalid:
        problem(errors, "library_layout", None, LAYOUT_REQUIRED)

    ins = fields.get("insert_size")
    if _blank(ins):
        out["insert_size"] = None
    else:
        val = _positive_int(ins)
        if val is None:
            problem(errors, "insert_size", ins, not_positive_whole_number(ins))
        elif val > MAX_INSERT_SIZE:
            problem(errors, "insert_size", ins, insert_size_too_large(ins))
            val = None
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
