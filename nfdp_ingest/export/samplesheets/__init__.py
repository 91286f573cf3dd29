"""nf-core sample sheets of a project, sample or experiment (``GET /api/v1/samplesheets/…``,
``nfdp-ingest samplesheet``).

``pipelines`` holds each pipeline's columns, patterns and row rules as plain data (imported by
``fetch`` on machines without the registry); ``sheet.prepare`` builds a sheet from the registry.
"""

from .pipelines import PIPELINES, Pipeline

__all__ = ["PIPELINES", "Pipeline"]
