"""Projects: the top of the hierarchy, created by operators before submissions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ..errors import InvalidInput
from .accessions import accession_order, reserve
from .db import transaction
from .models import Project


def project_record(project: Project) -> dict:
    return {
        "accession": project.accession,
        "title": project.title,
        "description": project.description,
        "project_type": project.project_type,
        "release_date": project.release_date.isoformat() if project.release_date else None,
        "center_name": project.center_name,
        "ena_accession": project.ena_accession,
        "created_at": project.created_at.isoformat(timespec="seconds"),
    }


def create_project(
    engine: Engine,
    title: str,
    description: str | None = None,
    project_type: str | None = None,
    release_date: date | None = None,
    center_name: str | None = None,
) -> dict:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("a project needs a non-empty --title")
    with transaction(engine) as session:
        (accession,) = reserve(session, "PRJ")
        project = Project(
            accession=accession, title=title, description=description,
            project_type=project_type, release_date=release_date,
            center_name=(center_name or "").strip() or None,  # ENA center_name; else NFDP_ENA_CENTER_NAME
        )
        session.add(project)
        session.flush()
        return project_record(project)


def list_projects(engine: Engine) -> list[dict]:
    with transaction(engine) as session:
        return [project_record(p) for p in session.scalars(select(Project).order_by(*accession_order(Project.accession)))]


def get_project(session, accession: str) -> Project:
    project = session.scalar(select(Project).where(Project.accession == accession))
    if project is None:
        raise InvalidInput(f"project {accession} does not exist (create it with `nfdp-ingest project create`)")
    return project
