"""Validate a CSV sheet the way nf-schema would (NFCORE-FACTS §1.5), with Python jsonschema.

Read with csv.DictReader, drop empty cells, cast cells as org.json's stringToValue does,
validate with Draft202012Validator against tests/data/nfcore/<pipeline>.json, then the
custom keyword plain jsonschema ignores (uniqueEntries). Written apart from the exporter's
own cast so that one checks the other.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "nfcore"


def java_cast(cell: str):
    """org.json JSONObject.stringToValue, for the cells we write."""
    if cell.lower() == "true":
        return True
    if cell.lower() == "false":
        return False
    if cell.lower() == "null":
        return None
    if cell and (cell[0].isdigit() or cell[0] == "-"):
        try:
            if any(c in cell for c in ".eE") or cell == "-0":
                return float(cell)
            return int(cell)
        except ValueError:
            return cell
    return cell


def rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    out = [{k: java_cast(v.strip()) for k, v in row.items() if v is not None and v.strip() != ""}
           for row in reader]
    return list(reader.fieldnames or []), out


def _unique(items: list[dict], keys: list[str]) -> list[str]:
    seen, errors = set(), []
    for i, item in enumerate(items):
        if not all(k in item for k in keys):
            continue
        key = tuple(item[k] for k in keys)
        if key in seen:
            errors.append(f"row {i + 1}: duplicate {keys} = {key}")
        seen.add(key)
    return errors


def validate(pipeline: str, text: str) -> list[str]:
    """Every problem nf-schema (as far as jsonschema can tell) would report; [] when valid."""
    schema = json.loads((SCHEMAS / f"{pipeline}.json").read_text())
    Draft202012Validator.check_schema(schema)
    _header, items = rows(text)
    errors = [f"row {list(e.absolute_path)[:1]}: {e.message}"
              for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(items)]
    for keys in [schema.get("uniqueEntries")] + [p.get("uniqueEntries") for p in schema.get("allOf", [])]:
        if keys:
            errors += _unique(items, keys)
    inner = schema["items"].get("uniqueEntries")
    if inner:  # sarek enforces this in Groovy (patient-sample-status-lane)
        errors += _unique(items, inner)
    return errors
