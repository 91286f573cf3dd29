"""/api/v1/staging/: a token's staged files (PUT streams one in, GET lists, DELETE removes).

The body of a PUT is never read whole: it streams through the single-pass reader into
the staging area (local folder or the ``nfdp-staging`` bucket) and is refused (422,
nothing kept) when it ends early, has another MD5 than ``Content-MD5`` / ``X-Checksum-MD5``
says, or is not of the type its name promises.
"""

from __future__ import annotations

import base64
import binascii
import re

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.orm import Session
from werkzeug.exceptions import ClientDisconnected

from ..files import FileProblem
from ..staging import service
from ..staging.names import BadName, check_name
from . import access
from .common import ApiError, json_response, paginated, pagination, state
from .remote_models import StagedFile
from .spec import doc

bp = Blueprint("staging", __name__)
HEX_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
SECURITY = {"bearerAuth": []}
MAX_STAGED = 5 * 1024 ** 4  # S3's largest object


def staging_area():
    """The app's staging area (one per app, opened on first use)."""
    from ..staging.area import open_area

    ext = current_app.extensions
    if "nfdp_staging" not in ext:
        st = state()
        ext["nfdp_staging"] = open_area(st.settings, st.storage)
    return ext["nfdp_staging"]


def owner(action: str = "stage") -> int:
    with Session(state().read_engine) as session:
        return access.require(session, action).id


def plain_name(name: str) -> str:
    try:
        return check_name(name)
    except BadName as exc:
        raise ApiError(400, str(exc)) from None


def declared_md5() -> str | None:
    """The MD5 the client announces: ``Content-MD5`` (base64, RFC 1864) or ``X-Checksum-MD5`` (hex)."""
    b64 = request.headers.get("Content-MD5")
    hexed = request.headers.get("X-Checksum-MD5")
    if b64 is not None:
        try:
            raw = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 16:
            raise ApiError(400, "Content-MD5 must be the base64 of the 16 MD5 bytes")
        if hexed is not None and hexed.strip().lower() != raw.hex():
            raise ApiError(400, "Content-MD5 and X-Checksum-MD5 disagree")
        return raw.hex()
    if hexed is not None:
        if not HEX_MD5.match(hexed.strip()):
            raise ApiError(400, "X-Checksum-MD5 must be 32 hexadecimal digits")
        return hexed.strip().lower()
    return None


class _Body:
    """The request body as the reader wants it: a client gone mid-body is an OSError."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        try:
            return self.stream.read(n)
        except ClientDisconnected as exc:
            raise OSError("the client disconnected before the end of the body") from exc


@bp.put("/staging/<filename>")
@doc("staging", (StagedFile, "Staged"), 201, op="stage_file", security=SECURITY, errors={
    400: "Not a plain file name, or a malformed Content-MD5", 401: "Missing, unknown or revoked token",
    403: "The token may not stage files", 409: "A running submission uses a file of this name",
    422: "The body is not a supported data file, ended early, or has another MD5 than announced"})
def stage_file(filename: str):
    """Stage a file (the body, streamed)"""
    name = plain_name(filename)
    who = owner()
    md5 = declared_md5()
    # Streamed to storage, never held in memory. (None would fall back to the app's 1 MiB.)
    request.max_content_length = MAX_STAGED
    length = request.content_length
    try:
        row = service.stage(state().write_engine, staging_area(), who, name, _Body(request.stream),
                            length=length, declared_md5=md5)
    except FileProblem as exc:
        raise ApiError(422, f"{exc.message}; nothing was staged") from None
    except service.InUse as exc:
        raise ApiError(409, exc.message) from None
    return json_response(row, 201, {"Location": url_for("staging.list_staged") + name})


@bp.get("/staging/")
@doc("staging", list[StagedFile], op="list_staged", security=SECURITY,
     errors={400: "Bad page or per_page", 401: "Missing, unknown or revoked token"})
def list_staged():
    """List the token's staged files"""
    who = owner()
    page, per_page = pagination()
    rows = service.listing(state().read_engine, who)
    start = (page - 1) * per_page
    return paginated(rows[start:start + per_page], len(rows), page, per_page)


@bp.delete("/staging/<filename>")
@doc("staging", None, 204, op="delete_staged", security=SECURITY, errors={
    400: "Not a plain file name", 401: "Missing, unknown or revoked token",
    404: "No staged file of this name (for this token)", 409: "A running submission uses it"})
def delete_staged(filename: str):
    """Remove a staged file"""
    name = plain_name(filename)
    who = owner()
    try:
        service.delete(state().write_engine, staging_area(), who, name)
    except service.NotStaged as exc:
        raise ApiError(404, exc.message) from None
    except service.InUse as exc:
        raise ApiError(409, exc.message) from None
    return "", 204
