"""/api/v1/experiments/ (filters: sample, project, platform, library_strategy); POST creates one."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..registry import accessions, queries
from ..registry.db import transaction
from ..registry.models import Experiment, Sample
from . import serializers
from .auth import bearer_secret, require_token
from .common import ApiError, json_response, route, state
from .resources import get_view, list_view

bp = Blueprint("experiments", __name__)

REQUIRED = ("sample_accession", "platform", "instrument_model", "library_strategy",
            "library_source", "library_layout")
OPTIONAL = ("insert_size", "library_selection", "library_name")
ACCEPTED = REQUIRED + OPTIONAL


def _normalise_filter_values(filters: dict) -> dict:
    """``platform=illumina`` finds ILLUMINA experiments, as the sheet would have stored them."""
    from ..domain import vocabulary

    for name in ("platform", "library_strategy"):
        if filters.get(name):
            canon, _ = vocabulary.normalise(name, filters[name])
            filters[name] = canon or filters[name]
    return filters


@route(bp, "/experiments/", methods=["GET"])
def list_experiments():
    return list_view("experiments", _normalise_filter_values)


@route(bp, "/experiments/<accession>", methods=["GET"])
def get_experiment(accession: str):
    return get_view("experiments", accession)


def _unprocessable(errors: list[dict]):
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    raise ApiError(422, detail, errors=errors)


def validate_body(body: object) -> dict:
    """The experiment fields, normalised like the sheet validator does; 422 naming each bad field."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    from ..domain.experiment import check_experiment as normalise_experiment_fields

    errors: list[dict] = []
    for name in body:
        if name not in ACCEPTED:
            errors.append({"field": name, "message": f"unknown field (accepted: {', '.join(ACCEPTED)})"})
    sample = body.get("sample_accession")
    if sample is None or (isinstance(sample, str) and not sample.strip()):
        errors.append({"field": "sample_accession", "message": "sample_accession is required"})
    elif not isinstance(sample, str):
        errors.append({"field": "sample_accession", "message": "sample_accession must be a string"})
    for name in (*REQUIRED[1:], "library_selection", "library_name"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            errors.append({"field": name, "message": f"{name} must be a string"})
    if "insert_size" in body and body["insert_size"] is not None and (
        isinstance(body["insert_size"], bool) or not isinstance(body["insert_size"], (int, str))
    ):
        errors.append({"field": "insert_size", "message": "insert_size must be a positive integer"})
    if errors:
        _unprocessable(errors)
    fields = {k: body.get(k) for k in ACCEPTED if k != "sample_accession"}
    # Only what the client sent is normalised; absent optional fields keep the defaults below.
    normalised, problems, _warnings = normalise_experiment_fields(fields)
    for p in problems:
        errors.append({"field": p["column"], "message": p["message"], "value": p.get("value")})
    # Required means required here: the API does not derive platform or source silently.
    for name in ("platform", "library_source"):
        if _blank(body.get(name)) and not any(e["field"] == name for e in errors):
            errors.append({"field": name, "message": f"{name} is required"})
    if errors:
        _unprocessable(errors)
    normalised["sample_accession"] = sample.strip()
    return normalised


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@route(bp, "/experiments/", methods=["POST"])
def create_experiment():
    secret = bearer_secret()
    st = state()
    # Check the token on the read engine first: a bad token never takes the write lock.
    with Session(st.read_engine) as session:
        require_token(session, secret)
    fields = validate_body(request.get_json(force=True, silent=True))
    with transaction(st.write_engine) as session:
        require_token(session, secret, touch=True)
        sample_id = session.execute(
            select(Sample.id).where(Sample.accession == fields["sample_accession"])
        ).scalar()
        if sample_id is None:
            raise ApiError(404, f"no sample with accession {fields['sample_accession']!r}")
        (accession,) = accessions.reserve(session, "EXP")
        session.add(Experiment(
            accession=accession, sample_id=sample_id,
            **{k: fields.get(k) for k in ("platform", "instrument_model", "library_strategy",
                                          "library_source", "library_selection", "library_layout",
                                          "insert_size", "library_name")},
        ))
    with st.read_engine.connect() as conn:
        row = queries.get_record(conn, "experiments", accession)
    return json_response(serializers.record("experiments", row), 201,
                         {"Location": f"/api/v1/experiments/{accession}"})

