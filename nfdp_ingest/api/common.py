"""What the blueprints share: the app's state, JSON responses, pagination."""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from ..config import Settings
from ..registry import db as registry_db

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 20
MAX_PAGE = 1_000_000_000
_DIGITS = re.compile(r"^[0-9]{1,12}$")


class ApiState:
    """Per-app state (no globals): settings, and engines/storage opened on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._read: Engine | None = None
        self._write: Engine | None = None
        self._storage = None
        self.openapi: dict | None = None  # the document, built on first request (api/spec.py)

    def _once(self, attr: str, make):
        """``self.<attr>``, made by ``make()`` the first time (thread-safe)."""
        value = getattr(self, attr)
        if value is None:
            with self._lock:
                value = getattr(self, attr)
                if value is None:
                    value = make()
                    setattr(self, attr, value)
        return value

    @property
    def read_engine(self) -> Engine:
        return self._once("_read", lambda: registry_db.open_registry(self.settings.db_url, immediate=False))

    @property
    def write_engine(self) -> Engine:
        return self._once("_write", lambda: registry_db.open_registry(self.settings.db_url, immediate=True))

    @property
    def storage(self):
        from ..storage import open_storage

        return self._once("_storage", lambda: open_storage(self.settings))


def state() -> ApiState:
    return current_app.extensions["nfdp"]


class ApiError(HTTPException):
    """An error with a status code and a ``detail`` (and optional extra JSON members)."""

    def __init__(self, code: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        self.code = code
        super().__init__(description=detail)
        self.extra = extra
        self.extra_headers = headers or {}

    def get_headers(self, environ=None, scope=None):
        return [("Content-Type", "application/json"), *self.extra_headers.items()]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body + "\n", status=status, headers=headers, content_type="application/json")


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not _DIGITS.match(raw) or not (low <= int(raw) <= high):
        raise ApiError(400, f"{name} must be an integer from {low} to {high} (got {raw[:40]!r})")
    return int(raw)


def pagination() -> tuple[int, int]:
    return (int_arg("page", 1, 1, MAX_PAGE), int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE))


def paginated(records: list, total: int, page: int, per_page: int) -> Response:
    """A bare JSON array with X-Total-Count and an RFC 8288 Link header."""
    last = max(1, -(-total // per_page))
    args = request.args.to_dict(flat=True)
    base = request.base_url

    def link(p: int, rel: str) -> str:
        query = dict(args, page=str(p), per_page=str(per_page))
        return f'<{base}?{urlencode(query)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    return json_response(records, headers={"X-Total-Count": str(total), "Link": ", ".join(links)})


def filters_from_args(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.args[name].strip() for name in names if name in request.args}
