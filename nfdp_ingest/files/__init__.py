"""Data files: where they lie, what they are, their checksums, deep checks.

Nothing here knows about the database. See DESIGN.md §3.
"""

from .deep import DeepFacts, check_pair, deep_check, mate_key, mates_problem
from .detect import (
    SUPPORTED,
    SUPPORTED_TEXT,
    describe_content,
    resolve_file,
    sniff_type,
    type_from_extension,
)
from .hashing import (
    CHUNK_SIZE,
    FileFacts,
    HashingReader,
    ScanJob,
    file_digest,
    scan_file,
    scan_files,
)
from .problems import FileProblem

__all__ = [
    "CHUNK_SIZE", "DeepFacts", "FileFacts", "FileProblem", "HashingReader", "SUPPORTED",
    "SUPPORTED_TEXT", "ScanJob", "check_pair", "deep_check", "describe_content", "file_digest", "mate_key",
    "mates_problem", "resolve_file", "scan_file", "scan_files", "sniff_type", "type_from_extension",
]
