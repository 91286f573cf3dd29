"""/api/v1/projects/"""

from flask import Blueprint

from .models import Project
from .resources import get_view, list_view
from .spec import get_doc, list_doc

bp = Blueprint("projects", __name__)


@bp.get("/projects/")
@list_doc("projects", Project)
def list_projects():
    """List projects"""
    return list_view("projects")


@bp.get("/projects/<accession>")
@get_doc("projects", Project)
def get_project(accession: str):
    """One project"""
    return get_view("projects", accession)
