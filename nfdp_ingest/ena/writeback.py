"""ENA's accessions written onto our records, in the caller's one transaction (bulk updates).

project ← PRJEB (+ EXT_ID study ERP), sample ← ERS (+ EXT_ID biosample SAMEA), experiment ← ERX,
run ← ERR on both NFDP runs of a pair (the ENA RUN's alias is the forward run; the reverse run
names it as its mate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_STATEMENTS = {
    "project": "UPDATE project SET ena_accession = :acc, "
               "ena_secondary_accession = COALESCE(:second, ena_secondary_accession) "
               "WHERE accession = :alias AND id = :project_id",
    "sample": "UPDATE sample SET ena_accession = :acc, biosample_accession = COALESCE(:second, biosample_accession) "
              "WHERE accession = :alias AND project_id = :project_id",
    "experiment": "UPDATE experiment SET ena_accession = :acc WHERE accession = :alias "
                  "AND sample_id IN (SELECT id FROM sample WHERE project_id = :project_id)",
    "run": "UPDATE run SET ena_accession = :acc WHERE (accession = :alias OR mate_accession = :alias) "
           "AND experiment_id IN (SELECT e.id FROM experiment e JOIN sample s ON e.sample_id = s.id "
           "WHERE s.project_id = :project_id)",
}
_SECOND = {"project": "study", "sample": "biosample"}


def apply(session: Session, project_id: int, accessions: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> int:
    """Write every accession of ``accessions`` (kind → alias → {accession, ext}); returns how many."""
    written = 0
    for kind, statement in _STATEMENTS.items():
        entries = accessions.get(kind) or {}
        if not entries:
            continue
        params = [{"alias": alias, "acc": entry["accession"], "project_id": project_id,
                   "second": (entry.get("ext") or {}).get(_SECOND.get(kind, ""))}
                  for alias, entry in entries.items()]
        session.execute(text(statement), params)
        written += len(params)
    return written
