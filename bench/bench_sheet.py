#!/usr/bin/env python3
"""Benchmark sheet validation: wall time and peak memory for generated sheets.

Generates valid TSV sheets of 1,000 / 10,000 / 100,000 rows (ERC000055, paired
FASTQ, two lanes per sample), validates each in a fresh subprocess (so import
cost and peak RSS are those of one real ``validate``), and prints a table and
one JSON line per size. The machine's load average is printed too: wall time
on a busy box is not the code's speed (cpu_s is the process's own CPU time). Runnable standalone: ``python bench/bench_sheet.py``;
``bench/run.py`` imports :func:`main` / :func:`run`.

Targets: 100,000 rows in under 3 s and under 1 GiB peak memory. ``wall s`` is the
whole process (start, imports, validation, building the parsed rows);
``validate s`` is ``validate_sheet`` alone and ``rows s`` the first access to
``report.rows`` (built lazily).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS = 3.0
TARGET_BYTES = 1 << 30

HEADER = ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location", "breed", "sex",
          "tissue", "platform", "instrument_model", "library_strategy", "library_source", "library_selection",
          "library_layout", "insert_size", "library_name", "filename_forward", "filename_reverse",
          "md5_forward", "md5_reverse"]


def write_sheet(path: Path, rows: int) -> None:
    breeds = ["Majaheem", "Maghateer", "Sofor", "Shaele"]
    regions = ["Riyadh", "Al Ahsa", "Tabuk", "Hail", "Qassim"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("# checklist: ERC000055\n")
        fh.write("\t".join(HEADER) + "\n")
        for i in range(rows):
            s = i // 2  # two lanes per sample
            fh.write("\t".join([
                f"camel-{s:07d}", "Camelus dromedarius", "9838", f"2023-{1 + s % 12:02d}-{1 + s % 28:02d}",
                f"Saudi Arabia:{regions[s % 5]}", breeds[s % 4], ("male", "female")[s % 2], "blood",
                "ILLUMINA", "Illumina NovaSeq 6000", "WGS", "GENOMIC", "RANDOM", "PAIRED", "350",
                f"lib-{i:07d}", f"reads/r{i:07d}_R1.fastq.gz", f"reads/r{i:07d}_R2.fastq.gz",
                f"{(2 * i):032x}", f"{(2 * i + 1):032x}",
            ]) + "\n")


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from nfdp_ingest.sheet import validate_sheet
t1 = time.perf_counter()
report = validate_sheet(sys.argv[1])
t2 = time.perf_counter()
n_rows = len(report.rows)  # the parsed rows are built on first use: time that separately
t3 = time.perf_counter()
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"valid": report.valid, "errors": len(report.errors), "rows": n_rows,
                  "import_s": t1 - t0, "validate_s": t2 - t1, "rows_s": t3 - t2, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "maxrss_kib": ru.ru_maxrss}))
"""


def measure(path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, env=env,
                         check=True)
    wall = time.perf_counter() - start
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall_s"] = wall
    return data


def run(sizes=SIZES, workdir: Path | None = None) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for n in sizes:
            path = Path(tmp) / f"sheet_{n}.tsv"
            write_sheet(path, n)
            m = measure(path)
            peak = m["maxrss_kib"] * 1024
            results.append({
                "bench": "sheet_validate", "rows": n, "file_bytes": path.stat().st_size,
                "wall_s": round(m["wall_s"], 3), "import_s": round(m["import_s"], 3),
                "validate_s": round(m["validate_s"], 3), "rows_s": round(m["rows_s"], 3), "cpu_s": round(m["cpu_s"], 3),
                "peak_rss_mib": round(peak / 2**20, 1), "load_avg_1m": round(os.getloadavg()[0], 2),
                "valid": m["valid"], "errors": m["errors"],
                "ok": (n != 100_000) or (m["wall_s"] < TARGET_SECONDS and peak < TARGET_BYTES),
            })
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated row counts")
    ap.add_argument("--json-only", action="store_true", help="print only the JSON lines")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = run(sizes)
    if not args.json_only:
        print(f"{'rows':>8} {'file MB':>8} {'wall s':>7} {'cpu s':>6} {'import s':>8} {'validate s':>10} {'rows s':>6} "
              f"{'peak MiB':>9} {'load':>5}  target (100k: <{TARGET_SECONDS:.0f} s, <1 GiB)")
        for r in results:
            print(f"{r['rows']:>8} {r['file_bytes'] / 1e6:>8.1f} {r['wall_s']:>7.2f} {r['cpu_s']:>6.2f} "
                  f"{r['import_s']:>8.2f} {r['validate_s']:>10.2f} {r['rows_s']:>6.2f} {r['peak_rss_mib']:>9.1f} "
                  f"{r['load_avg_1m']:>5.1f}  {'ok' if r['ok'] else 'MISSED'}")
    for r in results:
        print(json.dumps(r))
    return 0 if all(r["ok"] and r["valid"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
