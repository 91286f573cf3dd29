"""GA4GH DRS 1.2 shapes (pydantic), for the OpenAPI document of /ga4gh/drs/v1."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Checksum(BaseModel):
    checksum: str
    type: str = Field(description="md5 or sha-256")


class AccessURL(BaseModel):
    url: str
    headers: list[str] | None = None


class AccessMethod(BaseModel):
    type: Literal["s3", "gs", "ftp", "gsiftp", "globus", "htsget", "https", "file"]
    access_url: AccessURL | None = None
    access_id: str | None = None
    region: str | None = None


class ContentsObject(BaseModel):
    name: str
    id: str | None = None
    drs_uri: list[str] | None = None
    contents: list[ContentsObject] | None = None


class DrsObject(BaseModel):
    id: str
    name: str | None = None
    self_uri: str
    size: int
    created_time: str = Field(description="RFC 3339")
    updated_time: str | None = None
    version: str | None = None
    mime_type: str | None = None
    checksums: list[Checksum]
    access_methods: list[AccessMethod] | None = None
    contents: list[ContentsObject] | None = None
    description: str | None = None
    aliases: list[str] | None = None


class DrsError(BaseModel):
    msg: str
    status_code: int


class ServiceType(BaseModel):
    group: str
    artifact: str
    version: str


class Organization(BaseModel):
    name: str
    url: str


class ServiceInfo(BaseModel):
    id: str
    name: str
    type: ServiceType
    description: str | None = None
    organization: Organization
    version: str
    environment: str | None = None


class ObjectRequest(BaseModel):
    expand: bool = False
    passports: list[str] | None = None


class AccessRequest(BaseModel):
    passports: list[str] | None = None
