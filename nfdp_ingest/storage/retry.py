"""Retries for object-storage calls: which errors are worth retrying, and how.

Every call MinioStorage makes to the server goes through :class:`StorageRetry`:
exponential backoff with jitter on connection errors, timeouts, HTTP 5xx and the
S3 throttling codes (``SlowDown`` …) — never on TLS failures (a bad CA does not heal)
nor on credential/clock answers (``ExpiredToken``, ``RequestTimeTooSkewed`` …); at most ``attempts`` tries and no new try
started once ``max_seconds`` have passed since the first. Each retry is logged
(logger ``nfdp_ingest.storage``) with its reason. When the tries run out, or the
server refuses for good (wrong credentials, no permission), the caller gets an
:class:`~nfdp_ingest.errors.InfrastructureError` (exit code 3) whose message names
the endpoint and the operation — never the secret key.

The HTTP client under the ``minio`` client is built with ``retries=False`` so this
is the only retry layer (urllib3's own silent retries would multiply the bounds).
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import TypeVar

import urllib3
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from ..errors import InfrastructureError

log = logging.getLogger("nfdp_ingest.storage")

T = TypeVar("T")

#: S3 error codes that mean "try again later" whatever the HTTP status says.
TRANSIENT_CODES = frozenset({
    "SlowDown", "SlowDownRead", "SlowDownWrite", "ServiceUnavailable", "InternalError",
    "RequestTimeout", "OperationAborted", "XMinioServerNotInitialized",
    "XMinioStorageFull", "XMinioBackendDown", "XMinioReadQuorum", "XMinioWriteQuorum",
    "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
})

#: Credential and clock answers: no retry within the window can heal them (a new token,
#: or a fixed clock, is needed), whatever the HTTP status. Checked before the status.
CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "TokenRefreshRequired", "InvalidToken", "RequestTimeTooSkewed",
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "AuthorizationHeaderMalformed",
    "InvalidSecurity", "AccountProblem", "XMinioInvalidToken",
})

#: Answers that no retry heals: the credential/clock ones, and a call the server does not
#: implement (501; e.g. a copy on a gateway without CopyObject).
PERMANENT_CODES = CREDENTIAL_CODES | {"NotImplemented"}


def _status_of(exc: BaseException) -> int | None:
    if isinstance(exc, S3Error):
        return getattr(exc.response, "status", None)
    if isinstance(exc, ServerError):
        return exc.status_code
    if isinstance(exc, InvalidResponseError):
        return getattr(exc, "_code", None)
    return None


def is_transient(exc: BaseException) -> bool:
    """True for errors a later try may not see: network trouble, 5xx, throttling."""
    if isinstance(exc, S3Error):
        if exc.code in PERMANENT_CODES:
            return False
        if exc.code in TRANSIENT_CODES:
            return True
        status = _status_of(exc)
        return status is not None and (status >= 500 or status == 429)
    if isinstance(exc, (ServerError, InvalidResponseError)):
        status = _status_of(exc)
        return status is not None and (status >= 500 or status == 429 or status == 408)
    if _ssl_failure(exc) is not None:
        return False  # a bad CA or a TLS/plain-HTTP mix-up: the next try sees the same
    if isinstance(exc, urllib3.exceptions.HTTPError):
        # LocationParseError & co. are configuration mistakes, not weather
        return not isinstance(exc, ValueError)
    return isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, http.client.HTTPException))


def _ssl_failure(exc: BaseException) -> BaseException | None:
    """The TLS error behind ``exc`` (urllib3 wraps it in MaxRetryError.reason), or None."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (urllib3.exceptions.SSLError, ssl.SSLError)):
            return exc
        exc = getattr(exc, "reason", None) or exc.__cause__
        seen += 1
    return None


def describe(exc: BaseException) -> str:
    """One line about a storage error (no secrets: neither minio nor urllib3 put keys in messages)."""
    tls = _ssl_failure(exc)
    if tls is not None:
        inner = tls.args[0] if isinstance(tls, urllib3.exceptions.SSLError) and tls.args else tls
        return (f"TLS failed ({inner}); check the endpoint's scheme (http/https), "
                "NFDP_MINIO_SECURE and the CA bundle (SSL_CERT_FILE)")
    if isinstance(exc, S3Error):
        status = _status_of(exc)
        return f"{exc.code} (HTTP {status}): {exc.message}" if exc.message else f"{exc.code} (HTTP {status})"
    if isinstance(exc, InvalidResponseError):
        return f"HTTP {_status_of(exc)} with a non-S3 answer"
    if isinstance(exc, ServerError):
        return f"HTTP {exc.status_code} from the server"
    # urllib3 wraps the socket error; show the innermost reason, it is the useful one
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class StorageRetry:
    """Run storage calls with bounded, logged retries; failures become InfrastructureError."""

    def __init__(self, *, endpoint: str, attempts: int = 6, max_seconds: float = 120.0,
                 wait_initial: float = 0.5, wait_max: float = 20.0):
        self.endpoint = endpoint
        self.attempts = max(1, int(attempts))
        self.max_seconds = max(0.0, float(max_seconds))
        self.wait_initial = wait_initial
        self.wait_max = wait_max

    def _retrying(self, what: str) -> Retrying:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            log.warning("storage %s: %s while %s; retry %d/%d in %.1f s",
                        self.endpoint, describe(exc) if exc else "failure", what,
                        state.attempt_number + 1, self.attempts, sleep)

        return Retrying(
            stop=stop_after_attempt(self.attempts) | stop_before_delay(self.max_seconds),
            # exponential backoff plus up to one initial step of random jitter
            wait=wait_exponential(multiplier=self.wait_initial, max=self.wait_max)
            + wait_random(0, self.wait_initial),
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            reraise=False,
        )

    def call(self, what: str, fn: Callable[..., T], *args, **kwargs) -> T:
        """``fn(*args, **kwargs)`` with retries. ``what`` says what it does, for messages."""
        started = time.monotonic()
        try:
            return self._retrying(what)(fn, *args, **kwargs)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            tries = exc.last_attempt.attempt_number
            raise InfrastructureError(
                f"object storage at {self.endpoint} failed while {what}: "
                f"{describe(last) if last else 'no answer'} "
                f"(gave up after {tries} attempt{'s' if tries != 1 else ''} in "
                f"{time.monotonic() - started:.1f} s)"
            ) from last
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            if isinstance(exc, MinioException):  # answered, but a refusal no retry will change
                raise InfrastructureError(
                    f"object storage at {self.endpoint} refused {what}: {describe(exc)}"
                ) from exc
            if _ssl_failure(exc) is None:
                raise  # not a storage answer (e.g. a local file problem): not ours to word
            raise InfrastructureError(
                f"object storage at {self.endpoint}: cannot connect securely while {what}: "
                f"{describe(exc)} (not retried)"
            ) from exc
