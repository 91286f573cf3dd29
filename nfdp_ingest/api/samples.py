"""/api/v1/samples/ (filter: project)"""

from flask import Blueprint

from .common import route
from .resources import get_view, list_view

bp = Blueprint("samples", __name__)


@route(bp, "/samples/", methods=["GET"])
def list_samples():
    return list_view("samples")


@route(bp, "/samples/<accession>", methods=["GET"])
def get_sample(accession: str):
    return get_view("samples", accession)
