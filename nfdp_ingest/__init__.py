"""nfdp-ingest: sample sheets in, verified and registered sequencing records out."""

__version__ = "0.1.0"
