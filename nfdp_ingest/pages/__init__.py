"""Server-rendered HTML pages for people, in the API's Flask app (no JavaScript).

The pages read through the same queries and the same embargo rules as the API
(``api/access.py`` says who reads); a token is presented as the ``nfdp_token``
cookie, set by the form of ``session.py``. Every page answers with a strict
Content-Security-Policy: styles and images from this server only, no scripts at all.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, request

from ..export.names import base_name
from ..progress import human_bytes

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

# No script may run on a page, whatever a value holds; nothing is loaded from elsewhere.
CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'; img-src 'self' data:")
_NOT_PAGES = ("/api/", "/ga4gh/", "/qc/")


def is_page(path: str) -> bool:
    """Whether a URL belongs to the pages (HTML errors) rather than the API (JSON errors)."""
    return not (path + "/").startswith(_NOT_PAGES)


def _headers(response):
    if is_page(request.path):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "private, no-store"  # a page may show what a token sees
            response.vary.add("Cookie")
    return response


@bp.app_template_filter("thousands")
def thousands(n) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


@bp.app_template_filter("pagearg")
def pagearg(args: dict, name: str, page: int) -> str:
    """The query string of this page with ``name`` set to ``page`` (other tables keep theirs)."""
    return urlencode({**args, name: str(page)})


@bp.app_template_filter("human_bytes")
def _human_bytes(n) -> str:
    return human_bytes(n) if isinstance(n, int | float) else "—"


bp.add_app_template_filter(base_name, "basename")


def register(app: Flask) -> None:
    from . import session, views  # noqa: F401 - their routes join bp

    app.register_blueprint(bp)
    app.after_request(_headers)
