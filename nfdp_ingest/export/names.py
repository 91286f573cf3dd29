"""A run's file under its own name: the stable ``/api/v1/runs/{acc}/files/{name}`` URL that
sample sheets, DRS access URLs, the pages and ``fetch`` point at (served by api/runfiles.py).
Plain strings only: ``fetch`` imports this on machines without the registry."""

from __future__ import annotations

from urllib.parse import quote

API_PREFIX = "/api/v1"  # where the API is mounted (api/app.py)


def base_name(filename: str | None) -> str:
    """The last component of a stored name (either slash)."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1]


def files_url(base_url: str, accession: str, filename: str | None) -> str:
    """``{base}/api/v1/runs/{acc}/files/{name}``, the name percent-encoded (``base_url`` may be
    empty for a path on this server)."""
    return f"{base_url.rstrip('/')}{API_PREFIX}/runs/{accession}/files/{quote(base_name(filename), safe='')}"
