"""Pages benchmark: the project page of a 100,000-run project through a live ``nfdp-ingest serve``.

    .venv/bin/python bench/bench_pages.py [--runs 100000] [--db URL] [--rounds 30]

Builds (with bench_dataout's bulk ``build``: one project with ``--runs`` paired FASTQ runs,
two pairs per sample, Core executemany; SQLite under bench/out/ unless ``--db``) and times
GET /projects/{acc} — the first page, the middle page of runs (the deepest an offset walk
goes: past the middle the accession index is read from its far end) with a middle page of
samples, and the last page — ``--rounds`` times each after a warm-up, p50/p99. Every answer
must be a full page (50 run rows). Target: p99 < 1 s for each. Prints a table, then one
JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_api import pct, start_server  # noqa: E402
from bench_dataout import acc, build  # noqa: E402

OUT = ROOT / "bench" / "out"
PER_PAGE = 50  # nfdp_ingest.pages.data.PER_PAGE
TARGET_S = 1.0


def timed(session: requests.Session, url: str, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds + 1):
        t = time.perf_counter()
        r = session.get(url)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        rows = r.text.split('id="runs"', 1)[1].count('<th scope="row"><a href="/runs/')
        assert rows == PER_PAGE, (url, rows)  # a fast empty page proves nothing
    return out[1:]  # the first is the warm-up


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--db", default=None, help="database URL (default: SQLite under bench/out/)")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    data_dir = OUT / "pages"
    data_dir.mkdir(exist_ok=True)
    url = args.db or f"sqlite:///{data_dir / 'pages.sqlite3'}"
    t = time.perf_counter()
    build(url, args.runs, [])
    from nfdp_ingest.registry import db

    engine = db.make_engine(url)  # statistics (and PostgreSQL's visibility map), as autovacuum would leave them
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE")
    engine.dispose()
    print(f"built {args.runs:,} runs in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    project = acc("PRJ", 1)
    last_runs = -(-args.runs // PER_PAGE)
    samples = args.runs // 4
    pages = {
        "first page": f"/projects/{project}",
        f"middle runs page ({last_runs // 2:,}), middle samples page": (
            f"/projects/{project}?runs_page={last_runs // 2}&samples_page={-(-samples // PER_PAGE) // 2}"),
        f"last runs page ({last_runs:,})": f"/projects/{project}?runs_page={last_runs}",
    }
    proc, base = start_server(url, 1, data_dir)
    results = []
    try:
        with requests.Session() as session:
            for name, path in pages.items():
                lat = timed(session, base + path, args.rounds)
                results.append({"bench": "pages", "measure": f"GET /projects/{{acc}} {name}", "runs": args.runs,
                                "n": len(lat), "p50_ms": round(statistics.median(lat) * 1000, 1),
                                "p99_ms": round(pct(lat, 0.99) * 1000, 1),
                                "target_ok": pct(lat, 0.99) < TARGET_S})
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\nPages benchmark: project page of {args.runs:,} runs, {backend}, {os.cpu_count()} cores")
    print(f"{'measure':<72} {'p50 ms':>9} {'p99 ms':>9}")
    for r in results:
        print(f"{r['measure']:<72} {r['p50_ms']:>9} {r['p99_ms']:>9}")
    print(f"target p99 < {TARGET_S:.0f} s: {'met' if all(r['target_ok'] for r in results) else 'MISSED'}")
    for r in results:
        print(json.dumps(r))
    sys.exit(0 if all(r["target_ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
