"""The list and get views every record blueprint shares (as the request's viewer sees the registry)."""

from __future__ import annotations

from collections.abc import Callable

from ..registry import queries
from . import serializers
from .access import viewer
from .common import ApiError, filters_from_args, json_response, paginated, pagination, state


def list_view(resource: str, normalise: Callable[[dict], dict] | None = None):
    page, per_page = pagination()
    filters = filters_from_args(queries.FILTERS[resource])
    if normalise:
        filters = normalise(filters)
    with state().read_engine.connect() as conn:
        who = viewer(conn)
        try:
            rows, total = queries.list_page(conn, resource, filters, page, per_page, viewer=who)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    return paginated([serializers.record(resource, r) for r in rows], total, page, per_page)


def get_view(resource: str, accession: str):
    with state().read_engine.connect() as conn:
        who = viewer(conn)
        try:
            row = queries.get_record(conn, resource, accession, viewer=who)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    return json_response(serializers.record(resource, row))
