#!/usr/bin/env python
"""Jobs on workers (procrastinate on PostgreSQL), with real ``nfdp-ingest worker`` processes:

    .venv/bin/python bench/bench_workers.py [--files 64] [--qc-runs 16] [--pings 100] [--rounds 1] [--no-pin]

  submission  POST /api/v1/submissions of a sheet of ``--files`` staged FASTQ files (local
              storage) → committed, with 1 worker and with 2 (plan, batches, commit)
  qc          ``--qc-runs`` FastQC jobs (one per run) → all done, with 1 worker and with 2
              (target on 2 cores: >= 1.7x). Each worker is pinned to a core of its own
              (``--no-pin``: not), so one worker is one core: a FastQC JVM otherwise spreads
              its JIT compiler and GC threads over both cores and one worker already uses ~1.2.
  latency     an empty job (``ping``) enqueued while a worker idles and listens: enqueue →
              start, from procrastinate's own event timestamps, p50 / p99. The worker is
              warmed up first (registered, one ping done), and each ping is enqueued only
              once the previous one has started, so neither start-up nor a backlog is counted.

Timings start once every worker has registered and run a first empty job.

PostgreSQL: ``NFDP_BENCH_PG_URL`` (an admin URL; default postgres@127.0.0.1:5432), one fresh
database per measurement, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import create_engine, text  # noqa: E402

ADMIN = os.environ.get("NFDP_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent / "nfdp-ingest"


class Db:
    def __init__(self):
        self.name = f"nfdp_bench_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = ADMIN.rsplit("/", 1)[0] + "/" + self.name

    def drop(self):
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def setup(tmp: Path):
    from nfdp_ingest.config import Settings
    from nfdp_ingest.jobs.distributed import apply_schema
    from nfdp_ingest.registry import db

    base = Db()
    settings = Settings(data_dir=tmp / "var", database_url=base.url, storage="local", threads=1, jobs="workers",
                        job_batch_files=8, worker_heartbeat=1.0)
    db.upgrade(db.make_engine(settings.db_url))
    apply_schema(settings)
    return base, settings, db.make_engine(settings.db_url)


@contextmanager
def bench_db():
    """(scratch folder, settings, engine, running) on a database of its own; the workers the
    block starts (added to ``running``) are stopped and the database dropped, also when a
    bench fails (a worker left running would wait for its dropped database for ever)."""
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        base, settings, engine = setup(tmp)
        running: list[subprocess.Popen] = []
        try:
            yield tmp, settings, engine, running
        finally:
            stop([p for p in running if p.poll() is None])
            engine.dispose()
            base.drop()


def pinned(i: int):
    """preexec_fn: the worker (and its FastQC children) on core ``i`` only."""
    cpus = sorted(os.sched_getaffinity(0))
    return lambda: os.sched_setaffinity(0, {cpus[i % len(cpus)]})


def start_workers(settings, n: int, tmp: Path, *, pin: bool = False) -> list[subprocess.Popen]:
    """``n`` workers, returned once all have registered and one empty job has run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATABASE_URL=settings.db_url, NFDP_DATA_DIR=str(settings.data_dir), NFDP_JOBS="workers",
               NFDP_THREADS="1", NFDP_JOB_BATCH_FILES=str(settings.job_batch_files), NFDP_WORKER_HEARTBEAT="1")
    procs = [subprocess.Popen([str(BIN), "worker"], env=env, stdout=open(tmp / f"w{i}.log", "w"),
                              stderr=subprocess.STDOUT, preexec_fn=pinned(i) if pin else None) for i in range(n)]
    engine = create_engine(settings.db_url)
    try:
        _wait_ready(engine, settings, procs, n)
    except BaseException:
        stop([p for p in procs if p.poll() is None])
        raise
    finally:
        engine.dispose()
    return procs


def _wait_ready(engine, settings, procs, n: int) -> None:
    """Until ``n`` workers have registered and one of them has run an empty job."""
    from nfdp_ingest.jobs.distributed import DistributedRunner

    deadline = time.monotonic() + 120
    with engine.connect() as c:
        while c.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar() < n:
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "workers did not start"
            c.rollback()
            time.sleep(0.05)
    runner = DistributedRunner(settings)
    try:
        wait_started(engine, runner.enqueue("ping"), done=True)
    finally:
        runner.close()


def wait_started(engine, job_id: int, *, done: bool = False, timeout: float = 60) -> None:
    wanted = ("succeeded", "failed") if done else ("doing", "succeeded", "failed")
    deadline = time.monotonic() + timeout
    with engine.connect() as c:
        while c.execute(text("SELECT status::text FROM procrastinate_jobs WHERE id = :i"),
                        {"i": job_id}).scalar() not in wanted:
            assert time.monotonic() < deadline, f"job {job_id} did not start"
            c.rollback()
            time.sleep(0.002)


def stop(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=60)


def statuses(engine, name: str) -> list[str]:
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT status::text FROM procrastinate_jobs WHERE args->>'name' = :n"),
                                        {"n": name})]


def bench_submission(files: int, workers: int) -> float:
    from werkzeug.serving import make_server

    from nfdp_ingest.api import create_app
    from nfdp_ingest.jobs.distributed import DistributedRunner
    from nfdp_ingest.registry import db, tokens
    from nfdp_ingest.registry.projects import create_project
    from nfdp_ingest.staging.area import LocalArea
    from nfdp_ingest.staging.service import stage
    from tests.fixtures_files import write_fastq
    from tests.pipeline.conftest import row, write_sheet

    with bench_db() as (tmp, settings, engine, running):
        with db.transaction(engine) as s:
            token = tokens.create(s, "bench")
        with db.transaction(engine) as s:
            owner = tokens.verify(s, token).id
        project = create_project(engine, "bench")["accession"]
        area, rows = LocalArea(settings.staging_path), []
        for i in range(files):
            f = write_fastq(tmp / "lab", f"b{i:03d}.fastq", reads=2000, mate=None, style="plain", seed=i)
            with open(f, "rb") as fh:
                stage(engine, area, owner, f.filename, fh, length=None, declared_md5=None)
            rows.append(row(f"b{i:03d}", f))
        sheet = write_sheet(tmp / "sheet.tsv", rows)
        running += start_workers(settings, workers, tmp)
        runner = DistributedRunner(settings)
        server = make_server("127.0.0.1", 0, create_app(settings, runner=runner), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        import requests

        url = f"http://127.0.0.1:{server.server_port}/api/v1/submissions/"
        started = time.perf_counter()
        with open(sheet, "rb") as fh:
            acc = requests.post(url, headers={"Authorization": f"Bearer {token}"}, data={"project": project},
                                files={"sheet": ("sheet.tsv", fh)}, timeout=60).json()["accession"]
        while True:
            body = requests.get(url + acc, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
            if body["status"] in ("committed", "failed"):
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        assert body["status"] == "committed", body
        server.shutdown()
        runner.close()
        return seconds


def bench_qc(runs: int, workers: int, pin: bool = True) -> float:
    from nfdp_ingest.jobs.distributed import DistributedRunner
    from nfdp_ingest.jobs.qc import enqueue_fastqc
    from nfdp_ingest.pipeline.submit import submit_sheet
    from nfdp_ingest.registry.projects import create_project
    from tests.fixtures_files import write_fastq
    from tests.pipeline.conftest import row, write_sheet

    with bench_db() as (tmp, settings, engine, running):
        project = create_project(engine, "bench")["accession"]
        rows = [row(f"q{i:02d}", write_fastq(tmp / "lab", f"q{i:02d}.fastq", reads=5000, mate=None,
                                             style="plain", seed=i)) for i in range(runs)]
        submit_sheet(write_sheet(tmp / "lab" / "qc.tsv", rows), settings, project=project, show_progress=False)
        running += start_workers(settings, workers, tmp, pin=pin)
        runner = DistributedRunner(settings)
        started = time.perf_counter()
        enqueue_fastqc(settings, runner, [], project)
        while True:
            st = statuses(engine, "qc-run")
            if len(st) == runs and all(s in ("succeeded", "failed") for s in st):
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        assert st == ["succeeded"] * runs, st
        runner.close()
        return seconds


def bench_latency(pings: int) -> dict:
    from nfdp_ingest.jobs.distributed import DistributedRunner

    with bench_db() as (tmp, settings, engine, running):
        running += start_workers(settings, 1, tmp)
        runner = DistributedRunner(settings)
        ids = []
        for _ in range(pings):
            ids.append(runner.enqueue("ping"))
            wait_started(engine, ids[-1], done=True)
            time.sleep(0.02)  # the worker is idle, back in LISTEN, when the next one comes
        with engine.connect() as c:
            waits = [r[0] for r in c.execute(text(
                "SELECT extract(epoch FROM s.at - d.at) * 1000 FROM procrastinate_events d "
                "JOIN procrastinate_events s ON s.job_id = d.job_id AND s.type = 'started' "
                "WHERE d.type = 'deferred' AND d.job_id = ANY(:ids)"), {"ids": ids})]
        runner.close()
    waits = sorted(float(w) for w in waits)
    return {"p50_ms": round(statistics.median(waits), 1), "p99_ms": round(waits[int(0.99 * (len(waits) - 1))], 1),
            "n": len(waits)}


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=64)
    ap.add_argument("--qc-runs", type=int, default=16)
    ap.add_argument("--pings", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=1, help="1-then-2-worker rounds; medians reported")
    ap.add_argument("--no-pin", dest="pin", action="store_false", help="QC: workers not pinned to a core each")
    args = ap.parse_args()
    results = []
    qc = lambda n, w: bench_qc(n, w, pin=args.pin)  # noqa: E731
    for name, fn, n in (("submission", bench_submission, args.files), ("qc", qc, args.qc_runs)):
        ones, twos = [], []
        for _ in range(args.rounds):  # alternating, so a load change from others hits both
            ones.append(fn(n, 1))
            twos.append(fn(n, 2))
        one, two = statistics.median(ones), statistics.median(twos)
        results.append({"bench": "workers", "case": name, "items": n, "one_worker_s": round(one, 2),
                        "two_workers_s": round(two, 2), "speedup": round(one / two, 2)})
    lat = bench_latency(args.pings)
    results.append({"bench": "workers", "case": "enqueue_to_start", **lat})
    results.append({"bench": "workers", "case": "load_average_1_5_15", "load": [round(x, 2) for x in os.getloadavg()]})
    print(f"{'case':<18}{'items':>6}{'1 worker s':>12}{'2 workers s':>13}{'speedup':>9}")
    for r in results[:2]:
        print(f"{r['case']:<18}{r['items']:>6}{r['one_worker_s']:>12}{r['two_workers_s']:>13}{r['speedup']:>9}")
    print(f"enqueue → start of an empty job: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms ({lat['n']} jobs)")
    print("load average at the end (1, 5, 15 min):", results[-1]["load"])
    for r in results:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
