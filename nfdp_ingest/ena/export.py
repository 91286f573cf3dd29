"""Records → ENA documents: what to ADD, what to MODIFY, what ENA has already (ENA-FACTS §1).

Objects without an ENA accession are added (``DIR/``); objects that have one are sent again
as MODIFY (``DIR/modify/``) only when what they say changed since last sent (the digest kept
with the archived exchange); runs are never modified (ENA cannot change a run's files).
On ENA's test server nothing we hold counts: everything is added.
One pass over the rows, one object in memory at a time.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from ..config import EnaSettings
from ..domain.ena_sample import check_ena_sample, ena_checklist_id
from ..errors import InvalidInput, UsageError
from . import documents, records
from .problems import Problem
from .writer import DocumentSet

MAX_HOLD_DAYS = 730  # "at most two years in the future" (ENA-FACTS §1.5)


@dataclass
class ExportResult:
    folder: Path
    project: str
    hold_until: date | None
    added: dict[str, int] = field(default_factory=dict)
    modified: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def folders(self) -> list[tuple[str, Path]]:
        """(action, folder) of each document set written."""
        out = []
        if self.added:
            out.append(("ADD", self.folder))
        if self.modified:
            out.append(("MODIFY", self.folder / "modify"))
        return out


def hold_date(project: records.ProjectRec, override: date | None, today: date) -> tuple[date | None, str | None]:
    """The HoldUntilDate, and why it cannot be sent (None when it can)."""
    hold = override or project.release_date
    if hold is None:  # no release date: as private as ENA allows
        return date.fromordinal(today.toordinal() + MAX_HOLD_DAYS), None
    if (hold - today).days > MAX_HOLD_DAYS:
        return hold, (f"hold date {hold.isoformat()} is more than two years ahead (ENA allows at most "
                      f"{MAX_HOLD_DAYS} days, until {date.fromordinal(today.toordinal() + MAX_HOLD_DAYS)})")
    return hold, None


def _state(has_accession: str | None, digest: str | None, last: str | None, test: bool) -> str:
    if test or not has_accession:
        return "add"
    if digest is not None and digest != last:
        return "modify"
    return "unchanged"


def export(conn: Connection, accession: str, folder: Path, ena: EnaSettings, *, test: bool = False,
           hold_until: date | None = None, last_digests: Mapping[tuple[str, str], str] | None = None,
           today: date | None = None) -> ExportResult:
    """Write the documents for ``accession``'s scope into ``folder`` (emptied first)."""
    today = today or date.today()
    last = last_digests or {}
    scope = records.resolve_scope(conn, accession)
    p = scope.project
    hold, hold_problem = hold_date(p, hold_until, today)
    result = ExportResult(folder, p.accession, hold)
    if hold_problem:
        result.problems.append(Problem("submission.xml", "", "HoldUntilDate",
                                       hold.isoformat() if hold else "", hold_problem))
    center = p.center_name or ena.center_name  # each object without one is told by validate
    _clear(folder)
    sets = {"add": DocumentSet(folder), "modify": DocumentSet(folder / "modify")}

    def put(kind: str, alias: str, element, ena_acc: str | None, digest: str | None) -> str:
        state = _state(ena_acc, digest, last.get((kind, alias)), test)
        target = {"add": result.added, "modify": result.modified, "unchanged": result.unchanged}[state]
        target[kind] = target.get(kind, 0) + 1
        if state != "unchanged":
            sets[state].add(kind, element, digest)
        return state

    known = (lambda acc: None) if test else (lambda acc: acc)
    element = documents.project(p, center)
    project_state = put("project", p.accession, element, p.ena_accession, documents.digest(element))
    project_ref = dict(project_alias=p.accession, project_accession=known(p.ena_accession))

    sample_refs: dict[str, tuple[str, str | None]] = {}
    for s in records.samples(conn, scope):
        _check_sample(s, result.problems)
        element = documents.sample(s, center)
        state = put("sample", s.accession, element, s.ena_accession, documents.digest(element))
        sample_refs[s.accession] = (state, known(s.ena_accession))

    experiment_refs: dict[str, tuple[str, str | None]] = {}
    for x in records.experiments(conn, scope):
        sample_state, sample_acc = sample_refs[x.sample_accession]
        # the digest of the object by itself (every reference by alias), wherever it is sent
        digest = documents.digest(documents.experiment(
            x, center, **project_ref, project_in_document=True, sample_accession=None, sample_in_document=True))
        state = _state(known(x.ena_accession), digest, last.get(("experiment", x.accession)), test)
        element = documents.experiment(x, center, **project_ref, project_in_document=project_state == state,
                                       sample_accession=sample_acc, sample_in_document=sample_state == state)
        put("experiment", x.accession, element, known(x.ena_accession), digest)
        experiment_refs[x.accession] = (state, known(x.ena_accession))
    del sample_refs

    for r in records.fold_runs(records.run_rows(conn, scope), p.accession, result.notices):
        for message in r.problems:
            result.problems.append(Problem("run.xml", r.alias, "FILE", r.files[0].upload_path, message))
        if r.ena_accession and not test:
            result.unchanged["run"] = result.unchanged.get("run", 0) + 1
            continue
        exp_state, exp_acc = experiment_refs[r.experiment_accession]
        element = documents.run(r, center, experiment_accession=exp_acc, experiment_in_document=exp_state == "add")
        put("run", r.alias, element, None, None)
        for f in r.files:
            sets["add"].upload(f.upload_path, f.size, f.file_path)

    alias = f"{p.accession}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    sets["add"].finish(documents.submission(alias, center, "ADD", None if hold_problem else hold))
    sets["modify"].finish(documents.submission(alias + "-M", center, "MODIFY", None))
    return result


OUR_FILES = {"submission.xml", "project.xml", "sample.xml", "experiment.xml", "run.xml", "webin.xml",
             "objects.tsv", "uploads.tsv"}


def _clear(folder: Path) -> None:
    """Remove an earlier export from ``folder``; never anything else that lies there."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    for sub in (folder, folder / "modify"):
        if not sub.is_dir():
            continue
        other = [p.name for p in sub.iterdir() if p.name not in OUR_FILES and not (sub == folder and p.name == "modify")]
        if other:
            raise UsageError(f"{sub} holds files that are not ENA documents ({', '.join(sorted(other)[:3])}): "
                             "give an empty or new folder")
    shutil.rmtree(folder)


def _check_sample(s: records.SampleRec, problems: list[Problem]) -> None:
    checklist = s.checklist_id or ""
    if ena_checklist_id(checklist) is None:
        problems.append(Problem("sample.xml", s.accession, "ENA-CHECKLIST", checklist,
                                f"checklist {checklist or '(none)'} is not an ENA checklist: this sample cannot "
                                "be brokered to ENA"))
        return
    for severity, name, value, message in check_ena_sample(s.fields, checklist):
        problems.append(Problem("sample.xml", s.accession, name, value, message, severity))


def require_exportable(result: ExportResult) -> None:
    """`ena export` refuses a hold date ENA would refuse (nothing is left written)."""
    for problem in result.problems:
        if problem.field == "HoldUntilDate":
            shutil.rmtree(result.folder, ignore_errors=True)
            raise InvalidInput(problem.message)
