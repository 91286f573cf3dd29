#!/usr/bin/env python
"""File-checking throughput: ``scan_files`` against ``md5sum`` on the same files, same run.

    .venv/bin/python bench/bench_files.py [--size-gib 2] [--files 8] [--rounds 2] [--dir DIR]

Generates ``--files`` files totalling ``--size-gib`` (a real gzip FASTQ member at the head
so type detection passes, then incompressible bytes), warms the page cache, then times:

  md5sum    ``xargs -P<threads> -n1 md5sum``                 (the reference)
  md5sum-1  ``md5sum`` of all files on one core
  scan      ``scan_files`` MD5 + SHA-256 (default mode), sniffing, size checks
  scan-seq  the same with SHA-256 in the reading thread (no helper thread)
  scan-md5  ``scan_files`` MD5 only (sha256=False)
  scan-1    default mode, threads=1

each in a fresh subprocess (peak RSS = that process's VmHWM). Prints a table and one
JSON line per measurement (best of ``--rounds``). The target is ratio >= 0.9.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

MiB = 1024 * 1024


def generate(folder: Path, n_files: int, total_bytes: int) -> list[Path]:
    per_file = total_bytes // n_files
    block = os.urandom(16 * MiB)
    paths = []
    for i in range(n_files):
        path = folder / f"BENCH{i:02d}_R1_001.fastq.gz"
        head = gzip.compress(b"@A00123:45:HFCJKDSXY:1:1101:1000:2000 1:N:0:ACGT\n" + b"ACGT" * 25
                             + b"\n+\n" + b"F" * 100 + b"\n", mtime=0)
        with open(path, "wb") as f:
            f.write(head)
            f.write(i.to_bytes(8, "little"))  # files differ
            left = per_file - len(head) - 8
            while left > 0:
                chunk = block[: min(left, len(block))]
                f.write(chunk)
                left -= len(chunk)
        paths.append(path)
    return paths


def peak_rss_kib() -> int:
    """This process's own peak RSS. (ru_maxrss is not used: Linux carries the parent's
    high-water mark into a forked child across exec, which would hide our figure.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(args) -> None:
    """Runs in a subprocess: scan the files, print elapsed and peak RSS as JSON."""
    from nfdp_ingest.files import FileFacts, ScanJob, scan_files

    jobs = [ScanJob(p, os.path.basename(p)) for p in args.paths]
    t0 = time.perf_counter()
    results = scan_files(jobs, threads=args.threads, sha256=not args.md5_only,
                         parallel=not args.sequential)
    elapsed = time.perf_counter() - t0
    bad = [str(r) for r in results if not isinstance(r, FileFacts)]
    print(json.dumps({"elapsed": elapsed, "maxrss_kib": peak_rss_kib(),
                      "problems": bad, "md5": [getattr(r, "md5", None) for r in results]}))


def run_scan(paths, threads, *, md5_only=False, sequential=False) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--threads", str(threads)]
    if md5_only:
        cmd.append("--md5-only")
    if sequential:
        cmd.append("--sequential")
    out = subprocess.run(cmd + [str(p) for p in paths], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    if data["problems"]:
        raise SystemExit(f"scan found problems: {data['problems']}")
    return data


def run_md5sum(paths, threads) -> dict:
    t0 = time.perf_counter()
    if threads == 1:
        out = subprocess.run(["md5sum", *map(str, paths)], check=True, capture_output=True, text=True)
    else:
        out = subprocess.run(["xargs", "-0", "-P", str(threads), "-n", "1", "md5sum"],
                             input="\0".join(map(str, paths)), check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    md5 = {line.split()[1]: line.split()[0] for line in out.stdout.splitlines()}
    return {"elapsed": elapsed, "maxrss_kib": None,  # a C tool: a few MiB; not measured
            "md5": [md5[str(p)] for p in paths]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-gib", type=float, default=2.0)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=None, help="where to generate (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--md5-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sequential", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if not shutil.which("md5sum"):
        raise SystemExit("md5sum is not installed")

    folder = Path(tempfile.mkdtemp(prefix="nfdp-bench-files-", dir=args.dir))
    try:
        total = int(args.size_gib * 1024 * MiB)
        t0 = time.perf_counter()
        paths = generate(folder, args.files, total)
        total = sum(p.stat().st_size for p in paths)
        print(f"generated {len(paths)} files, {total / MiB:.0f} MiB in {time.perf_counter() - t0:.1f} s "
              f"under {folder}; threads={args.threads}, cores={os.cpu_count()}", file=sys.stderr)
        run_md5sum(paths, args.threads)  # warm the page cache

        cases = [
            ("md5sum", lambda: run_md5sum(paths, args.threads), args.threads),
            ("md5sum-1", lambda: run_md5sum(paths, 1), 1),
            ("scan", lambda: run_scan(paths, args.threads), args.threads),
            ("scan-seq", lambda: run_scan(paths, args.threads, sequential=True), args.threads),
            ("scan-md5", lambda: run_scan(paths, args.threads, md5_only=True), args.threads),
            ("scan-1", lambda: run_scan(paths, 1), 1),
        ]
        best: dict[str, dict] = {}
        for _ in range(args.rounds):  # interleaved rounds: drift hits every case alike
            for name, fn, threads in cases:
                r = fn()
                if name not in best or r["elapsed"] < best[name]["elapsed"]:
                    best[name] = {**r, "threads": threads}
        reference = best["md5sum"]["md5"]
        for name, r in best.items():
            if r["md5"] != reference:
                raise SystemExit(f"{name}: MD5s differ from md5sum's")

        base = total / best["md5sum"]["elapsed"]
        base1 = total / best["md5sum-1"]["elapsed"]
        rows = []
        for name, r in best.items():
            mbps = total / r["elapsed"] / 1e6
            ref = base1 if r["threads"] == 1 else base
            rows.append({"bench": "files", "case": name, "threads": r["threads"], "bytes": total,
                         "seconds": round(r["elapsed"], 3), "MB_per_s": round(mbps, 1),
                         "ratio_vs_md5sum": round(total / r["elapsed"] / ref, 3),
                         "peak_rss_MiB": round(r["maxrss_kib"] / 1024, 1) if r["maxrss_kib"] else None})
        print(f"{'case':10} {'threads':>7} {'seconds':>8} {'MB/s':>8} {'vs md5sum':>9} {'peak RSS MiB':>12}")
        for row in rows:
            print(f"{row['case']:10} {row['threads']:>7} {row['seconds']:>8.2f} {row['MB_per_s']:>8.1f} "
                  f"{row['ratio_vs_md5sum']:>9.3f} {row['peak_rss_MiB'] or '-':>12}")
        for row in rows:
            print(json.dumps(row))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
