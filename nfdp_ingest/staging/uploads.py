"""MinIO mode, for files too big to push through the API: a multipart upload straight into
the staging bucket with presigned part URLs, resumable (the parts already there are
listed), and verified once complete — the server reads the object once (size, MD5,
SHA-256, type) before it counts as staged; a mismatch removes it.

The upload's public id is its ``staged_file`` row id, so every call is checked against
the owner; the S3 upload id stays in the row.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy.engine import Engine

from ..errors import InvalidInput
from ..files import FileProblem
from ..files.stream import StreamHashingReader
from ..registry.db import transaction
from ..registry.models import StagedFile
from . import records
from .names import check_name
from .service import InUse, NotStaged, facts_dict

URL_LIFETIME = timedelta(hours=24)
MAX_PARTS = 10_000


def part_size(area, size: int) -> int:
    return area.storage._part_size(size)


def _part_count(size: int, part: int) -> int:
    return max(1, math.ceil(size / part))


def _urls(area, row: StagedFile, numbers: list[int]) -> list[dict]:
    key = area.key(row.location)
    return [{"part_number": n, "url": area.storage.signer.get_presigned_url(
        "PUT", area.bucket, key, expires=URL_LIFETIME,
        extra_query_params={"uploadId": row.upload_id, "partNumber": str(n)})} for n in numbers]


def _view(area, row: StagedFile, done: list) -> dict:
    part = part_size(area, row.size)
    have = {p.part_number for p in done}
    missing = [n for n in range(1, _part_count(row.size, part) + 1) if n not in have]
    parts = [{"part_number": p.part_number, "size": p.size, "etag": p.etag, "url": None} for p in done]
    parts += _urls(area, row, missing)
    return {"upload_id": str(row.id), "name": row.name, "size": row.size, "part_size": part,
            "parts": sorted(parts, key=lambda p: p["part_number"])}


def start(engine: Engine, area, owner: int, name: str, size: int, md5: str) -> dict:
    """A new multipart upload, or — when this owner's upload of the same name, size and MD5
    is in progress — that one, with the parts already there (``resumed``: true)."""
    check_name(name)
    area.ensure_bucket()
    with transaction(engine) as session:
        row = records.get(session, owner, name)
        if row is not None and (acc := records.live_claim(session, row)):
            raise InUse(f"{name} is used by submission {acc}, which has not ended; try again after it")
        if (row is not None and row.state == "uploading" and row.size == size
                and row.md5 == md5.lower() and row.upload_id):
            view = _view(area, row, _parts(area, row))  # the same file again: resume that upload
            return {**view, "resumed": True}
    location = area.location(owner, name)
    upload_id = area.storage.retry.call(
        f"starting an upload to {location}", area.storage.client._create_multipart_upload,
        area.bucket, area.key(location), {"Content-Type": "application/octet-stream"})
    with transaction(engine) as session:
        row = records.put(session, owner, name, facts={"size": size, "md5": md5.lower()}, location=location,
                          state="uploading", upload_id=upload_id)
        return {**_view(area, row, []), "resumed": False}


def _row(session, owner: int, upload: str) -> StagedFile:
    row = session.get(StagedFile, int(upload)) if upload.isdigit() else None
    if row is None or row.owner_id != owner or row.state != "uploading":
        raise NotStaged(f"no upload {upload!r} in progress")
    return row


def _parts(area, row: StagedFile) -> list:
    out, marker = [], None
    while True:
        result = area.storage.retry.call(
            f"listing the parts of {row.location}", area.storage.client._list_parts,
            area.bucket, area.key(row.location), row.upload_id, max_parts=1000, part_number_marker=marker)
        out.extend(result.parts)
        if not result.is_truncated:
            return out
        marker = result.next_part_number_marker


def show(engine: Engine, area, owner: int, upload: str) -> dict:
    with transaction(engine) as session:
        row = _row(session, owner, upload)
        return _view(area, row, _parts(area, row))


def complete(engine: Engine, area, owner: int, upload: str) -> dict:
    """Complete the upload, then read the object once to check it; the staged row's dict."""
    with transaction(engine) as session:
        row = _row(session, owner, upload)
        row_id, name, size, md5, location, upload_id = (row.id, row.name, row.size, row.md5, row.location,
                                                        row.upload_id)
        parts = _parts(area, row)
    expected = _part_count(size, part_size(area, size))
    if [p.part_number for p in parts] != list(range(1, expected + 1)):
        missing = sorted(set(range(1, expected + 1)) - {p.part_number for p in parts})
        raise InvalidInput(f"{name}: parts {missing[:20]} are not uploaded yet (GET the upload to resume)")
    key = area.key(location)
    area.storage.retry.call(f"completing {location}", area.storage.client._complete_multipart_upload,
                            area.bucket, key, upload_id, parts)
    try:
        facts = _verify(area, key, name, size, md5)
    except FileProblem:
        area.remove(location)
        with transaction(engine) as session:
            records.forget(session, [row_id])
        raise
    with transaction(engine) as session:
        row = records.put(session, owner, name, facts=facts_dict(facts), location=location)
        return records.as_dict(row)


def _verify(area, key: str, name: str, size: int, md5: str):
    response = area.storage.retry.call(f"reading {area.bucket}/{key}", area.storage.client.get_object,
                                       area.bucket, key)
    try:
        reader = StreamHashingReader(response, filename=name, length=size, parallel=False)
        buf = bytearray(8 * 1024 * 1024)
        while reader.readinto(buf):
            pass
        return reader.finish(md5)
    finally:
        response.close()
        response.release_conn()


def abort(engine: Engine, area, owner: int, upload: str) -> None:
    with transaction(engine) as session:
        row = _row(session, owner, upload)
        location, upload_id, row_id = row.location, row.upload_id, row.id
        records.forget(session, [row_id])
    area.abort(location, upload_id)
