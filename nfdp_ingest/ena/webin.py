"""The Webin REST v2 client (ENA-FACTS §3.1): one WEBIN document per call, Basic auth.

Small documents go to the synchronous ``POST submit/``; larger ones to ``POST submit/queue``,
then ``GET submit/poll/{id}`` until it answers 200 (202 while queued). Sent as ENA's own client
sends it: multipart/form-data, one part ``file`` with a file name. 5xx answers, timeouts and
broken connections are retried (tenacity); a retried ADD is safe because ENA refuses a second
object with the same alias and says which accession it has (recovered by ``ena submit``).
The password goes only into the Authorization header; nothing here logs it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ..errors import InfrastructureError, UsageError

log = logging.getLogger("nfdp_ingest.ena")


class _Retry(Exception):
    """A 5xx answer (retried like a timeout)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, (_Retry, httpx.TimeoutException, httpx.TransportError))


@dataclass
class WebinAnswer:
    status: int
    body: bytes


class WebinClient:
    def __init__(self, base_url: str, user: str, password: str, *, timeout: float = 120.0,
                 poll_seconds: float = 5.0, sync_limit: int = 1024 * 1024, attempts: int = 5,
                 max_wait: float = 30.0, max_poll_seconds: float = 3600.0):
        self.base_url = base_url.rstrip("/") + "/"
        self.user = user
        self.sync_limit = sync_limit
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.attempts = attempts
        self.max_wait = max_wait
        self._client = httpx.Client(auth=httpx.BasicAuth(user, password), timeout=timeout,
                                    headers={"Accept": "application/xml"}, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WebinClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, doing: str, send) -> httpx.Response:
        retrying = Retrying(retry=retry_if_exception(_retryable), stop=stop_after_attempt(self.attempts),
                            wait=wait_exponential(multiplier=0.5, max=self.max_wait), reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    response = send()
                    if response.status_code >= 500:
                        log.warning("Webin %s: HTTP %s (attempt %d of %d)", doing, response.status_code,
                                    attempt.retry_state.attempt_number, self.attempts)
                        raise _Retry(response.status_code, response.text)
                    return self._checked(response)
        except _Retry as exc:
            raise InfrastructureError(f"Webin {doing} failed after {self.attempts} attempts: {exc}") from None
        except httpx.HTTPError as exc:
            raise InfrastructureError(f"cannot reach Webin at {self.base_url} ({doing}): "
                                      f"{type(exc).__name__}: {exc}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code in (401, 403):
            raise UsageError(f"Webin refused the credentials of {self.user} (HTTP {response.status_code}): "
                             "check NFDP_WEBIN_USER and NFDP_WEBIN_PASSWORD")
        return response

    def submit(self, document: Path) -> WebinAnswer:
        """Send one WEBIN document; the answer carries the RECEIPT (whatever its success)."""
        if document.stat().st_size <= self.sync_limit:
            response = self._call("submit", lambda: self._post(self.base_url + "submit/", document))
            return WebinAnswer(response.status_code, response.content)
        response = self._call("submit/queue", lambda: self._post(self.base_url + "submit/queue", document))
        if response.status_code not in (200, 201, 202):
            return WebinAnswer(response.status_code, response.content)
        try:
            queued = response.json()
            submission_id = queued["submissionId"]
        except (ValueError, KeyError, TypeError):
            raise InfrastructureError(f"Webin's queue answered without a submissionId: {response.text[:200]!r}") from None
        poll = (queued.get("_links") or {}).get("poll", {}).get("href") or f"{self.base_url}submit/poll/{submission_id}"
        log.info("Webin queued submission %s; polling", submission_id)
        started = time.monotonic()
        while True:
            answer = self._call("poll", lambda: self._client.get(poll))
            if answer.status_code != 202:
                return WebinAnswer(answer.status_code, answer.content)
            if time.monotonic() - started > self.max_poll_seconds:
                raise InfrastructureError(f"Webin submission {submission_id} still queued after "
                                          f"{self.max_poll_seconds:.0f} s; run `ena submit` again later")
            time.sleep(self.poll_seconds)

    def _post(self, url: str, document: Path) -> httpx.Response:
        with open(document, "rb") as fh:  # streamed from the file, not read whole
            return self._client.post(url, files={"file": ("webin-submission.xml", fh, "application/xml")})
