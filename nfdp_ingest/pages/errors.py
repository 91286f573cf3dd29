"""HTML error pages (the API answers JSON; see api/app.py, which asks ``is_page``)."""

from __future__ import annotations

from flask import make_response, render_template, request
from werkzeug.exceptions import HTTPException

from ..api.auth import COOKIE
from .session import reader

TITLES = {400: "Bad request", 401: "A valid token is needed", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 413: "Too large", 422: "Cannot be shown", 500: "Server error",
          503: "Service unavailable"}


class PageError(HTTPException):
    """An error a page shows in words a person reads (``detail``), with its status."""

    def __init__(self, code: int, detail: str):
        self.code = code
        super().__init__(description=detail)


def error_page(code: int, detail: str, headers: dict[str, str] | None = None):
    """The error page; a 401 caused by the kept cookie also forgets it (a revoked or expired
    token would otherwise lock the browser out of every page)."""
    stale = code == 401 and COOKIE in request.cookies and not request.headers.get("Authorization")
    body = render_template("error.html", code=code, title=TITLES.get(code, "Error"), detail=detail,
                           stale=stale, token=None if stale or code == 401 else _safe_reader())
    response = make_response(body, code, {k: v for k, v in (headers or {}).items()
                                          if k.lower() not in ("content-type", "content-length")})
    if stale:
        response.delete_cookie(COOKIE, path="/", samesite="Strict", httponly=True)
    return response


def from_exception(exc: HTTPException):
    return error_page(exc.code or 500, exc.description or exc.name, dict(exc.get_response().headers))


def _safe_reader():
    try:
        return reader()[1]
    except Exception:  # noqa: BLE001 - an error page must render even when the token check fails
        return None
