"""The one place where data-out code (sample sheets, DRS, /files/, fetch) resolves accessions.

Every endpoint and export of the data-out side asks ``find_record`` for an accession
and ``scope_runs`` for the runs under it, so that visibility rules (embargo) can be
applied here, once, for all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.engine import Connection

from ..registry import queries
from ..registry.accessions import accession_order, parse_accession
from ..registry.models import Experiment, Project, Run, Sample
from ..registry.visibility import ANONYMOUS, Viewer

UnknownAccession = queries.UnknownAccession

KINDS = {"PRJ": "project", "SAM": "sample", "EXP": "experiment", "RUN": "run"}
_RESOURCE = {"project": "projects", "sample": "samples", "experiment": "experiments", "run": "runs"}


def find_record(conn: Connection, accession: str, kinds: tuple[str, ...] = tuple(KINDS.values()), *,
                viewer: Viewer = ANONYMOUS) -> tuple[str, Mapping[str, Any]]:
    """(kind, record row) for a project/sample/experiment/run accession, else UnknownAccession —
    also when it lies in a project under embargo that ``viewer`` may not see (everything under
    a record is then in the same project, so the scopes below need no check of their own).

    The row is the API's record (``queries.get_record``) and includes its ``id``."""
    parsed = parse_accession(accession or "")
    what = " or ".join(kinds) if len(kinds) < 4 else "project, sample, experiment or run"
    if parsed is None or KINDS.get(parsed[0]) not in kinds:
        raise UnknownAccession(what, accession)
    kind = KINDS[parsed[0]]
    return kind, queries.get_record(conn, _RESOURCE[kind], accession, viewer=viewer)


# What the exports need of each run: the file, its mate, its experiment, sample and project.
RUN_COLUMNS = (
    Run.accession, Run.filename, Run.file_type, Run.file_size, Run.checksum_md5, Run.checksum_sha256,
    Run.read_direction, Run.mate_accession, Run.file_path, Run.read_count, Run.ena_accession,
    Run.created_at,
    Experiment.accession.label("experiment_accession"), Experiment.platform, Experiment.instrument_model,
    Experiment.library_strategy, Experiment.library_source, Experiment.library_selection,
    Experiment.library_layout, Experiment.library_name,
    Sample.accession.label("sample_accession"), Sample.alias.label("sample_alias"), Sample.organism,
    Sample.tax_id, Sample.attributes.label("sample_attributes"),
    Project.accession.label("project_accession"), Project.title.label("project_title"),
)

# The sheets' lighter set: no timestamps, the sample's attributes as raw JSON text (parsed
# once per sample by the sheet, not once per run).
SHEET_COLUMNS = tuple(c for c in RUN_COLUMNS if c.key not in ("created_at", "sample_attributes", "file_size",
                                                                "checksum_sha256")) + (
    Run.file_size, Run.checksum_sha256, type_coerce(Sample.attributes, String).label("sample_attributes"),
)

_SCOPE_COLUMN = {"project": Sample.project_id, "sample": Experiment.sample_id,
                 "experiment": Run.experiment_id, "run": Run.id}


def scope_runs(conn: Connection, kind: str, scope_id: int, *, yield_per: int = 2000,
               columns: tuple = RUN_COLUMNS) -> Iterator[Mapping[str, Any]]:
    """Every run under the scope, grouped by sample then experiment (each in accession order),
    streamed in batches (server-side cursor on PostgreSQL). Consumers group consecutive rows."""
    query = (
        select(*columns).select_from(Run)
        .join(Experiment, Run.experiment_id == Experiment.id)
        .join(Sample, Experiment.sample_id == Sample.id)
        .join(Project, Sample.project_id == Project.id)
        .where(_SCOPE_COLUMN[kind] == scope_id)
        .order_by(*accession_order(Sample.accession), *accession_order(Experiment.accession),
                  *accession_order(Run.accession))
    )
    result = conn.execution_options(yield_per=yield_per).execute(query)
    try:
        yield from result.mappings()
    finally:
        result.close()


def scope_children(conn: Connection, kind: str, scope_id: int) -> list[Mapping[str, Any]]:
    """The direct children of a project (samples) or a sample (experiments), with no runs needed:
    a sample or experiment without runs is still a (empty) bundle."""
    if kind == "project":
        q = select(Sample.accession, Sample.alias.label("name")).where(Sample.project_id == scope_id)
        order = accession_order(Sample.accession)
    elif kind == "sample":
        q = select(Experiment.accession, Experiment.accession.label("name")).where(
            Experiment.sample_id == scope_id)
        order = accession_order(Experiment.accession)
    else:
        raise ValueError(kind)
    return list(conn.execute(q.order_by(*order)).mappings())


def scope_experiments(conn: Connection, kind: str, scope_id: int) -> list[Mapping[str, Any]]:
    """The experiments under a project or sample (with their sample), runs or not."""
    column = {"project": Sample.project_id, "sample": Experiment.sample_id}[kind]
    return list(conn.execute(
        select(Experiment.accession, Sample.accession.label("sample_accession"), Experiment.created_at)
        .join(Sample, Experiment.sample_id == Sample.id).where(column == scope_id)
        .order_by(*accession_order(Experiment.accession))).mappings())
