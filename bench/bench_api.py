"""API benchmark: 1,000,000 runs inserted in bulk, then latency and throughput of a real server.

    .venv/bin/python bench/bench_api.py [--db URL] [--runs 1000000] [--rebuild] [--workers 1]

Builds (once; reused while it holds the same number of runs) a database with 10 projects,
50,000 samples, 50,000 experiments and ``--runs`` runs — project NFDP-PRJ-000001 holds a
tenth of them (100,000 of 1,000,000) — with SQLAlchemy Core ``insert()`` executemany
batches. Then starts ``nfdp-ingest serve`` on a free port and measures p50/p99 of
GET /runs/{acc}, /runs/?page=1, a page near the end, a middle page, /filereport for the
100,000-run project, and req/s of 8 concurrent clients for 10 s. Prints a table, then
one JSON line per measurement. Targets: /runs/{acc} p99 < 15 ms; deep page ≤ 2× page 1.

``--embargo`` puts the last project (runs 900,001-1,000,000) under embargo first: the
anonymous lists then leave its rows out, single runs are drawn from the visible ones, and
GET /runs/{acc} is measured once more with a submitter token of NFDP-PRJ-000001.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import delete, func, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nfdp_ingest.registry import db, tokens  # noqa: E402
from nfdp_ingest.registry.models import (  # noqa: E402
    AccessionCounter,
    ApiToken,
    Experiment,
    Project,
    Run,
    Sample,
)

PROJECTS, SAMPLES = 10, 50_000
BATCH = 50_000


def acc(kind: str, n: int) -> str:
    return f"NFDP-{kind}-{n:06d}"


def build(url: str, runs: int) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    now = datetime(2026, 1, 15, 10, 30, 0)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for table in ("qc_report", "run", "experiment", "sample", "submission_item", "submission", "project"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(insert(Project), [
            {"id": p, "accession": acc("PRJ", p), "title": f"Bench project {p}", "created_at": now}
            for p in range(1, PROJECTS + 1)])
        per_project = SAMPLES // PROJECTS
        conn.execute(insert(Sample), [
            {"id": s, "accession": acc("SAM", s), "project_id": (s - 1) // per_project + 1,
             "alias": f"S{s}", "organism": "Bos taurus", "tax_id": 9913, "attributes": {}, "created_at": now}
            for s in range(1, SAMPLES + 1)])
        conn.execute(insert(Experiment), [
            {"id": e, "accession": acc("EXP", e), "sample_id": e, "platform": "ILLUMINA",
             "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
             "library_source": "GENOMIC", "library_layout": "PAIRED", "insert_size": 350, "created_at": now}
            for e in range(1, SAMPLES + 1)])
        per_exp = max(1, runs // SAMPLES)
        for start in range(1, runs + 1, BATCH):
            rows = []
            for r in range(start, min(start + BATCH, runs + 1)):
                name = f"R{r}_{'R1' if r % 2 else 'R2'}.fastq.gz"
                md5 = hashlib.md5(str(r).encode()).hexdigest()
                rows.append({
                    "id": r, "accession": acc("RUN", r), "experiment_id": min(SAMPLES, (r - 1) // per_exp + 1),
                    "filename": name, "file_type": "FASTQ", "file_size": 1_000_000 + r, "checksum_md5": md5,
                    "checksum_sha256": md5 * 2, "read_direction": "forward" if r % 2 else "reverse",
                    "file_path": f"/data/bench/{name}", "created_at": now,
                })
            conn.execute(insert(Run), rows)
            print(f"  inserted {min(start + BATCH - 1, runs):,} runs ({time.perf_counter() - t0:.0f}s)",
                  file=sys.stderr)
        for kind, last in (("PRJ", PROJECTS), ("SAM", SAMPLES), ("EXP", SAMPLES), ("RUN", runs)):
            conn.execute(update(AccessionCounter).where(AccessionCounter.kind == kind).values(last_value=last))
    with engine.connect() as conn:  # fresh statistics for the planner
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE")
    engine.dispose()
    print(f"built {runs:,} runs in {time.perf_counter() - t0:.1f}s", file=sys.stderr)


def set_embargo(url: str, on: bool) -> str | None:
    """The last project under embargo (or none); with it, a submitter token of project 1 → its secret."""
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        s.execute(update(Project).values(release_date=None))
        s.execute(delete(ApiToken).where(ApiToken.name == "bench"))
        secret = None
        if on:
            s.execute(update(Project).where(Project.accession == acc("PRJ", PROJECTS))
                      .values(release_date=datetime.now().date() + timedelta(days=365)))
            secret = tokens.create(s, "bench", "submitter", [acc("PRJ", 1)])
    engine.dispose()
    return secret


def run_count(url: str) -> int:
    try:
        engine = db.make_engine(url)
        with engine.connect() as conn:
            return conn.execute(select(func.count(Run.id))).scalar_one()
    except Exception:
        return -1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATABASE_URL=url, NFDP_DATA_DIR=str(data_dir), NFDP_STORAGE="local")
    log = open(data_dir / "serve.log", "w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "nfdp-ingest"), "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # a loaded machine can take a while to import and open the database
        try:
            if requests.get(base + "/api/v1/health", timeout=5).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start; see {data_dir / 'serve.log'}")


def timed(session: requests.Session, url: str, n: int, expect: int = 200, headers=None) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = session.get(url() if callable(url) else url, headers=headers)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == expect, (r.status_code, r.text[:200])
        if "page=" in r.url:  # a list page must be full: a fast empty page proves nothing
            assert len(r.json()) == 20 and int(r.headers["X-Total-Count"]) > 0, r.url
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def throughput(base: str, runs: int, clients: int = 8, seconds: float = 10.0) -> tuple[float, float]:
    stop = time.monotonic() + seconds
    counts = [0] * clients
    lat: list[float] = []
    lock = threading.Lock()

    def worker(i: int):
        s = requests.Session()
        rnd = random.Random(i)
        mine = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            r = s.get(f"{base}/api/v1/runs/{acc('RUN', rnd.randint(1, runs))}")
            mine.append((time.perf_counter() - t) * 1000)
            if r.status_code == 200:
                counts[i] += 1
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0), pct(lat, 0.99)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="database URL (default: a SQLite file under --dir)")
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("NFDP_BENCH_DIR", "/tmp/nfdp-bench")))
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="server processes (gunicorn when > 1)")
    ap.add_argument("--samples", type=int, default=300, help="sequential requests per single-record measure")
    ap.add_argument("--embargo", action="store_true", help="put the last project under embargo first")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    url = args.db or f"sqlite:///{(args.dir / 'bench.sqlite3').resolve()}"
    if args.rebuild or run_count(url) != args.runs:
        build(url, args.runs)
    db.upgrade(db.make_engine(url))  # a database built by an older version
    secret = set_embargo(url, args.embargo)
    runs = args.runs
    visible = runs - runs // PROJECTS if args.embargo else runs  # the last project's runs are hidden
    proc, base = start_server(url, args.workers, args.dir)
    results = []
    try:
        s = requests.Session()
        rnd = random.Random(1)
        per_page = 20
        last_page = -(-visible // per_page)  # of what an anonymous reader sees
        timed(s, f"{base}/api/v1/runs/?page=1", 20)  # warm up
        timed(s, f"{base}/api/v1/runs/?page={last_page - 1}", 5)
        measures = [
            ("GET /runs/{acc}", lambda: f"{base}/api/v1/runs/{acc('RUN', rnd.randint(1, visible))}", args.samples),
            ("GET /runs/?page=1", f"{base}/api/v1/runs/?page=1", 100),
            (f"GET /runs/?page={last_page - 1} (near end)", f"{base}/api/v1/runs/?page={last_page - 1}", 100),
            (f"GET /runs/?page={last_page // 2} (middle)", f"{base}/api/v1/runs/?page={last_page // 2}", 20),
            ("GET /runs/?project=PRJ-1&page=1", f"{base}/api/v1/runs/?project=NFDP-PRJ-000001&page=1", 20),
        ]
        for name, target, n in measures:
            lat = timed(s, target, n)
            results.append({"measure": name, "n": n, "p50_ms": round(statistics.median(lat), 2),
                            "p99_ms": round(pct(lat, 0.99), 2)})
        if secret:
            lat = timed(s, lambda: f"{base}/api/v1/runs/{acc('RUN', rnd.randint(1, visible))}", args.samples,
                        headers={"Authorization": f"Bearer {secret}"})
            results.append({"measure": "GET /runs/{acc} with a token", "n": args.samples,
                            "p50_ms": round(statistics.median(lat), 2), "p99_ms": round(pct(lat, 0.99), 2)})
        project_runs = runs // PROJECTS
        for fmt in ("json", "tsv"):
            lat, size = [], 0
            for _ in range(3):
                t = time.perf_counter()
                r = s.get(f"{base}/api/v1/filereport", params={"accession": "NFDP-PRJ-000001", "format": fmt},
                          stream=True)
                size = sum(len(c) for c in r.iter_content(1 << 16))
                lat.append((time.perf_counter() - t) * 1000)
            results.append({"measure": f"GET /filereport {fmt} ({project_runs:,} runs, {size / 1e6:.0f} MB)",
                            "n": 3, "p50_ms": round(statistics.median(lat), 1), "p99_ms": round(max(lat), 1),
                            "rows_per_s": round(project_runs / (statistics.median(lat) / 1000))})
        rps, p99 = throughput(base, visible)
        results.append({"measure": "8 clients x 10 s GET /runs/{acc}", "req_per_s": round(rps, 1),
                        "p99_ms": round(p99, 2)})
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    first = next(r for r in results if r["measure"] == "GET /runs/?page=1")
    deep = next(r for r in results if "near end" in r["measure"])
    single = results[0]
    verdict = {
        "runs/{acc} p99 < 15 ms": single["p99_ms"] < 15,
        "deep page p50 <= 2x page 1": deep["p50_ms"] <= 2 * first["p50_ms"],
    }
    backend = "postgresql" if "postgres" in url else "sqlite"
    embargo = ", last project under embargo" if args.embargo else ""
    print(f"\nAPI benchmark: {runs:,} runs, {backend}, {args.workers} server worker(s), {os.cpu_count()} cores"
          f"{embargo}")
    print(f"{'measure':<52} {'p50 ms':>9} {'p99 ms':>9} {'other':>16}")
    for r in results:
        other = (f"{r['req_per_s']} req/s" if "req_per_s" in r else
                 f"{r['rows_per_s']:,} rows/s" if "rows_per_s" in r else "")
        print(f"{r['measure']:<52} {r.get('p50_ms', ''):>9} {r.get('p99_ms', ''):>9} {other:>16}")
    for k, ok in verdict.items():
        print(f"target {k}: {'met' if ok else 'MISSED'}")
    for r in results:
        print(json.dumps({"bench": "api", "backend": backend, "runs": runs, "workers": args.workers,
                          "embargo": args.embargo, **r}))
    print(json.dumps({"bench": "api", "backend": backend, "targets": verdict}))


if __name__ == "__main__":
    main()
