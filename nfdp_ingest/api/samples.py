"""/api/v1/samples/ (filter: project)"""

from flask import Blueprint

from .models import Sample
from .resources import get_view, list_view
from .spec import get_doc, list_doc

bp = Blueprint("samples", __name__)


@bp.get("/samples/")
@list_doc("samples", Sample)
def list_samples():
    """List samples"""
    return list_view("samples")


@bp.get("/samples/<accession>")
@get_doc("samples", Sample)
def get_sample(accession: str):
    """One sample"""
    return get_view("samples", accession)
