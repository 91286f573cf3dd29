"""The API's request and response bodies, declared once (pydantic v2).

The OpenAPI document is generated from these (``api/spec.py``); the POST body is
parsed with ``ExperimentCreate``; responses are built from each model's field
list (``fields_of``) without re-validating our own database rows (api/serializers.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    StrictStr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

# ISO 8601 in UTC without an offset, as the seed shows ("2026-01-15T10:30:00"); JSON Schema's
# "date-time" format requires an offset, so the shape is given as a pattern instead.
Timestamp = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
                                 description="ISO 8601, UTC", examples=["2026-01-15T10:30:00"])]


class Project(BaseModel):
    accession: str
    title: str
    description: str | None
    project_type: str | None
    release_date: date | None
    created_at: Timestamp
    ena_accession: str | None = Field(None, description="ENA project (PRJEB…) once brokered")
    ena_secondary_accession: str | None = Field(None, description="ENA study (ERP…) once brokered")


class Sample(BaseModel):
    accession: str
    project_accession: str
    alias: str
    organism: str | None
    tax_id: int | None
    checklist_id: str | None
    collection_date: str | None
    geographic_location: str | None
    breed: str | None
    host: str | None
    tissue: str | None
    sex: str | None
    developmental_stage: str | None
    attributes: dict[str, Any]
    created_at: Timestamp
    ena_accession: str | None = Field(None, description="ENA sample (ERS…) once brokered")
    biosample_accession: str | None = Field(None, description="BioSample (SAMEA…) once brokered")


class Experiment(BaseModel):
    """The seed's create fields plus accession, the project, and the other stored library fields."""

    accession: str
    sample_accession: str
    project_accession: str
    platform: str
    instrument_model: str
    library_strategy: str
    library_source: str
    library_layout: str
    insert_size: int | None
    library_selection: str | None
    library_name: str | None
    created_at: Timestamp
    ena_accession: str | None = Field(None, description="ENA experiment (ERX…) once brokered")


class Run(BaseModel):
    """The seed's run fields first, then the parents, then what the file needs."""

    accession: str
    ena_accession: str | None
    file_type: str
    file_size: int
    checksum_md5: str
    created_at: Timestamp
    experiment_accession: str
    sample_accession: str
    project_accession: str
    filename: str
    file_path: str
    checksum_sha256: str
    read_direction: Literal["forward", "reverse", "single"]
    mate_accession: str | None = Field(None, description="the other file of the same sheet row (paired FASTQ)")


class SearchHit(BaseModel):
    """One search hit; ``title`` is a project's title, a sample's alias or a run's file name."""

    type: Literal["project", "sample", "run"]
    accession: str
    title: str
    summary: str = Field(description="organism, breed and location of a sample; type and size of a run")
    project_accession: str


def _whole_number(value: Any) -> Any:
    """JSON true/false and 350.0 are not insert sizes (pydantic's lax int would take them)."""
    if isinstance(value, (bool, float)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


class ExperimentCreate(BaseModel):
    """POST /api/v1/experiments/. ``platform``, ``library_source`` and ``library_selection`` may be
    left out: the platform follows from a single-platform instrument, the source from the strategy,
    the selection defaults to ``unspecified`` (the same rules as the sample sheet)."""

    model_config = ConfigDict(extra="forbid")

    sample_accession: Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        examples=["NFDP-SAM-000001"])
    platform: StrictStr | None = Field(None, examples=["ILLUMINA"],
                                       description="ILLUMINA, OXFORD_NANOPORE, PACBIO_SMRT, …")
    instrument_model: StrictStr = Field(examples=["Illumina NovaSeq 6000"])
    library_strategy: StrictStr = Field(examples=["WGS"], description="WGS, WXS, RNA-Seq, AMPLICON, …")
    library_source: StrictStr | None = Field(None, examples=["GENOMIC"])
    library_layout: StrictStr = Field(examples=["PAIRED"], description="PAIRED or SINGLE")
    insert_size: Annotated[PositiveInt, BeforeValidator(_whole_number)] | None = Field(
        None, examples=[350], description="Insert size in bp")
    library_selection: StrictStr | None = Field(None, examples=["RANDOM"])
    library_name: StrictStr | None = None


class EnaExchange(BaseModel):
    """One exchange with ENA's Webin service."""

    server: str
    test: bool = Field(description="ENA's test server: its accessions vanish within a day, never shown on records")
    action: str = Field(examples=["ADD"])
    status: str = Field(description="sent, received, applied, recovered, rejected or test")
    success: bool | None
    http_status: int | None
    created_at: Timestamp
    applied_at: Timestamp | None
    objects: dict[str, int] = Field(description="how many objects of each kind were sent")
    messages: dict[str, list[str]] = Field(description="the receipt's ERROR and INFO lines")


class EnaStatus(BaseModel):
    """What has been brokered to ENA for a project: its accessions, counts, every exchange."""

    accession: str
    ena_accession: str | None
    ena_secondary_accession: str | None
    center_name: str | None
    brokered: dict[str, int] = Field(description="records of each kind that carry an ENA accession")
    total: dict[str, int] = Field(description="records of each kind in the project")
    last_exchange: EnaExchange | None
    exchanges: list[EnaExchange] = Field(description="most recent first")


class DevDownload(BaseModel):
    """Local (dev) mode: where the file lies."""

    accession: str
    file_path: str
    file_size: int
    checksum_md5: str
    message: str


class DownloadRedirect(BaseModel):
    """MinIO mode: the body of the 307 (its first line carries the URL, for ``curl -s … | head -1``)."""

    accession: str
    download_url: str
    expires_in: int


class QCEntry(BaseModel):
    tool: str
    status: str
    summary: dict[str, Any]
    report_url: str | None
    created_at: Timestamp


class QC(BaseModel):
    """The seed's QC shape; the top-level fields are those of the most recent report."""

    status: str = Field(description="passed / warn / failed, or pending when QC has not run")
    tool: str | None = None
    summary: dict[str, Any] | None = None
    report_url: str | None = None
    reports: list[QCEntry]


class FileReportRow(BaseModel):
    """One run file (all fields unless ``fields=`` chose some)."""

    run_accession: str | None = None
    experiment_accession: str | None = None
    sample_accession: str | None = None
    project_accession: str | None = None
    organism: str | None = None
    tax_id: int | None = None
    file_type: str | None = None
    filename: str | None = None
    file_path: str | None = None
    file_size: int | None = None
    checksum_md5: str | None = None
    checksum_sha256: str | None = None
    download_url: str | None = None
    platform: str | None = None
    instrument_model: str | None = None
    library_strategy: str | None = None
    library_source: str | None = None
    library_layout: str | None = None


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str
    storage: str
    detail: str | None = None
    jobs: dict[str, int] | None = Field(
        None, description="Workers' jobs per state (todo, doing, succeeded, failed, …); "
                          "only on PostgreSQL once `db upgrade` made the queue")


class FieldError(BaseModel):
    field: str
    message: str
    value: str | None = None


class Error(BaseModel):
    """Every error: ``{"detail": …}``; a 422 also lists each bad field in ``errors``."""

    detail: str
    errors: list[FieldError] | None = None


def fields_of(model: type[BaseModel]) -> tuple[str, ...]:
    """The model's field names in declaration order (the JSON member order)."""
    return tuple(model.model_fields)


RECORD_MODELS: dict[str, type[BaseModel]] = {
    "projects": Project, "samples": Sample, "experiments": Experiment, "runs": Run,
}
