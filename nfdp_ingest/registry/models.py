"""The registry's tables (ENA hierarchy), as SQLAlchemy 2 typed models.

Project ─< Sample ─< Experiment ─< Run ─< QCReport; Submission journals one
sheet's ingest (SubmissionItem rows hold the reserved accessions until the
single commit that makes every entity visible at once).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, int: Integer}


class AccessionCounter(Base):
    """One row per accession type; bumped atomically to reserve numbers."""

    __tablename__ = "accession_counter"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # PRJ SAM EXP RUN SUB
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class Project(Base):
    __tablename__ = "project"
    id: Mapped[int] = mapped_column(primary_key=True)
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    project_type: Mapped[str | None] = mapped_column(String(100))
    release_date: Mapped[date | None] = mapped_column(Date, index=True)  # in the future: embargoed
    ena_accession: Mapped[str | None] = mapped_column(String(32))  # PRJEB…
    ena_secondary_accession: Mapped[str | None] = mapped_column(String(32))  # ERP…
    center_name: Mapped[str | None] = mapped_column(String(500))  # overrides NFDP_ENA_CENTER_NAME
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    samples: Mapped[list[Sample]] = relationship(back_populates="project")


class Submission(Base):
    __tablename__ = "submission"
    id: Mapped[int] = mapped_column(primary_key=True)
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    sheet_name: Mapped[str] = mapped_column(String(1000))
    # Identity of a sheet for resume/duplicate detection: content hash + project.
    sheet_sha256: Mapped[str] = mapped_column(String(64), index=True)
    checklist_id: Mapped[str] = mapped_column(String(64))
    storage: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="reserved")  # reserved|committed|failed
    error: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Submissions over HTTP (jobs): who submitted, the job's JSON arguments (to resume it),
    # its progress, and its outcome (the report when committed, every error when failed).
    token_id: Mapped[int | None] = mapped_column(Integer)
    job: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    items: Mapped[list[SubmissionItem]] = relationship(
        back_populates="submission", order_by="SubmissionItem.id"
    )


class SubmissionItem(Base):
    """Journal: one planned entity with its reserved accession."""

    __tablename__ = "submission_item"
    __table_args__ = (UniqueConstraint("submission_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # sample | experiment | run
    key: Mapped[str] = mapped_column(String(2000))  # alias / experiment key / filename
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="planned")  # planned|stored
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # size, md5, sha256, path once stored

    submission: Mapped[Submission] = relationship(back_populates="items")


class Sample(Base):
    __tablename__ = "sample"
    __table_args__ = (UniqueConstraint("project_id", "alias"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    alias: Mapped[str] = mapped_column(String(500))
    organism: Mapped[str | None] = mapped_column(String(500))
    tax_id: Mapped[int | None] = mapped_column(Integer)
    checklist_id: Mapped[str | None] = mapped_column(String(64))
    collection_date: Mapped[str | None] = mapped_column(String(32))
    geographic_location: Mapped[str | None] = mapped_column(String(500))
    breed: Mapped[str | None] = mapped_column(String(500))
    host: Mapped[str | None] = mapped_column(String(500))
    tissue: Mapped[str | None] = mapped_column(String(500))
    sex: Mapped[str | None] = mapped_column(String(64))
    developmental_stage: Mapped[str | None] = mapped_column(String(500))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ena_accession: Mapped[str | None] = mapped_column(String(32))  # ERS…
    biosample_accession: Mapped[str | None] = mapped_column(String(32))  # SAMEA…
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="samples")
    experiments: Mapped[list[Experiment]] = relationship(back_populates="sample")


# Sample columns kept as real columns; every other checklist field goes to attributes.
SAMPLE_COLUMNS = (
    "organism", "tax_id", "collection_date", "geographic_location",
    "breed", "host", "tissue", "sex", "developmental_stage",
)

EXPERIMENT_FIELDS = (
    "platform", "instrument_model", "library_strategy", "library_source",
    "library_selection", "library_layout", "insert_size", "library_name",
)


class Experiment(Base):
    __tablename__ = "experiment"
    __table_args__ = (
        Index("ix_experiment_key", "sample_id", "platform", "instrument_model", "library_strategy"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True)
    platform: Mapped[str] = mapped_column(String(64))
    instrument_model: Mapped[str] = mapped_column(String(128))
    library_strategy: Mapped[str] = mapped_column(String(64))
    library_source: Mapped[str] = mapped_column(String(64))
    library_selection: Mapped[str | None] = mapped_column(String(64))
    library_layout: Mapped[str] = mapped_column(String(16))
    insert_size: Mapped[int | None] = mapped_column(Integer)
    library_name: Mapped[str | None] = mapped_column(String(500))
    ena_accession: Mapped[str | None] = mapped_column(String(32))  # ERX…
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    sample: Mapped[Sample] = relationship(back_populates="experiments")
    runs: Mapped[list[Run]] = relationship(back_populates="experiment")


class Run(Base):
    __tablename__ = "run"
    __table_args__ = (
        Index("ix_run_filename_md5", "filename", "checksum_md5"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(1000))
    file_type: Mapped[str] = mapped_column(String(16))
    file_size: Mapped[int] = mapped_column(BigInteger)
    checksum_md5: Mapped[str] = mapped_column(String(32))
    checksum_sha256: Mapped[str] = mapped_column(String(64))
    read_direction: Mapped[str] = mapped_column(String(16))  # forward | reverse | single
    # The other file of the same sheet row (paired FASTQ); ENA puts both in one RUN.
    mate_accession: Mapped[str | None] = mapped_column(String(32))
    file_path: Mapped[str] = mapped_column(String(2000))
    read_count: Mapped[int | None] = mapped_column(BigInteger)
    ena_accession: Mapped[str | None] = mapped_column(String(32))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    experiment: Mapped[Experiment] = relationship(back_populates="runs")
    qc_reports: Mapped[list[QCReport]] = relationship(back_populates="run", order_by="QCReport.id")


class QCReport(Base):
    __tablename__ = "qc_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    tool: Mapped[str] = mapped_column(String(32))  # FastQC | MultiQC
    status: Mapped[str] = mapped_column(String(16))  # passed | warn | failed
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report_path: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    run: Mapped[Run] = relationship(back_populates="qc_reports")


class ArchiveSubmission(Base):
    """One exchange with ENA's Webin service: what was sent, the receipt, the accessions it gave.

    Written (status ``received``) before any accession is written back, so a process killed in
    between leaves the receipt here; the next ``ena submit`` applies it first (status ``applied``)."""

    __tablename__ = "archive_submission"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    server: Mapped[str] = mapped_column(String(500))
    test: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[str] = mapped_column(String(32))  # ADD | MODIFY | ADD+MODIFY
    objects: Mapped[dict[str, Any]] = mapped_column(JSON)  # {type: [alias, …]}
    status: Mapped[str] = mapped_column(String(16))  # sent | received | applied | failed | rejected
    http_status: Mapped[int | None] = mapped_column(Integer)
    success: Mapped[bool | None] = mapped_column(Boolean)
    receipt_xml: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"error": [...], "info": [...]}
    accessions: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {type: {alias: {...}}}
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token: its role (submitter | curator | admin) and the projects it may act on."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    role: Mapped[str] = mapped_column(String(16))  # submitter | curator | admin
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    projects: Mapped[list[Project]] = relationship(
        secondary="api_token_project", lazy="selectin", order_by="Project.id")

    @property
    def project_accessions(self) -> list[str]:
        return [p.accession for p in self.projects]

    @property
    def project_ids(self) -> frozenset[int]:
        return frozenset(p.id for p in self.projects)


class ApiTokenProject(Base):
    """Token ↔ project: the projects a submitter or curator token may act on and see."""

    __tablename__ = "api_token_project"
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class StagedFile(Base):
    """A file a remote submitter uploaded (per token), until a submission claims and releases it."""

    __tablename__ = "staged_file"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, index=True)  # api_token.id
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="staged")  # uploading | staged
    size: Mapped[int | None] = mapped_column(BigInteger)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    file_type: Mapped[str | None] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(2000))  # local path, or "bucket/key"
    upload_id: Mapped[str | None] = mapped_column(String(1000))  # presigned multipart upload
    claimed_by: Mapped[int | None] = mapped_column(Integer, index=True)  # submission.id using it
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Lists are ordered by accession *number* (see accessions.accession_order):
# expression indexes on (length(accession), accession), alone and after the
# columns the API filters on, so a page is an index walk, not a sort.
def _order_index(name: str, table, *leading: str) -> Index:
    columns = [table.c[c] for c in leading]
    return Index(name, *columns, func.length(table.c.accession), table.c.accession)


for _model in (Project, Sample, Experiment, Run):
    _order_index(f"ix_{_model.__tablename__}_accession_order", _model.__table__)
_order_index("ix_experiment_platform", Experiment.__table__, "platform")
_order_index("ix_experiment_strategy", Experiment.__table__, "library_strategy")
_order_index("ix_run_file_type", Run.__table__, "file_type")


class SearchDoc(Base):
    """One searchable document per project, sample and run, written by database triggers
    (migration 0007); PostgreSQL adds a generated ``tsv`` column, SQLite an FTS5 index."""

    __tablename__ = "search_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
