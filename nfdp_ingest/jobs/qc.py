"""QC on workers: one FastQC job per run (``qc run --queue``)."""

from __future__ import annotations

from ..errors import InfrastructureError, InvalidInput
from .registry import job


@job("qc-run")
def fastqc_run(settings, run: str, thresholds: str | None = None, fastqc: str | None = None,
               recheck: bool = False) -> str:
    """FastQC on one run; its verdict. ``recheck``: store a report even if the run has one."""
    from ..qc import run_fastqc

    (result,) = run_fastqc(settings, [run], threads=1, thresholds=thresholds, fastqc=fastqc,
                           only_if_unchecked=not recheck)
    if not result.ok:  # raised: the job is retried, then ends failed with this message
        raise (InfrastructureError if result.error_exit == 3 else InvalidInput)(result.error)
    return result.status


def enqueue_fastqc(settings, runner, run_accessions: list[str], project: str | None, *,
                   thresholds: str | None = None, fastqc: str | None = None) -> list[tuple[str, object]]:
    """One job per run to check (the same selection as ``qc run``); (run, job id or None when
    that run's job is waiting already)."""
    from ..qc import records
    from ..registry.db import open_registry

    runs = records.runs_for_fastqc(open_registry(settings.db_url), run_accessions, project)
    out = []
    for ref in runs:
        job_id = runner.enqueue("qc-run", _queueing_lock=f"qc:{ref.accession}", run=ref.accession,
                                thresholds=thresholds, fastqc=fastqc, recheck=bool(run_accessions))
        out.append((ref.accession, job_id))
    return out
