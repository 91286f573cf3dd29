"""``nfdp-ingest storage …``: look at the configured storage without touching the database."""

from __future__ import annotations

import logging

import click

from ..config import Settings
from .common import handle_errors, settings_options


def register(group: click.Group) -> None:
    group.add_command(storage)


@click.group()
def storage() -> None:
    """Object storage (MinIO / S3) or local storage."""


@storage.command("check")
@click.option("--attempts", type=click.IntRange(min=1), default=None,
              help="Tries per storage call before giving up (default: $NFDP_RETRY_ATTEMPTS, else 6).")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None,
              help="No new try after this many seconds (default: $NFDP_RETRY_MAX_SECONDS, else 120).")
@settings_options
@handle_errors
def check(settings: Settings, attempts: int | None, max_seconds: float | None) -> None:
    """Connect, check credentials (write, read back, delete a test object) and the buckets
    (created when missing). Prints one verdict; exit 0 when usable, 3 when not.
    The secret key is never printed."""
    from ..storage import open_storage

    settings = settings.with_overrides(minio_retry_attempts=attempts, minio_retry_max_seconds=max_seconds)
    if settings.storage == "minio":
        m = settings.minio
        click.echo(f"checking minio storage at {m.endpoint} (secure={'yes' if m.secure else 'no'}, "
                   f"access key {m.access_key or '(none)'}, secret key {'set' if m.secret_key else 'not set'})")
        _show_retries()
    verdict = open_storage(settings).check()
    click.echo(verdict)


class _EchoHandler(logging.Handler):
    """Log records as ``warning: …`` lines on the current stderr (looked up per record)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(f"warning: {record.getMessage()}", err=True)
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


def _show_retries() -> None:
    """Retries are logged as warnings; show them on stderr while the check runs."""
    logger = logging.getLogger("nfdp_ingest.storage")
    if any(isinstance(h, _EchoHandler) for h in logger.handlers):
        return
    if not logging.getLogger().handlers:
        handler = _EchoHandler(level=logging.WARNING)
        logger.addHandler(handler)
