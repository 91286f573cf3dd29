"""A staged file's name comes from outside (a URL path): it must be one plain file name."""

from __future__ import annotations

import unicodedata

MAX_NAME = 255


class BadName(ValueError):
    """The name is not a plain file name; the message says why."""


def check_name(name: str) -> str:
    """``name`` if it is a plain file name, else BadName. Never a path: no ``/`` or ``\\``,
    no ``..``, no leading dot, no control characters, at most 255 bytes of UTF-8."""
    if not isinstance(name, str) or not name:
        raise BadName("the file name is empty")
    if "/" in name or "\\" in name:
        raise BadName(f"{name!r} is not a plain file name (no '/' or '\\\\')")
    if ".." in name:
        raise BadName(f"{name!r}: '..' is not allowed in a file name")
    if name.startswith("."):
        raise BadName(f"{name!r}: a file name must not start with '.'")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise BadName(f"{name!r} contains control characters")
    if name != name.strip():
        raise BadName(f"{name!r} starts or ends with white space")
    if len(name.encode("utf-8")) > MAX_NAME:
        raise BadName(f"the file name is longer than {MAX_NAME} bytes")
    return name
