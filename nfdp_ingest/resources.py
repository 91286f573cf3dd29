"""Where the shipped data files live (checklists, vocabularies, templates).

In a wheel they are packed under ``nfdp_ingest/_data/`` (see pyproject's
force-include); in a source checkout or editable install they are read from
the repository's top-level ``sheets/`` and ``templates/`` folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from .progress import human_bytes

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """``name`` is a top-level data folder: 'sheets' or 'templates'."""
    packed = _PACKAGE / "_data" / name
    if packed.is_dir():
        return packed
    source = _PACKAGE.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"data folder {name!r} is missing from this installation")


def sheets_dir() -> Path:
    return data_dir("sheets")


def templates_dir() -> Path:
    return data_dir("templates")


@cache
def jinja_env() -> jinja2.Environment:
    """The one environment for every shipped HTML template: values are escaped, and a
    missing variable is an error rather than an empty string."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["human_bytes"] = human_bytes
    return env
