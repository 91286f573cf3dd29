"""The storage step of a submission: stream every new run's file once (hash, sniff, store),
on a bounded pool, journalling what is done so a re-run need not read it again."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import NotRequired, TypedDict

from ..errors import InfrastructureError
from ..files import FileFacts, FileProblem, check_pair, deep_check
from ..progress import make_progress
from ..registry.db import db_errors, transaction
from ..storage import ObjectKey, StoredFile
from . import journal
from .errors import SubmissionFailed, problem_dict, problems_message
from .plan import Plan, PlannedRun, pairs

log = logging.getLogger("nfdp_ingest.submit")

JOURNAL_FLUSH_SECONDS = 2.0
# Local files smaller than this are simply read again after a crash: journalling
# 100,000 tiny files' facts costs more than re-hashing them.
JOURNAL_MIN_BYTES = 1024 * 1024
BATCH_BYTES = 16 * 1024 * 1024
BATCH_FILES = 256
BIG_FILE = 4 * 1024 * 1024

ResolvedFiles = dict[str, tuple[Path, os.stat_result]]  # sheet filename → (path, stat when planned)


class Facts(TypedDict):
    """What is known of one stored file: journalled as JSON, then committed on the run row."""

    file_path: str
    size: int
    md5: str
    sha256: str | None
    file_type: str
    read_count: int | None
    mtime_ns: NotRequired[int]  # absent in a dry run: nothing is journalled there


def facts_of(stored: StoredFile, mtime_ns: int) -> Facts:
    f = stored.facts
    return Facts(file_path=stored.file_path, size=f.size, md5=f.md5, sha256=f.sha256,
                 file_type=f.file_type, read_count=f.read_count, mtime_ns=mtime_ns)


def file_facts(f: Facts) -> FileFacts:
    return FileFacts(path=f["file_path"], size=f["size"], md5=f["md5"], sha256=f["sha256"],
                     file_type=f["file_type"], read_count=f.get("read_count"))


def run_problem(run: PlannedRun, exc: FileProblem) -> dict:
    return problem_dict(run.line, run.column, run.filename, exc.message)


def _unchanged(facts: Facts | None, st: os.stat_result) -> bool:
    """A file journalled by an earlier attempt that has not changed since."""
    return bool(facts) and st.st_size == facts.get("size") and st.st_mtime_ns == facts.get("mtime_ns")


def useful_threads(threads: int, runs: list[PlannedRun], files: ResolvedFiles, mode: str) -> int:
    """Threads pay off for big files (hashlib and the network release the GIL); on
    small local files the Python work dominates and a second thread only contends."""
    if mode != "local":
        return threads
    big = sum(1 for r in runs if files[r.filename][1].st_size >= BIG_FILE)
    return max(1, min(threads, big))


def batches(runs: list[PlannedRun], files: ResolvedFiles) -> list[list[PlannedRun]]:
    """Small files travel in batches (one pool task each), big ones alone: a sheet
    of 100,000 tiny files must not cost 100,000 futures."""
    out, current, size = [], [], 0
    for run in runs:
        n = files[run.filename][1].st_size
        if current and (size + n > BATCH_BYTES or len(current) >= BATCH_FILES):
            out.append(current)
            current, size = [], 0
        current.append(run)
        size += n
    if current:
        out.append(current)
    return out


class Storer:
    """Stores the new runs' files of one submission and journals their facts every few seconds.

    ``run()`` returns the facts by sheet filename, or raises SubmissionFailed listing
    every file problem. Worker threads only call ``_store_batch``; everything else
    (facts, problems, the journal) is touched by the calling thread alone.
    """

    def __init__(self, plan: Plan, files: ResolvedFiles, storage, engine, *, submission_id: int,
                 journalled: dict[str, Facts], project: str, threads: int, deep: bool, show_progress: bool,
                 source=None, progress_factory=None):
        from .sources import LocalFolder

        self.plan, self.files, self.storage, self.engine = plan, files, storage, engine
        self.source = source or LocalFolder(Path("."))  # store() only uses the resolved paths
        self.progress_factory = progress_factory or make_progress
        self.submission_id, self.project, self.threads, self.deep = submission_id, project, threads, deep
        self.show_progress = show_progress
        self.sample_acc = {s.alias: s.accession for s in plan.samples}
        self.facts: dict[str, Facts] = {}
        self.todo: list[PlannedRun] = []
        for run in plan.new("runs"):
            earlier = journalled.get(run.filename)
            if _unchanged(earlier, files[run.filename][1]):
                self.facts[run.filename] = earlier
            else:
                self.todo.append(run)
        self.deep_facts: dict = {}
        self.problems: list[dict] = []
        self.unsaved: dict[str, Facts] = {}
        self.last_flush = time.monotonic()
        self.progress = None

    # ---------------------------------------------------------------- worker threads

    def _store_one(self, run: PlannedRun) -> Facts:
        path, st = self.files[run.filename]
        key = ObjectKey(self.project, self.sample_acc[run.sample_alias], run.accession, run.filename)
        stored = self.source.store(self.storage, run, path, key, self.progress)
        # mtime as planned: if the file changes after that, a re-run sees it differ and reads it again
        out = facts_of(stored, st.st_mtime_ns)
        if self.deep:
            try:
                self.deep_facts[run.filename] = found = deep_check(path, out["file_type"], filename=run.filename)
            except FileProblem:
                self.storage.discard(stored.file_path)
                raise
            out["read_count"] = found.read_count
        return out

    def _store_batch(self, batch: list[PlannedRun]) -> list[tuple[PlannedRun, Facts | FileProblem]]:
        outcomes: list[tuple[PlannedRun, Facts | FileProblem]] = []
        for run in batch:
            try:
                outcomes.append((run, self._store_one(run)))
            except FileProblem as exc:
                outcomes.append((run, exc))
        return outcomes

    # ---------------------------------------------------------------- calling thread

    def _record(self, outcomes: list[tuple[PlannedRun, Facts | FileProblem]]) -> None:
        for run, outcome in outcomes:
            if isinstance(outcome, FileProblem):
                self.problems.append(run_problem(run, outcome))
                continue
            self.facts[run.filename] = outcome
            if outcome["size"] >= JOURNAL_MIN_BYTES or self.storage.mode != "local":
                self.unsaved[run.filename] = outcome

    def flush(self) -> None:
        """Journal the facts gathered since the last flush."""
        if self.unsaved:
            with db_errors("while journalling stored files"), transaction(self.engine) as session:
                journal.record_stored(session, self.submission_id, dict(self.unsaved))
            self.unsaved.clear()
        self.last_flush = time.monotonic()

    def tick(self) -> None:
        if time.monotonic() - self.last_flush >= JOURNAL_FLUSH_SECONDS:
            self.flush()

    def _run_pool(self, threads: int) -> None:
        # At most a few batches per thread are in flight, so waiting stays cheap and
        # memory flat however many files a sheet lists.
        jobs = iter(batches(self.todo, self.files))
        window = threads * 4
        pending: dict[Future, list[PlannedRun]] = {}
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="nfdp-file") as pool:
            try:
                while True:
                    while len(pending) < window and (batch := next(jobs, None)) is not None:
                        pending[pool.submit(self._store_batch, batch)] = batch
                    if not pending:
                        break
                    done, _ = wait(pending, timeout=JOURNAL_FLUSH_SECONDS, return_when=FIRST_COMPLETED)
                    for future in done:
                        del pending[future]
                        self._record(future.result())  # a worker's exception is raised here
                    self.tick()
            except BaseException:
                for future in pending:
                    future.cancel()
                raise

    def run(self) -> dict[str, Facts]:
        if self.facts:
            log.info("%d file(s) already checked by an earlier attempt; not read again", len(self.facts))
        if self.show_progress and self.todo:
            total = sum(self.files[r.filename][1].st_size for r in self.todo)
            label = "uploading" if self.storage.mode == "minio" else "hashing"
            self.progress = self.progress_factory(total, len(self.todo), label=label)
        try:
            self._run_pool(useful_threads(self.threads, self.todo, self.files, self.storage.mode))
        finally:
            if self.progress:
                self.progress.close()
            try:
                self.flush()
            except InfrastructureError as exc:  # already failing, or done: a re-run reads these files again
                log.warning("could not journal checked files: %s", exc.message)
        if self.deep and not self.problems:
            self.problems.extend(self._pair_problems())
        if self.problems:
            self.problems.sort(key=lambda p: (p["row"] or 0, p["column"] or ""))
            raise SubmissionFailed(problems_message("file", self.problems), self.problems, None)
        return self.facts

    def _pair_problems(self) -> list[dict]:
        """Deep mode: paired FASTQ files of one row hold the same reads."""
        problems = []
        for fwd, rev in pairs(self.plan):
            if self.facts[fwd.filename]["file_type"] != "FASTQ":
                continue
            try:
                for run in (fwd, rev):  # files an earlier attempt checked were not read this time
                    if run.filename not in self.deep_facts:
                        self.deep_facts[run.filename] = deep_check(self.files[run.filename][0], "FASTQ",
                                                                   filename=run.filename)
                check_pair(self.deep_facts[fwd.filename], self.deep_facts[rev.filename])
            except FileProblem as exc:
                problems.append(run_problem(rev, exc))
        return problems


def verify_all(plan: Plan, storage, facts: dict[str, Facts]) -> None:
    """Every stored object still has the size and checksums it was stored with."""
    problems = []
    for run in plan.new("runs"):
        f = facts[run.filename]
        try:
            storage.verify(StoredFile(file_path=f["file_path"], facts=file_facts(f)))
        except FileProblem as exc:
            problems.append(run_problem(run, exc))
    if problems:
        raise SubmissionFailed(problems_message("file", problems), problems, None)
