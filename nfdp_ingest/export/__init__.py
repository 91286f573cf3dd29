"""What leaves the platform as files: file reports (nf-core sample sheets to follow)."""

from .filereport import FIELDS, FORMATS, file_report

__all__ = ["FIELDS", "FORMATS", "file_report"]
