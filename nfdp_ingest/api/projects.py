"""/api/v1/projects/"""

from flask import Blueprint

from .common import route
from .resources import get_view, list_view

bp = Blueprint("projects", __name__)


@route(bp, "/projects/", methods=["GET"])
def list_projects():
    return list_view("projects")


@route(bp, "/projects/<accession>", methods=["GET"])
def get_project(accession: str):
    return get_view("projects", accession)
