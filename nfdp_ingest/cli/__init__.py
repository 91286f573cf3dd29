"""The ``nfdp-ingest`` command: a thin click layer over the library.

Each area keeps its commands in its own module here and exposes ``register``.
"""

from __future__ import annotations

import click

from .. import __version__
from . import (
    api,
    db,
    ena,
    fetch,
    files_cmds,
    nightly,
    qc,
    remote,
    samplesheet,
    sheet,
    staging_cmds,
    storage_cmds,
    submit,
    workers,
)

AREAS = (sheet, db, submit, storage_cmds, api, nightly, qc, files_cmds, ena, samplesheet, fetch, staging_cmds,
         remote, workers)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="nfdp-ingest")
def main() -> None:
    """Ingest sequencing sample sheets: validate, verify files, store, register, serve."""


for _area in AREAS:
    _area.register(main)
