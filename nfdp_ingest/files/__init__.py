"""Data files: where they lie, what they are, their checksums, deep checks.

Nothing here knows about the database. See DESIGN.md §3.

Names are imported on first use (PEP 562), so ``nfdp_ingest.files.formats``
(the extension table ``sheet/`` needs) does not pull in hashing or dnaio.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "DeepFacts": "deep", "check_pair": "deep", "deep_check": "deep", "mate_key": "deep", "mates_problem": "deep",
    "SUPPORTED": "formats", "SUPPORTED_TEXT": "formats", "type_from_extension": "formats",
    "describe_content": "detect", "resolve_file": "detect", "sniff_type": "detect",
    "CHUNK_SIZE": "hashing", "FileFacts": "hashing", "HashingReader": "hashing", "ScanJob": "scan",
    "file_digest": "hashing", "scan_file": "hashing", "scan_files": "scan",
    "FileProblem": "problems", "StreamHashingReader": "stream",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
