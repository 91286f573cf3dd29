"""The pages: /, /search, /projects/<acc>, /samples/<acc>, /runs/<acc>, /submissions/<acc>, /nightly.

Each view reads one connection's worth of plain data (``data.py``) for the request's
reader and renders one template; an accession the reader may not see is a 404 page,
exactly as the API answers.
"""

from __future__ import annotations

import re

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api import access
from ..api.common import ApiError, state
from ..nightly import history
from ..registry import queries
from ..registry import search as registry_search
from ..registry.models import Project, Submission
from ..registry.visibility import hidden_projects
from . import bp, data
from .errors import PageError
from .session import reader

_DIGITS = re.compile(r"^[0-9]{1,9}$")


def _page_arg(name: str) -> int:
    raw = (request.args.get(name) or "1").strip()
    if not _DIGITS.match(raw) or int(raw) < 1:
        raise PageError(400, f"{name} must be a whole number from 1 (got {raw[:40]!r})")
    return int(raw)


def _render(template: str, status: int = 200, **values):
    return render_template(template, **values), status


def _read(build, *args):
    """``build(conn, viewer, *args)`` for this request's reader; unknown or hidden → 404 page."""
    viewer, token = reader()
    with state().read_engine.connect() as conn:
        try:
            return build(conn, viewer, *args), token
        except queries.UnknownAccession as exc:
            raise PageError(404, f"There is no {exc.what} {exc.accession[:100]!r} — or you may not see it "
                                 "(a project under embargo is shown only with its token).") from None
        except data.PastLastPage as exc:
            raise PageError(404, str(exc)) from None


@bp.get("/")
def index():
    found, token = _read(data.index, _page_arg("page"))
    return _render("index.html", token=token, **found)


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    if len(q) > 1000:
        raise PageError(400, "The search is longer than 1,000 characters.")
    kind = (request.args.get("type") or "").strip()
    try:
        kinds = registry_search.parse_kinds(kind)
    except registry_search.SearchQueryError as exc:
        raise PageError(400, str(exc)) from None
    page = _page_arg("page")
    if not registry_search.query_words(q):
        viewer, token = reader()
        message = "Type words to search for: a breed, an organism, a file name or an MD5." if q.strip() \
            else None
        return _render("search.html", 400 if q.strip() else 200, token=token, q=q, type=kind, hits=None,
                       pages=None, message=message)
    found, token = _read(data.search, q, kinds, page)
    return _render("search.html", token=token, q=q, type=kind, message=None, **found)


@bp.get("/projects/<accession>")
def project(accession: str):
    found, token = _read(data.project, accession, _page_arg("samples_page"), _page_arg("runs_page"))
    return _render("project.html", token=token, **found)


@bp.get("/samples/<accession>")
def sample(accession: str):
    found, token = _read(data.sample, accession, _page_arg("runs_page"))
    return _render("sample.html", token=token, **found)


@bp.get("/runs/<accession>")
def run(accession: str):
    found, token = _read(data.run, accession)
    return _render("run.html", token=token, **found)


@bp.get("/submissions/<accession>")
def submission(accession: str):
    """A remote submission, to a token that may submit to its project (as GET /api/v1/submissions/<acc>)."""
    from ..api.submissions import _state as submission_state

    _viewer, token = reader()
    with Session(state().read_engine) as session:
        found = session.execute(select(Submission, Project.accession)
                                .join(Project, Submission.project_id == Project.id)
                                .where(Submission.accession == accession[:100])).first()
        try:  # no token: 401 before anything is said about the accession
            access.require(session, "submit", found[1] if found else None)
        except ApiError as exc:
            raise PageError(exc.code, "A submission is shown to a token that may submit to its project: "
                                      + exc.description) from None
        if found is None:
            raise PageError(404, f"There is no submission {accession[:100]!r}.")
        sub = submission_state(*found)
    running = sub["status"] in ("queued", "running")
    return _render("submission.html", token=token, sub=sub, running=running)


@bp.get("/nightly")
def nightly():
    viewer, token = reader()
    with state().read_engine.connect() as conn:
        hidden = hidden_projects(conn, viewer).accessions
    runs = data.nightly(history.recent(state().settings.data_dir), hidden)
    return _render("nightly.html", token=token, runs=runs)
