"""Many files at once: one ``scan_file`` per job on a thread pool, deep checks and
mate-pair checks on request. Used by ``check-files`` and the dry run of ``submit``."""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .hashing import CHUNK_SIZE, FileFacts, scan_file
from .problems import FileProblem


@dataclass(frozen=True)
class ScanJob:
    path: str | os.PathLike
    filename: str
    expected_type: str | None = None
    declared_md5: str | None = None
    #: with deep=True: index (in the same job list) of this file's forward mate; the pair is
    #: then checked (equal read counts, mate names) and a failure becomes both jobs' problem
    mate_of: int | None = None


def scan_files(jobs: Sequence[ScanJob], *, threads: int, progress: Any = None, deep: bool = False,
               sha256: bool = True, chunk_size: int = CHUNK_SIZE,
               parallel: bool = True) -> list[FileFacts | FileProblem]:
    """Scan files in parallel; one result per job, in job order, never raising for a bad file.

    ``progress`` gets ``advance`` per read and ``file_done(filename)`` per job (also
    for a job that failed).

    Each result is the file's FileFacts (with ``deep`` and ``read_count`` filled when
    ``deep``) or the FileProblem that file has. Errors that are bugs still propagate.
    """
    from .deep import check_pair, deep_check  # deep imports dnaio: only when used

    def one(job: ScanJob) -> FileFacts | FileProblem:
        try:
            return _one(job)
        finally:
            if progress is not None:
                progress.file_done(job.filename)

    def _one(job: ScanJob) -> FileFacts | FileProblem:
        try:
            facts = scan_file(job.path, filename=job.filename, expected_type=job.expected_type,
                              declared_md5=job.declared_md5, progress=progress,
                              chunk_size=chunk_size, sha256=sha256, parallel=parallel)
            if deep:
                d = deep_check(job.path, facts.file_type, filename=job.filename)
                facts = replace(facts, deep=d, read_count=d.read_count)
            return facts
        except FileProblem as problem:
            return problem

    jobs = list(jobs)
    if not jobs:
        return []
    workers = max(1, min(threads or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        results = [one(j) for j in jobs]
    else:
        with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nfdp-scan") as pool:
            results = list(pool.map(one, jobs))
    if deep:
        for i, job in enumerate(jobs):
            if job.mate_of is None:
                continue
            fwd, rev = results[job.mate_of], results[i]
            if isinstance(fwd, FileFacts) and isinstance(rev, FileFacts) and fwd.deep and rev.deep:
                try:
                    check_pair(fwd.deep, rev.deep, jobs[job.mate_of].filename, job.filename)
                except FileProblem as problem:
                    results[job.mate_of] = problem
                    results[i] = problem
    return results
