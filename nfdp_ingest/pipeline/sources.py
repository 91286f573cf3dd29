"""Where a submission's files come from: a local folder (``submit``, ``nightly``) or the
submitter's staging area (``POST /api/v1/submissions``). DESIGN §5: one submit path.

A source resolves the plan's new runs (every missing file reported at once), stores one
run's file through the storage, checks them without storing (dry run), and claims and
releases what it used. ``ResolvedFiles`` values are (path or location, stat): only
``st_size`` and ``st_mtime_ns`` of the stat are used.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import NamedTuple, Protocol

from ..files import FileFacts, FileProblem, ScanJob, resolve_file, scan_files
from ..registry.db import transaction
from ..storage import ObjectKey, StoredFile
from .errors import SubmissionFailed, problems_message
from .plan import Plan, PlannedRun, pairs

log = logging.getLogger("nfdp_ingest.submit")


class FileStat(NamedTuple):
    st_size: int
    st_mtime_ns: int


def run_problem(run: PlannedRun, exc: FileProblem) -> dict:
    return {"row": run.line, "column": run.column, "value": run.filename, "message": exc.message}


def _refuse(problems: list[dict]) -> None:
    if problems:
        raise SubmissionFailed(problems_message("file", problems), problems, None)


class FileSource(Protocol):
    def resolve(self, plan: Plan) -> dict: ...
    def store(self, storage, run: PlannedRun, where, key: ObjectKey, progress) -> StoredFile: ...
    def check(self, plan: Plan, files: dict, threads: int, deep: bool, progress) -> list: ...
    def claim(self, submission_id: int) -> None: ...
    def release(self, submission_id: int) -> None: ...


class LocalFolder:
    """Files under a folder, resolved safely (no absolute paths, no ``..``, no escaping links)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def resolve(self, plan: Plan) -> dict:
        found, problems = {}, []
        for run in plan.new("runs"):
            try:
                path = resolve_file(self.root, run.filename)
                found[run.filename] = (path, path.stat())
            except FileProblem as exc:
                problems.append(run_problem(run, exc))
            except OSError as exc:
                problems.append(run_problem(run, FileProblem(
                    run.filename, f"cannot be read ({exc.strerror})", kind="unreadable")))
        _refuse(problems)
        return found

    def store(self, storage, run, where, key, progress) -> StoredFile:
        return storage.store(where, key, expected_type=run.expected_type, declared_md5=run.declared_md5,
                             progress=progress)  # store() reports bytes and the finished file

    def check(self, plan, files, threads, deep, progress) -> list:
        runs = plan.new("runs")
        index = {r.filename: i for i, r in enumerate(runs)}
        mate_of = {rev.filename: index[fwd.filename] for fwd, rev in pairs(plan)}
        jobs = [ScanJob(path=files[r.filename][0], filename=r.filename, expected_type=r.expected_type,
                        declared_md5=r.declared_md5, mate_of=mate_of.get(r.filename)) for r in runs]
        return scan_files(jobs, threads=threads, progress=progress, deep=deep)

    def claim(self, submission_id: int) -> None:
        return None

    def release(self, submission_id: int) -> None:
        return None  # the submitter's files are never ours to delete


class StagedSource:
    """Files a token staged. They were hashed, sniffed and checked when staged (the one
    pass over their bytes); here they are matched to the sheet (MD5, type) and put in place:
    local mode links them into ``files_dir/{project}/{sample}/{run}/{name}``, MinIO mode
    copies them server-side into the raw bucket and tags the copy with their checksums."""

    def __init__(self, engine, area, owner: int, files_dir: Path):
        self.engine, self.area, self.owner, self.files_dir = engine, area, owner, Path(files_dir)
        self.rows: dict[str, dict] = {}  # sheet filename → the staged file's facts

    @staticmethod
    def staged_name(run: PlannedRun) -> str:
        return PurePosixPath(run.filename.replace("\\", "/")).name

    def resolve(self, plan: Plan) -> dict:
        from ..staging import records

        runs = plan.new("runs")
        with transaction(self.engine) as session:
            rows = records.by_names(session, self.owner, (self.staged_name(r) for r in runs))
            found, problems = {}, []
            for run in runs:
                name = self.staged_name(run)
                row = rows.get(name)
                if row is None or row.state != "staged":
                    why = "is not staged" if row is None else "is still being uploaded (not completed)"
                    problems.append(run_problem(run, FileProblem(
                        run.filename, f"{name} {why}: upload it first (PUT /api/v1/staging/{name})",
                        kind="missing")))
                    continue
                self.rows[run.filename] = {"name": name, "location": row.location, "size": row.size,
                                           "md5": row.md5, "sha256": row.sha256, "file_type": row.file_type}
                stamp = int(row.created_at.timestamp() * 1e9)  # re-staging a file changes it
                found[run.filename] = (row.location, FileStat(row.size, stamp))
        _refuse(problems)
        return found

    def _facts(self, run: PlannedRun) -> FileFacts:
        row = self.rows[run.filename]
        declared = (run.declared_md5 or "").strip().lower() or None
        if declared and declared != row["md5"]:
            raise FileProblem(run.filename, f"MD5 mismatch: the sheet declares {declared} but the staged "
                                            f"file's MD5 is {row['md5']}", kind="md5_mismatch",
                              expected=declared, actual=row["md5"])
        if run.expected_type and row["file_type"] != run.expected_type:
            raise FileProblem(run.filename, f"the extension says {run.expected_type} but the staged file "
                                            f"is {row['file_type']}", kind="type_mismatch")
        return FileFacts(path=row["location"], size=row["size"], md5=row["md5"], sha256=row["sha256"],
                         file_type=row["file_type"], filename=run.filename)

    def store(self, storage, run, where, key, progress) -> StoredFile:
        facts = self._facts(run)
        if storage.mode == "minio":
            from ..staging.placing import copy_staged

            file_path = copy_staged(storage, self.area, where, key, facts)
        else:
            file_path = self._link(where, key, facts)
        if progress is not None:
            progress.advance(facts.size)
            progress.file_done(run.filename)
        return StoredFile(file_path=file_path, facts=facts)

    def _link(self, where: str, key: ObjectKey, facts: FileFacts) -> str:
        target = self.files_dir / key.key
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.exists() and os.path.samefile(target, where)):
            temp = target.with_name(target.name + ".linking")
            temp.unlink(missing_ok=True)
            try:
                os.link(where, temp)  # the staged copy becomes the stored file: no byte is read
            except OSError:
                shutil.copyfile(where, temp)  # another file system
            os.replace(temp, target)
        size = target.stat().st_size
        if size != facts.size:
            raise FileProblem(key.filename, f"the staged file changed (size {size}, staged {facts.size})",
                              kind="changed")
        return str(target.absolute())

    def check(self, plan, files, threads, deep, progress) -> list:
        out = []
        for run in plan.new("runs"):
            try:
                out.append(self._facts(run))
            except FileProblem as exc:
                out.append(exc)
        return out

    def claim(self, submission_id: int) -> None:
        from ..staging import records

        with transaction(self.engine) as session:
            records.claim(session, self.owner, (r["name"] for r in self.rows.values()), submission_id)

    def release(self, submission_id: int) -> None:
        from ..staging.service import release

        names = [r["name"] for r in self.rows.values()]
        released = release(self.engine, self.area, self.owner, names, submission_id)
        log.info("released %d staged file(s) of token %d", released, self.owner)
