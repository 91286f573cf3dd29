"""Experiments created one at a time (``POST /api/v1/experiments/``); a sheet's
experiments are written by the submission journal in the same transaction as its runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accessions import reserve
from .models import EXPERIMENT_FIELDS, Experiment, Sample
from .queries import UnknownAccession


def create_experiment(session: Session, fields: Mapping[str, Any]) -> str:
    """Insert one experiment under ``fields["sample_accession"]``; returns its new accession.

    ``fields`` are already checked and normalised (``domain.check_experiment``); the
    experiment columns are taken from ``EXPERIMENT_FIELDS`` (absent ones are NULL).
    Raises UnknownAccession when the sample does not exist (nothing is reserved then).
    The caller owns the transaction.
    """
    sample = fields["sample_accession"]
    sample_id = session.execute(select(Sample.id).where(Sample.accession == sample)).scalar()
    if sample_id is None:
        raise UnknownAccession("sample", sample)
    (accession,) = reserve(session, "EXP")
    session.add(Experiment(accession=accession, sample_id=sample_id,
                           **{name: fields.get(name) for name in EXPERIMENT_FIELDS}))
    session.flush()
    return accession
