"""Exceptions that carry the process exit code the CLI should end with.

The CLI turns any NfdpError into one clear message and its exit code; nothing
else of ours should reach the user as a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1  # invalid input, failed submission
EXIT_USAGE = 2  # unknown checklist, unreadable file, bad option
EXIT_INFRA = 3  # database or storage unreachable (after retries)
EXIT_LOCKED = 75  # another nightly run holds the lock (EX_TEMPFAIL)


class NfdpError(Exception):
    """Base class: message for humans, exit code for the shell."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(NfdpError):
    """The submitter's sheet or files are wrong; fixing them fixes this."""

    exit_code = EXIT_INVALID


class UsageError(NfdpError):
    """The command was called wrongly (unknown checklist, unreadable file)."""

    exit_code = EXIT_USAGE


class InfrastructureError(NfdpError):
    """Database or storage failed; the input may be fine, try again later."""

    exit_code = EXIT_INFRA


class SchemaMissing(InfrastructureError):
    """The database has no (or an old) schema: run `nfdp-ingest db upgrade`."""


class LockHeld(NfdpError):
    exit_code = EXIT_LOCKED
