"""/api/v1/experiments/ (filters: sample, project, platform, library_strategy); POST creates one."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ..domain.experiment import check_experiment
from ..registry import queries
from ..registry.db import transaction
from ..registry.experiments import create_experiment as insert_experiment
from ..registry.models import EXPERIMENT_FIELDS
from ..registry.visibility import EVERYONE
from . import serializers
from .access import require, viewer_of
from .common import ApiError, json_response, state
from .models import Experiment, ExperimentCreate
from .resources import get_view, list_view
from .spec import doc, get_doc, list_doc

bp = Blueprint("experiments", __name__)


def _normalise_filter_values(filters: dict) -> dict:
    """``platform=illumina`` finds ILLUMINA experiments, as the sheet would have stored them."""
    from ..domain import vocabulary

    for name in ("platform", "library_strategy"):
        if filters.get(name):
            canon, _ = vocabulary.normalise(name, filters[name])
            filters[name] = canon or filters[name]
    return filters


@bp.get("/experiments/")
@list_doc("experiments", Experiment)
def list_experiments():
    """List experiments"""
    return list_view("experiments", _normalise_filter_values)


@bp.get("/experiments/<accession>")
@get_doc("experiments", Experiment)
def get_experiment(accession: str):
    """One experiment"""
    return get_view("experiments", accession)


def parse_body(body: object) -> dict:
    """The body → checked, normalised experiment fields; else 400 (not an object) or 422
    naming each bad field.

    The model (``ExperimentCreate``) decides the shape: known fields, JSON types. The
    domain (``check_experiment``) decides the values, with the words the sample sheet
    uses; where both object to one field, the domain's words are kept.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    errors: dict[str, list[dict]] = {}
    try:
        parsed = ExperimentCreate.model_validate(body)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            name = str(e["loc"][0]) if e["loc"] else "body"
            message = (f"unknown field (accepted: {', '.join(ExperimentCreate.model_fields)})"
                       if e["type"] == "extra_forbidden" else e["msg"])
            errors.setdefault(name, []).append({"field": name, "message": message})
        sample, fields = body.get("sample_accession"), {k: body.get(k) for k in EXPERIMENT_FIELDS}
    else:
        sample, fields = parsed.sample_accession, parsed.model_dump(include=set(EXPERIMENT_FIELDS))
    normalised, problems, _warnings = check_experiment(fields)
    domain: dict[str, list[dict]] = {}
    for p in problems:
        domain.setdefault(p["column"], []).append(
            {"field": p["column"], "message": p["message"], "value": p.get("value")})
    errors.update(domain)
    if errors:
        flat = [e for group in errors.values() for e in group]
        raise ApiError(422, "; ".join(f"{e['field']}: {e['message']}" for e in flat), errors=flat)
    return {**normalised, "sample_accession": sample}


@bp.post("/experiments/")
@doc("experiments", (Experiment, "Created"), 201, op="create_experiment", json=ExperimentCreate,
     security={"bearerAuth": []}, errors={
         400: "The body is not a JSON object", 401: "Missing, unknown, expired or revoked bearer token",
         403: "The token's role may not create experiments, or not in the sample's project",
         404: "No sample with this accession (or one the token may not see)",
         422: "A field is missing or invalid (named in detail and errors)"})
def create_experiment():
    """Create an experiment (a curator token of the sample's project, or an admin token)"""
    st = state()
    # Check the token on the read engine first: a bad token never takes the write lock.
    with Session(st.read_engine) as session:
        token = require(session, "create_experiment")
        fields = parse_body(request.get_json(force=True, silent=True))
        try:  # a sample of an embargoed project the token may not see is unknown
            project = queries.get_record(session.connection(), "samples", fields["sample_accession"],
                                         viewer=viewer_of(token))["project_accession"]
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
        require(session, "create_experiment", project)
    with transaction(st.write_engine) as session:
        require(session, "create_experiment", project)  # again: a token revoked meanwhile stops here
        try:
            accession = insert_experiment(session, fields)
        except queries.UnknownAccession as exc:
            raise ApiError(404, str(exc)) from None
    with st.read_engine.connect() as conn:
        row = queries.get_record(conn, "experiments", accession, viewer=EVERYONE)
    return json_response(serializers.record("experiments", row), 201,
                         {"Location": url_for("experiments.get_experiment", accession=accession)})
