"""HTTP for ``fetch``: urllib3 (already installed through minio; thread-safe pools, streaming,
no new dependency). Redirects are followed by hand so that our bearer token never goes to the
storage host a /files/ URL redirects to (a presigned URL carries its own signature)."""

from __future__ import annotations

import json
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from ..errors import InfrastructureError, InvalidInput

REDIRECTS = (301, 302, 303, 307, 308)


class Unreachable(InfrastructureError):
    """The server (or the storage it redirects to) did not answer."""


class Transient(Exception):
    """Worth retrying: a cut connection, a timeout, a 5xx."""


class Client:
    def __init__(self, server: str, *, token: str | None = None, threads: int = 4,
                 connect_timeout: float = 10.0, read_timeout: float = 60.0):
        self.server = server.rstrip("/")
        self.origin = urlsplit(self.server)[:2]
        self.token = token
        self.pool = urllib3.PoolManager(
            num_pools=8, maxsize=max(4, threads), retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout))

    def _headers(self, url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": "nfdp-ingest-fetch", **(extra or {})}
        if self.token and urlsplit(url)[:2] == self.origin:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def open(self, url: str, headers: dict[str, str] | None = None, *, max_redirects: int = 5):
        """A streaming response (the caller releases it), redirects followed."""
        for _ in range(max_redirects + 1):
            try:
                response = self.pool.request("GET", url, headers=self._headers(url, headers),
                                             preload_content=False, redirect=False)
            except Urllib3Error as exc:
                raise Transient(f"{url}: {type(exc).__name__}: {exc}") from exc
            if response.status in REDIRECTS and response.headers.get("Location"):
                response.drain_conn()
                response.release_conn()
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status >= 500:
                response.drain_conn()
                response.release_conn()
                raise Transient(f"{url}: HTTP {response.status}")
            return response
        raise InvalidInput(f"{url}: too many redirects")

    def get_text(self, path: str, params: dict[str, str] | None = None) -> tuple[int, str, dict]:
        url = self.server + path
        if params:
            url += "?" + urlencode(params)
        response = self.open(url)
        try:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
        finally:
            response.release_conn()

    def get_json(self, path: str, params: dict[str, str] | None = None) -> tuple[int, object]:
        status, text, _h = self.get_text(path, params)
        try:
            return status, json.loads(text)
        except ValueError:
            raise InvalidInput(f"{self.server}{path}: the answer is not JSON (HTTP {status}); "
                               f"is --server an NFDP API?") from None
