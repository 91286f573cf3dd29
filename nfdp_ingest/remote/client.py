"""A small client of the NFDP API's staging and submission endpoints (httpx).

Every failure becomes an NfdpError with the exit code ``submit`` would use: the server
unreachable or answering 5xx → 3; a refused token → 2; a refused sheet or file → 1.
The token is sent, never printed.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import InfrastructureError, InvalidInput, UsageError

CHUNK = 1024 * 1024
log = logging.getLogger("nfdp_ingest.remote")


class ServerRefused(InvalidInput):
    """A 4xx answer; ``body`` is its JSON (the validation report for an invalid sheet)."""

    def __init__(self, message: str, status: int, body: dict):
        super().__init__(message)
        self.status, self.body = status, body


class Client:
    def __init__(self, server: str, token: str | None, *, timeout: float = 60.0):
        if not token:
            raise UsageError("set NFDP_TOKEN to your API token (nfdp-ingest token create on the server)")
        server = server.rstrip("/")
        if not server.startswith(("http://", "https://")):
            raise UsageError(f"--server {server!r}: give the server's URL, e.g. https://nfdp.example.org")
        self.server = server
        self.http = httpx.Client(base_url=server + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                                 timeout=httpx.Timeout(timeout, connect=10.0))

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kw) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise InfrastructureError(f"the server {self.server} cannot be reached ({type(exc).__name__}: "
                                      f"{exc})") from None
        if response.status_code >= 500:
            raise InfrastructureError(f"the server {self.server} failed ({response.status_code}): "
                                      f"{_detail(response)}")
        if response.status_code in (401, 403):
            raise UsageError(f"the server refused the token ({response.status_code}): {_detail(response)}")
        if response.status_code >= 400:
            body = _json(response)
            raise ServerRefused(_detail(response), response.status_code, body)
        return response

    # -- staging ----------------------------------------------------------------------
    def staged(self) -> dict[str, dict]:
        """name → staged file (size, md5, …) of this token."""
        out, page = {}, 1
        while True:
            r = self._call("GET", "/staging/", params={"page": page, "per_page": 1000})
            for item in r.json():
                out[item["name"]] = item
            if page * 1000 >= int(r.headers.get("X-Total-Count", "0")):
                return out
            page += 1

    def stage(self, path: Path, name: str, md5: str, progress=None) -> dict:
        size = path.stat().st_size
        headers = {"Content-MD5": base64.b64encode(bytes.fromhex(md5)).decode(),
                   "Content-Length": str(size), "Content-Type": "application/octet-stream"}
        r = self._call("PUT", f"/staging/{quote(name, safe='')}", content=_chunks(path, progress),
                       headers=headers, timeout=httpx.Timeout(None, connect=10.0))
        return r.json()

    def stage_in_parts(self, path: Path, name: str, md5: str, progress=None) -> dict | None:
        """MinIO servers: a presigned multipart upload, taking up an unfinished one of the same
        file (only the missing parts are sent). None when the server has no such uploads."""
        size = path.stat().st_size
        try:
            up = self._call("POST", "/staging/uploads", json={"name": name, "size": size, "md5": md5}).json()
        except ServerRefused as exc:
            if exc.status == 409 and "MinIO mode" in exc.message:
                return None
            raise
        todo = [p for p in up["parts"] if p.get("url")]
        if up.get("resumed"):
            log.info("%s: resuming an upload, %d of %d parts already there", name,
                     len(up["parts"]) - len(todo), len(up["parts"]))
        if progress is not None:
            progress.advance(size - sum(min(up["part_size"], size - (p["part_number"] - 1) * up["part_size"])
                                        for p in todo))
        with httpx.Client(timeout=httpx.Timeout(None, connect=10.0)) as plain:  # presigned: no token sent
            for part in todo:
                offset = (part["part_number"] - 1) * up["part_size"]
                length = min(up["part_size"], size - offset)
                try:
                    r = plain.put(part["url"], content=_chunks(path, progress, offset, length),
                                  headers={"Content-Length": str(length)})
                except httpx.TransportError as exc:
                    raise InfrastructureError(f"uploading part {part['part_number']} of {name} failed "
                                              f"({exc}); run again to resume") from None
                if r.status_code != 200:
                    raise InfrastructureError(f"uploading part {part['part_number']} of {name}: storage "
                                              f"answered {r.status_code}; run again to resume")
        return self._call("POST", f"/staging/uploads/{up['upload_id']}/complete",
                          timeout=httpx.Timeout(None, connect=10.0)).json()

    # -- submissions ------------------------------------------------------------------
    def submit(self, sheet: Path, project: str, checklist: str | None = None) -> dict:
        data = {"project": project, **({"checklist": checklist} if checklist else {})}
        with open(sheet, "rb") as fh:
            return self._call("POST", "/submissions/", data=data, files={"sheet": (sheet.name, fh)}).json()

    def status(self, accession: str) -> dict:
        return self._call("GET", f"/submissions/{quote(accession, safe='')}").json()

    def validate(self, sheet: Path, checklist: str | None = None) -> dict:
        with open(sheet, "rb") as fh:
            return self._call("POST", "/validate", data={"checklist": checklist} if checklist else {},
                              files={"sheet": (sheet.name, fh)}).json()


def _chunks(path: Path, progress, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(offset)
        left = length
        while data := fh.read(CHUNK if left is None else min(CHUNK, left)):
            if left is not None:
                left -= len(data)
            if progress is not None:
                progress.advance(len(data))
            yield data


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(response: httpx.Response) -> str:
    return str(_json(response).get("detail") or response.text[:500] or response.reason_phrase)
