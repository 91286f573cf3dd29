"""Read-side queries for the HTTP API and the ``filereport`` command.

Everything here runs on a plain Core connection (no ORM identity map: rows are
turned into JSON straight away) and returns row mappings whose keys are the
API's field names, including each record's parents' accessions.

Lists are ordered by the unique accession index. A page is fetched in two
steps: first the ``id`` of the page's rows from the accession index alone
(index-only, no joins), then those rows with their parents. Pages past the
middle are read from the far end of the index (``ORDER BY accession DESC``),
so the last page costs what the first one does.

Every read takes a ``viewer`` (registry/visibility.py; default anonymous): records
of embargoed projects it may not see are answered as unknown accessions, left out
of lists and never counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.engine import Connection

from .accessions import accession_order, parse_accession
from .models import Experiment, Project, QCReport, Run, Sample
from .visibility import (
    ANONYMOUS,
    NOTHING_HIDDEN,
    Hidden,
    Viewer,
    exclude,
    hidden_projects,
    may_see,
    only_hidden,
)


class UnknownAccession(LookupError):
    """A filter or path names an accession that does not exist."""

    def __init__(self, what: str, accession: str):
        super().__init__(f"no {what} with accession {accession!r}")
        self.what = what
        self.accession = accession


# --- record selects (the API's field names) ---------------------------------

# Read with every record (its project is joined anyway) to check the embargo without a query.
_PROJECT_VISIBILITY = (Project.id.label("project_id"), Project.release_date.label("project_release_date"))


def _project_select() -> Select:
    return select(
        Project.id, Project.accession, Project.title, Project.description,
        Project.project_type, Project.release_date, Project.created_at,
        Project.ena_accession, Project.ena_secondary_accession,
    )


def _sample_select() -> Select:
    return (
        select(
            Sample.id, Sample.accession, Project.accession.label("project_accession"),
            Sample.alias, Sample.organism, Sample.tax_id, Sample.checklist_id,
            Sample.collection_date, Sample.geographic_location, Sample.breed, Sample.host,
            Sample.tissue, Sample.sex, Sample.developmental_stage, Sample.attributes,
            Sample.created_at, Sample.ena_accession, Sample.biosample_accession, *_PROJECT_VISIBILITY,
        )
        .join(Project, Sample.project_id == Project.id)
    )


def _experiment_select() -> Select:
    return (
        select(
            Experiment.id, Experiment.accession,
            Sample.accession.label("sample_accession"), Project.accession.label("project_accession"),
            Experiment.platform, Experiment.instrument_model, Experiment.library_strategy,
            Experiment.library_source, Experiment.library_selection, Experiment.library_layout,
            Experiment.insert_size, Experiment.library_name, Experiment.created_at,
            Experiment.ena_accession, *_PROJECT_VISIBILITY,
        )
        .join(Sample, Experiment.sample_id == Sample.id)
        .join(Project, Sample.project_id == Project.id)
    )


def _run_select() -> Select:
    return (
        select(
            Run.id, Run.accession, Run.ena_accession, Run.file_type, Run.file_size,
            Run.checksum_md5, Run.created_at,
            Experiment.accession.label("experiment_accession"),
            Sample.accession.label("sample_accession"), Project.accession.label("project_accession"),
            Run.filename, Run.file_path, Run.checksum_sha256, Run.read_direction, Run.mate_accession,
            *_PROJECT_VISIBILITY,
        )
        .join(Experiment, Run.experiment_id == Experiment.id)
        .join(Sample, Experiment.sample_id == Sample.id)
        .join(Project, Sample.project_id == Project.id)
    )


@dataclass(frozen=True)
class Resource:
    model: Any
    what: str  # noun for messages
    record: Any  # () -> Select of the full record


RESOURCES: dict[str, Resource] = {
    "projects": Resource(Project, "project", _project_select),
    "samples": Resource(Sample, "sample", _sample_select),
    "experiments": Resource(Experiment, "experiment", _experiment_select),
    "runs": Resource(Run, "run", _run_select),
}

# Filters each list accepts: name -> kind of filter.
FILTERS: dict[str, tuple[str, ...]] = {
    "projects": (),
    "samples": ("project",),
    "experiments": ("sample", "project", "platform", "library_strategy"),
    "runs": ("experiment", "sample", "project", "file_type"),
}

_PARENT_MODEL = {"project": Project, "sample": Sample, "experiment": Experiment}


def _storable(value: str) -> bool:
    """False for strings no accession or vocabulary column can hold (PostgreSQL rejects NUL)."""
    return bool(value) and "\x00" not in value and len(value) <= 2000


_MODEL = {"project": Project, "sample": Sample, "experiment": Experiment, "run": Run}
# from each kind up to its project: the joins, in order
_UP = {"project": (), "sample": ((Project, Sample.project_id == Project.id),),
       "experiment": ((Sample, Experiment.sample_id == Sample.id), (Project, Sample.project_id == Project.id)),
       "run": ((Experiment, Run.experiment_id == Experiment.id), (Sample, Experiment.sample_id == Sample.id),
               (Project, Sample.project_id == Project.id))}


def resolve(conn: Connection, what: str, accession: str, viewer: Viewer = ANONYMOUS) -> int:
    """The id of the ``what`` (project/sample/experiment/run) with this accession; UnknownAccession
    when there is none, or when it belongs to a project under embargo for ``viewer``."""
    model = _MODEL[what]
    if not _storable(accession):
        raise UnknownAccession(what, accession)
    if viewer.admin:  # sees everything: the plain index lookup
        found = conn.execute(select(model.id).where(model.accession == accession)).scalar()
        if found is None:
            raise UnknownAccession(what, accession)
        return found
    query = select(model.id, Project.id, Project.release_date).select_from(model)
    for table, on in _UP[what]:  # primary-key joins up to the project: one row, no extra query
        query = query.join(table, on)
    row = conn.execute(query.where(model.accession == accession)).first()
    if row is None or not may_see(viewer, row[1], row[2]):
        raise UnknownAccession(what, accession)
    return row[0]


# Parent filters: (list, parent) → the tables to join, in order, and the column
# holding the parent's id.
_PARENT_PATHS = {
    ("samples", "project"): ((), Sample.project_id),
    ("experiments", "sample"): ((), Experiment.sample_id),
    ("experiments", "project"): ((Sample,), Sample.project_id),
    ("runs", "experiment"): ((), Run.experiment_id),
    ("runs", "sample"): ((Experiment,), Experiment.sample_id),
    ("runs", "project"): ((Experiment, Sample), Sample.project_id),
}
_JOIN_ON = {Experiment: Run.experiment_id == Experiment.id, Sample: Experiment.sample_id == Sample.id}


def _id_query(conn: Connection, resource: str, filters: Mapping[str, str],
              viewer: Viewer) -> tuple[Select, Hidden]:
    """``SELECT <model>.id, <model>.accession`` with the filters applied (resolved to ids), and
    the projects whose rows ``viewer`` may not see among them (none under a visible parent)."""
    model = RESOURCES[resource].model
    query = select(model.id, model.accession).select_from(model)  # kept by with_only_columns(count())
    joined: set = set()
    by_parent = False
    for name, value in filters.items():
        if name in _PARENT_MODEL:
            parent_id = resolve(conn, name, value, viewer)  # a hidden parent is unknown (404)
            by_parent = True
            path, column = _PARENT_PATHS[(resource, name)]
            for table in path:
                if table not in joined:
                    query = query.join(table, _JOIN_ON[table])
                    joined.add(table)
            query = query.where(column == parent_id)
        elif not _storable(value):  # a value no row can hold matches nothing
            query = query.where(false())
        elif name == "platform":
            query = query.where(Experiment.platform == value)
        elif name == "library_strategy":
            query = query.where(Experiment.library_strategy == value)
        elif name == "file_type":
            query = query.where(Run.file_type == value)
        else:
            raise ValueError(f"unknown filter {name!r} for {resource}")
    # a visible parent: all its rows are visible (they share its project)
    return query, NOTHING_HIDDEN if by_parent else hidden_projects(conn, viewer)


def _total(conn: Connection, resource: str, query: Select, hidden: Hidden) -> int:
    """Rows of ``query`` outside the hidden projects: all rows less the hidden ones (which an
    index reaches), rather than every row checked against the exclusion (measured on a
    million runs with 100,000 hidden: 18 ms instead of 300 ms of CPU)."""
    everything = conn.execute(query.with_only_columns(func.count()).order_by(None)).scalar_one()
    if not hidden:
        return everything
    return everything - conn.execute(query.where(only_hidden(resource, hidden))
                                     .with_only_columns(func.count()).order_by(None)).scalar_one()


def count(conn: Connection, resource: str, filters: Mapping[str, str] | None = None, *,
          viewer: Viewer = ANONYMOUS) -> int:
    query, hidden = _id_query(conn, resource, filters or {}, viewer)
    return _total(conn, resource, query, hidden)


def walk_ids(conn: Connection, ids_query: Select, order: Callable[[bool], Sequence[Any]], offset: int,
             limit: int, total: int) -> list[int]:
    """Ids ``offset``…``offset+limit`` of ``ids_query`` in ``order(False)``, walking the index
    from its nearer end (``order(True)``, the reverse): a page near the end of a long list
    costs what one near its start does. The ids come in no promised order."""
    if offset + limit / 2 <= total / 2:
        return conn.execute(ids_query.order_by(*order(False)).limit(limit).offset(offset)).scalars().all()
    return conn.execute(ids_query.order_by(*order(True)).limit(limit).offset(total - offset - limit)).scalars().all()


def list_page(
    conn: Connection, resource: str, filters: Mapping[str, str] | None, page: int, per_page: int, *,
    viewer: Viewer = ANONYMOUS,
) -> tuple[list[Mapping[str, Any]], int]:
    """One page of records (ordered by accession) and the total count, as ``viewer`` sees them.

    Raises UnknownAccession when a filter names an accession that does not exist (or is hidden).
    """
    model = RESOURCES[resource].model
    query, hidden = _id_query(conn, resource, filters or {}, viewer)
    total = _total(conn, resource, query, hidden)
    offset = (page - 1) * per_page
    if offset >= total:
        return [], total
    # Rows hidden from this viewer are skipped by checking each row the walk passes (about 0.4 µs
    # a row on SQLite): only lists with rows under embargo pay it, in proportion to the depth.
    ids_query = query.where(exclude(resource, hidden)) if hidden else query
    ids = walk_ids(conn, ids_query.with_only_columns(model.id),
                   lambda descending: accession_order(model.accession, descending=descending),
                   offset, min(per_page, total - offset), total)
    if not ids:
        return [], total
    rows = conn.execute(
        RESOURCES[resource].record().where(model.id.in_(ids)).order_by(*accession_order(model.accession))
    ).mappings().all()
    return list(rows), total


def get_record(conn: Connection, resource: str, accession: str, *,
               viewer: Viewer = ANONYMOUS) -> Mapping[str, Any]:
    res = RESOURCES[resource]
    if not _storable(accession):
        raise UnknownAccession(res.what, accession)
    row = conn.execute(res.record().where(res.model.accession == accession)).mappings().first()
    if row is None:
        raise UnknownAccession(res.what, accession)
    project = ("id", "release_date") if resource == "projects" else ("project_id", "project_release_date")
    if not may_see(viewer, row[project[0]], row[project[1]]):
        raise UnknownAccession(res.what, accession)
    return row


# --- QC ------------------------------------------------------------------------

def qc_reports(conn: Connection, run_accession: str, *, viewer: Viewer = ANONYMOUS) -> list[Mapping[str, Any]]:
    """The run's QC reports, most recent first (raises UnknownAccession)."""
    run_id = resolve(conn, "run", run_accession, viewer)
    return list(conn.execute(
        select(QCReport.tool, QCReport.status, QCReport.summary, QCReport.report_path, QCReport.created_at)
        .where(QCReport.run_id == run_id)
        .order_by(QCReport.created_at.desc(), QCReport.id.desc())
    ).mappings())


def qc_report_path(conn: Connection, run_accession: str, name: str, *,
                   viewer: Viewer = ANONYMOUS) -> str | None:
    """The stored report_path of the run's report file called ``name`` (its base name)."""
    run_id = resolve(conn, "run", run_accession, viewer)
    for path in conn.execute(
        select(QCReport.report_path).where(QCReport.run_id == run_id, QCReport.report_path.is_not(None))
        .order_by(QCReport.id.desc())
    ).scalars():
        if path.replace("\\", "/").rsplit("/", 1)[-1] == name:
            return path
    return None


# --- file report -----------------------------------------------------------------

FILEREPORT_FIELDS = (
    "run_accession", "experiment_accession", "sample_accession", "project_accession",
    "organism", "tax_id", "file_type", "filename", "file_path", "file_size",
    "checksum_md5", "checksum_sha256", "download_url",
    "platform", "instrument_model", "library_strategy", "library_source", "library_layout",
)

_KIND_WHAT = {"PRJ": "project", "SAM": "sample", "EXP": "experiment", "RUN": "run"}


def filereport_scope(conn: Connection, accession: str, *, viewer: Viewer = ANONYMOUS) -> tuple[str, int]:
    """(``project``/``sample``/``experiment``/``run``, id) for any accession, else UnknownAccession
    (also for one in a project hidden from ``viewer``: every row of a scope shares its project)."""
    parsed = parse_accession(accession)
    if parsed is None or parsed[0] not in _KIND_WHAT:
        raise UnknownAccession("project, sample, experiment or run", accession)
    what = _KIND_WHAT[parsed[0]]
    return what, resolve(conn, what, accession, viewer)


def filereport_rows(
    conn: Connection, what: str, scope_id: int, *, yield_per: int = 2000
) -> Iterator[Mapping[str, Any]]:
    """Every run under the scope, ordered by run accession, streamed from the
    database in batches of ``yield_per`` rows (server-side cursor on PostgreSQL).
    ``download_url`` is left to the caller (it needs the public base URL)."""
    query = (
        select(
            Run.accession.label("run_accession"), Experiment.accession.label("experiment_accession"),
            Sample.accession.label("sample_accession"), Project.accession.label("project_accession"),
            Sample.organism, Sample.tax_id, Run.file_type, Run.filename, Run.file_path, Run.file_size,
            Run.checksum_md5, Run.checksum_sha256,
            Experiment.platform, Experiment.instrument_model, Experiment.library_strategy,
            Experiment.library_source, Experiment.library_layout,
        )
        .select_from(Run)
        .join(Experiment, Run.experiment_id == Experiment.id)
        .join(Sample, Experiment.sample_id == Sample.id)
        .join(Project, Sample.project_id == Project.id)
        .order_by(*accession_order(Run.accession))
    )
    column = {"project": Sample.project_id, "sample": Experiment.sample_id,
              "experiment": Run.experiment_id, "run": Run.id}[what]
    query = query.where(column == scope_id)
    result = conn.execution_options(yield_per=yield_per).execute(query)
    try:
        yield from result.mappings()
    finally:
        result.close()
