"""``nfdp-ingest check-files FILE...``: what the ingest would see in a submitter's files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import EXIT_INVALID, UsageError
from .common import echo_json, handle_errors


@click.command("check-files")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--md5", "md5s", multiple=True, metavar="HEX",
              help="Declared MD5 of each FILE, in order (repeat the option; as in the sheet).")
@click.option("--deep", is_flag=True, help="Also decompress to the end: gzip integrity, FASTQ "
                                           "records and read counts, and FILE pairs named *_R1*/*_R2*.")
@click.option("--threads", type=int, default=None, help="Files checked in parallel (default: cores).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--progress/--no-progress", "show_progress", default=True, show_default=True,
              help="Progress on standard error (a live bar on a terminal, log lines otherwise).")
@handle_errors
def check_files_cmd(files: tuple[Path, ...], md5s: tuple[str, ...], deep: bool, threads: int | None,
                    fmt: str, show_progress: bool) -> None:
    """Print type, size, MD5 and SHA-256 of each FILE, as a submission would check them.

    Exit 0 when every file is fine, 1 when any is not (each problem is listed).
    """
    from ..files import FileFacts, ScanJob, scan_files
    from ..progress import make_progress

    if md5s and len(md5s) != len(files):
        raise UsageError(f"--md5 was given {len(md5s)} times for {len(files)} files; give one per file")
    jobs = [ScanJob(path=p, filename=p.name, declared_md5=md5s[i] if md5s else None)
            for i, p in enumerate(files)]
    if deep:
        jobs = _with_mates(jobs)
    total = 0
    for p in files:
        try:
            total += p.stat().st_size
        except OSError:
            pass
    progress = make_progress(total, len(jobs), label="hashing", stream=sys.stderr,
                             enabled=show_progress and fmt == "text")
    try:
        results = scan_files(jobs, threads=threads or os.cpu_count() or 1, progress=progress, deep=deep)
    finally:
        progress.close()

    rows = []
    for job, r in zip(jobs, results):
        if isinstance(r, FileFacts):
            rows.append({"file": str(job.path), "ok": True, "type": r.file_type, "size": r.size,
                         "md5": r.md5, "sha256": r.sha256, "compressed": r.compressed,
                         "read_count": r.read_count})
        else:
            rows.append({"file": str(job.path), "ok": False, "problem": r.message, "kind": r.kind})
    if fmt == "json":
        echo_json(rows)
    else:
        for row in rows:
            if row["ok"]:
                reads = f"  reads={row['read_count']}" if row["read_count"] is not None else ""
                click.echo(f"{row['file']}\t{row['type']}\t{row['size']}\tmd5={row['md5']}\t"
                           f"sha256={row['sha256']}{reads}")
            else:
                click.echo(f"{row['file']}\tPROBLEM\t{row['problem']}")
    bad = sum(1 for row in rows if not row["ok"])
    if bad:
        click.echo(f"{bad} of {len(rows)} files have problems", err=True)
        sys.exit(EXIT_INVALID)


def _with_mates(jobs):
    """Pair FILEs whose names differ only in R1/R2 (or _1/_2) for the deep pair check."""
    import re
    from dataclasses import replace

    pattern = re.compile(r"(.*(?:[._-]R|[._-]))([12])([._-].*|\.f(?:ast)?q(?:\.gz)?)$", re.IGNORECASE)
    forward = {}
    for i, job in enumerate(jobs):
        m = pattern.match(job.filename)
        if m and m.group(2) == "1":
            forward[(m.group(1), m.group(3))] = i
    out = []
    for job in jobs:
        m = pattern.match(job.filename)
        if m and m.group(2) == "2" and (m.group(1), m.group(3)) in forward:
            job = replace(job, mate_of=forward[(m.group(1), m.group(3))])
        out.append(job)
    return out


def register(group: click.Group) -> None:
    group.add_command(check_files_cmd)
