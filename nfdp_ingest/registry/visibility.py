"""Embargo: which projects a reader may see, and the filter the read queries apply.

A project whose ``release_date`` is in the future (UTC) is embargoed: only admins
and tokens of that project see it. For everyone else the project and everything
under it does not exist — not in lists, records, filters, counts or file reports.

A single record (and a list's parent filter, a file report's scope) is checked
with its own row: the record query joins its project anyway, so reading the
project's id and release date with it costs no extra query (``may_see``). A
filter on a visible parent needs no row filter (all its children share its
project). Only lists without a parent filter need the hidden set, computed from
the (indexed) release dates; where nothing is under embargo it is empty and the
list query is exactly what it was without embargo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from .models import Experiment, Project, Run, Sample


@dataclass(frozen=True)
class Viewer:
    """Who reads: anonymous (the default), a token's project ids, or an admin (sees everything)."""

    admin: bool = False
    project_ids: frozenset[int] = field(default_factory=frozenset)


ANONYMOUS = Viewer()
EVERYONE = Viewer(admin=True)  # operators on the server (CLI): the whole registry


@dataclass(frozen=True)
class Hidden:
    """The projects this reader may not see: ids (for row filters) and accessions (for records)."""

    ids: frozenset[int] = frozenset()
    accessions: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.ids)


NOTHING_HIDDEN = Hidden()


def today() -> date:
    return datetime.now(UTC).date()


def hidden_projects(conn: Connection, viewer: Viewer, on: date | None = None) -> Hidden:
    """The embargoed projects ``viewer`` may not see (release date after ``on``, default today UTC)."""
    if viewer.admin:
        return NOTHING_HIDDEN
    rows = conn.execute(
        select(Project.id, Project.accession).where(Project.release_date > (on or today()))
    ).all()
    rows = [(i, a) for i, a in rows if i not in viewer.project_ids]
    if not rows:
        return NOTHING_HIDDEN
    return Hidden(frozenset(i for i, _ in rows), frozenset(a for _, a in rows))


def is_embargoed(release_date: date | None, on: date | None = None) -> bool:
    return release_date is not None and release_date > (on or today())


def may_see(viewer: Viewer, project_id: int, release_date: date | None) -> bool:
    """Whether ``viewer`` sees a record of this project (its id and release date, read with the record)."""
    return viewer.admin or not is_embargoed(release_date) or project_id in viewer.project_ids


def _in_hidden(resource: str, ids: list[int]) -> ColumnElement[bool]:
    """``resource`` rows of the projects ``ids``: runs and experiments reach their project
    through small subqueries on the parent ids, so a query keeps its own table and index order."""
    if resource == "projects":
        return Project.id.in_(ids)
    if resource == "samples":
        return Sample.project_id.in_(ids)
    hidden_samples = select(Sample.id).where(Sample.project_id.in_(ids))
    if resource == "experiments":
        return Experiment.sample_id.in_(hidden_samples)
    if resource == "runs":
        return Run.experiment_id.in_(select(Experiment.id).where(Experiment.sample_id.in_(hidden_samples)))
    raise ValueError(f"no visibility rule for {resource!r}")


def exclude(resource: str, hidden: Hidden) -> ColumnElement[bool] | None:
    """A WHERE clause keeping only ``resource`` rows outside the hidden projects (None: nothing hidden)."""
    if not hidden:
        return None
    return ~_in_hidden(resource, sorted(hidden.ids))


def only_hidden(resource: str, hidden: Hidden) -> ColumnElement[bool] | None:
    """The complement of ``exclude``: the rows of the hidden projects. A list's total is
    counted as all rows minus these, which reads only the (indexed) hidden part instead
    of checking every row of a big table."""
    if not hidden:
        return None
    return _in_hidden(resource, sorted(hidden.ids))
