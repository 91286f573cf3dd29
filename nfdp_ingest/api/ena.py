"""/api/v1/projects/{accession}/ena: what has been brokered to ENA, when, the last receipt's messages."""

from __future__ import annotations

from flask import Blueprint

from ..ena.state import summary
from ..registry import queries
from ..registry.queries import _storable
from .access import viewer
from .common import ApiError, json_response, state
from .models import EnaExchange, EnaStatus, fields_of
from .serializers import iso
from .spec import doc

bp = Blueprint("ena", __name__)


def _exchange(row: dict) -> dict:
    return {name: iso(row[name]) for name in fields_of(EnaExchange)}


@bp.get("/projects/<accession>/ena")
@doc("projects", EnaStatus, op="get_project_ena", errors={404: "No such project"})
def project_ena(accession: str):
    """What has been brokered to ENA for a project"""
    if not _storable(accession):
        raise ApiError(404, f"no project with accession {accession!r}")
    with state().read_engine.connect() as conn:
        try:  # a project under embargo is unknown to those who may not see it
            queries.resolve(conn, "project", accession, viewer(conn))
        except queries.UnknownAccession:
            raise ApiError(404, f"no project with accession {accession!r}") from None
        found = summary(conn, accession)
    if found is None:
        raise ApiError(404, f"no project with accession {accession!r}")
    body = {name: found[name] for name in fields_of(EnaStatus) if name not in ("last_exchange", "exchanges")}
    body["exchanges"] = [_exchange(e) for e in found["exchanges"]]
    body["last_exchange"] = body["exchanges"][0] if body["exchanges"] else None
    return json_response({name: body[name] for name in fields_of(EnaStatus)})
