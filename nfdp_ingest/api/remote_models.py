"""Request and response bodies of staging and submissions (remote labs), pydantic v2."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class StagedFile(BaseModel):
    name: str
    size: int | None
    md5: str | None
    sha256: str | None
    file_type: str | None
    state: Literal["staged", "uploading"]
    created_at: str
    last_used_at: str


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1, le=5 * 1024 ** 4)
    md5: str = Field(pattern=r"^[0-9a-fA-F]{32}$")


class UploadPart(BaseModel):
    part_number: int
    url: str | None = None
    size: int | None = None
    etag: str | None = None


class Upload(BaseModel):
    upload_id: str
    name: str
    size: int
    part_size: int
    parts: list[UploadPart]
    resumed: bool | None = Field(None, description="an upload of the same name, size and MD5 was taken up again")


class SubmissionAccepted(BaseModel):
    accession: str
    status: Literal["queued"]


class SubmissionProgress(BaseModel):
    files_done: int
    files_total: int | None
    bytes_done: int
    bytes_total: int | None


class SubmissionState(BaseModel):
    accession: str
    project: str
    status: Literal["queued", "running", "committed", "failed"]
    sheet: str
    created_at: str
    finished_at: str | None
    progress: SubmissionProgress | None
    report: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    exit_code: int | None = Field(None, description="failed: 1 the sheet's or files' fault, 3 the server's")


class ValidationReport(BaseModel):
    """The same JSON report as ``nfdp-ingest validate --format json``."""

    model_config = ConfigDict(extra="allow")
    valid: bool
    checklist: str | None = None
    error_count: int
    warning_count: int
