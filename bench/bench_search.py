"""Search benchmark: GET /api/v1/search over the API benchmark's database (1,000,000 runs).

    .venv/bin/python bench/bench_search.py [--db URL] [--runs 1000000] [--rebuild]

Reuses bench_api's database (built once: 10 projects, 50,000 samples, ``--runs`` runs; the
search documents are written by the database's own triggers as the rows go in), gives
1,000 samples a breed, then measures p50/p99 against a real ``nfdp-ingest serve`` of:
an MD5 (one run), a breed (1,000 samples), a sample alias (one), a file name (its words),
an organism every sample has (50,000 hits), a word every run has (a million hits),
a word nothing has, and the last reachable page (500: hits are paged up to 10,000) of that
word. Target: p99 under 50 ms for every one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
from pathlib import Path

import requests
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import build, pct, run_count, start_server, timed  # noqa: E402

from nfdp_ingest.registry import db  # noqa: E402


def add_breeds(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sample SET breed = 'Telemark' WHERE id <= 1000 AND breed IS NULL"))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None)
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("NFDP_BENCH_DIR", "/tmp/nfdp-bench")))
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--n", type=int, default=200, help="requests per selective query")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    url = args.db or f"sqlite:///{(args.dir / 'bench.sqlite3').resolve()}"
    if args.rebuild or run_count(url) != args.runs:
        build(url, args.runs)
    add_breeds(url)
    proc, base = start_server(url, 1, args.dir)
    rnd = random.Random(7)
    runs = args.runs
    api = f"{base}/api/v1/search"

    def md5_url():
        return f"{api}?q={hashlib.md5(str(rnd.randint(1, runs)).encode()).hexdigest()}"

    def name_url():
        r = rnd.randint(1, runs)
        return f"{api}?q=R{r}_{'R1' if r % 2 else 'R2'}.fastq.gz"

    measures = [
        ("md5 (1 run)", md5_url, args.n),
        ("breed (1,000 samples)", f"{api}?q=telemark", args.n),
        ("sample alias (1)", lambda: f"{api}?q=S{rnd.randint(1, 50_000)}", args.n),
        ("file name (1 run)", name_url, args.n),
        ("no hit", f"{api}?q=zebrafish", args.n),
        ("organism (50,000 samples)", f"{api}?q=bos+taurus", 50),
        ("a word of every run", f"{api}?q=fastq&type=run", 50),
        ("the same, last page (500)", f"{api}?q=fastq&type=run&page=500", 50),
    ]
    results = []
    try:
        s = requests.Session()
        timed(s, f"{api}?q=telemark", 5)
        for name, target, n in measures:
            lat = timed(s, target, n)
            results.append({"measure": name, "n": n, "p50_ms": round(statistics.median(lat), 2),
                            "p99_ms": round(pct(lat, 0.99), 2)})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    backend = "postgresql" if "postgres" in url else "sqlite"
    met = all(r["p99_ms"] < 50 for r in results)
    print(f"\nSearch benchmark: {runs:,} runs, {backend}, {os.cpu_count()} cores")
    print(f"{'query':<30} {'n':>5} {'p50 ms':>9} {'p99 ms':>9}")
    for r in results:
        print(f"{r['measure']:<30} {r['n']:>5} {r['p50_ms']:>9} {r['p99_ms']:>9}")
    print(f"target every query p99 < 50 ms: {'met' if met else 'MISSED'}")
    for r in results:
        print(json.dumps({"bench": "search", "backend": backend, "runs": runs, **r}))
    print(json.dumps({"bench": "search", "backend": backend, "targets": {"p99 < 50 ms": met}}))


if __name__ == "__main__":
    main()
