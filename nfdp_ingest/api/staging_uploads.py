"""/api/v1/staging/uploads: presigned multipart uploads into the staging bucket (MinIO mode)."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from pydantic import ValidationError

from ..errors import InvalidInput
from ..files import FileProblem
from ..staging import uploads
from ..staging.names import BadName
from ..staging.service import InUse, NotStaged
from .common import ApiError, json_response, state
from .remote_models import StagedFile, Upload, UploadCreate
from .spec import doc
from .staging import SECURITY, owner, staging_area

bp = Blueprint("staging_uploads", __name__)


def _area():
    area = staging_area()
    if area.mode != "minio":
        raise ApiError(409, "presigned uploads exist in MinIO mode only; PUT /api/v1/staging/{filename} instead")
    return area


@bp.post("/staging/uploads")
@doc("staging", (Upload, "Started: one presigned PUT URL per part"), 201, op="start_upload",
     json=UploadCreate, security=SECURITY, errors={
         400: "Bad body or file name", 401: "Missing or bad token", 409: "Local mode, or the name is in use"})
def start_upload():
    """Start a multipart upload (presigned part URLs)"""
    who = owner()
    try:
        body = UploadCreate.model_validate(request.get_json(force=True, silent=True))
    except ValidationError as exc:
        raise ApiError(400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                      for e in exc.errors(include_url=False))) from None
    try:
        view = uploads.start(state().write_engine, _area(), who, body.name, body.size, body.md5)
    except BadName as exc:
        raise ApiError(400, str(exc)) from None
    except InUse as exc:
        raise ApiError(409, exc.message) from None
    return json_response(view, 201, {"Location": url_for("staging_uploads.show_upload",
                                                         upload=view["upload_id"])})


@bp.get("/staging/uploads/<upload>")
@doc("staging", Upload, op="show_upload", security=SECURITY,
     errors={401: "Missing or bad token", 404: "No such upload of this token", 409: "Local mode"})
def show_upload(upload: str):
    """The parts already uploaded, and URLs for the rest (resume)"""
    who = owner()
    try:
        return json_response(uploads.show(state().write_engine, _area(), who, upload))
    except NotStaged as exc:
        raise ApiError(404, exc.message) from None


@bp.post("/staging/uploads/<upload>/complete")
@doc("staging", (StagedFile, "Staged"), 201, op="complete_upload", security=SECURITY, errors={
    401: "Missing or bad token", 404: "No such upload of this token",
    409: "Parts are missing, or local mode", 422: "The object's size, MD5 or type is not what was announced (removed)"})
def complete_upload(upload: str):
    """Complete an upload; the server reads it once to verify it"""
    who = owner()
    try:
        row = uploads.complete(state().write_engine, _area(), who, upload)
    except NotStaged as exc:
        raise ApiError(404, exc.message) from None
    except FileProblem as exc:
        raise ApiError(422, f"{exc.message}; nothing was staged") from None
    except InvalidInput as exc:  # parts missing, or the name is in use
        raise ApiError(409, exc.message) from None
    return json_response(row, 201)


@bp.delete("/staging/uploads/<upload>")
@doc("staging", None, 204, op="abort_upload", security=SECURITY,
     errors={401: "Missing or bad token", 404: "No such upload of this token", 409: "Local mode"})
def abort_upload(upload: str):
    """Abandon an upload"""
    who = owner()
    try:
        uploads.abort(state().write_engine, _area(), who, upload)
    except NotStaged as exc:
        raise ApiError(404, exc.message) from None
    return "", 204
