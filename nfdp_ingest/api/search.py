"""/api/v1/search: full-text search over projects, samples and runs (registry.search)."""

from flask import Blueprint, request

from ..registry import search as registry_search
from ..registry.visibility import hidden_projects
from .access import viewer
from .common import ApiError, paginated, pagination, state
from .models import SearchHit
from .spec import doc

bp = Blueprint("search", __name__)


@bp.get("/search")
@doc("search", list[SearchHit], op="search", errors={400: "No words to search for, or an unknown type"})
def search():
    """Search projects, samples and runs

    Every word of ``q`` must match (words are runs of letters and digits, case ignored):
    project titles and descriptions; sample aliases, organisms, breeds, locations and
    attributes; run file names and checksums (an MD5 finds its run). Best hits first.
    Hits are counted and paged up to 10,000; beyond, ``X-Total-Count`` is 10000 and
    ``X-Total-Count-Capped: true`` (add words or ``type`` to narrow the query).
    """
    q = request.args.get("q", "")
    if len(q) > 1000:
        raise ApiError(400, "q is longer than 1000 characters")
    page, per_page = pagination()
    try:
        kinds = registry_search.parse_kinds(request.args.get("type"))
        with state().read_engine.connect() as conn:
            hidden = hidden_projects(conn, viewer(conn)).ids  # embargo: neither shown nor counted
            hits, total, exact = registry_search.search(conn, q, kinds=kinds, page=page, per_page=per_page,
                                                 hidden_project_ids=hidden or None)
    except registry_search.SearchQueryError as exc:
        raise ApiError(400, str(exc)) from None
    response = paginated(hits, total, page, per_page)
    if not exact:  # X-Total-Count stops at the last hit that can be paged to
        response.headers["X-Total-Count-Capped"] = "true"
    return response
