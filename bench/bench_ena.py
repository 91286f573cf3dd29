"""ENA brokering benchmark: `ena export` and `ena validate` of projects of 10,000 and 100,000 runs.

Each project has one sample per 10 runs (one experiment of five FASTQ pairs, mates recorded), so
100,000 NFDP runs are 50,000 ENA RUNs, 10,000 samples and 10,000 experiments. The registry is
filled with bulk inserts; each phase then runs in a fresh subprocess on SQLite, reporting wall
time, CPU time (the fair figure on a shared machine) and peak RSS. Flat memory shows as the same peak at both sizes.

    .venv/bin/python bench/bench_ena.py [--runs 10000 100000]
Target (issue 10): 100,000 runs exported in seconds with flat memory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fill(db_url: str, runs: int) -> str:
    from sqlalchemy import insert

    from nfdp_ingest.registry import db
    from nfdp_ingest.registry.models import Experiment, Project, Run, Sample

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    samples = runs // 10
    with engine.begin() as conn:
        conn.execute(insert(Project), [{"id": 1, "accession": "NFDP-PRJ-000001", "created_at": date.today(),
                                        "title": "Whole-genome resequencing of dromedary camels",
                                        "description": "Benchmark project for ENA export and validation",
                                        "release_date": date.today() + timedelta(days=300)}])
        conn.execute(insert(Sample), [{
            "id": i + 1, "accession": f"NFDP-SAM-{i + 1:06d}", "project_id": 1, "alias": f"CAMEL_{i:06d}",
            "organism": "Camelus dromedarius", "tax_id": 9838, "checklist_id": "ERC000011",
            "collection_date": "2025-03-14", "geographic_location": "Saudi Arabia:Riyadh", "sex": "female",
            "attributes": {"strain": "local"}, "created_at": date.today()} for i in range(samples)])
        conn.execute(insert(Experiment), [{
            "id": i + 1, "accession": f"NFDP-EXP-{i + 1:06d}", "sample_id": i + 1, "platform": "ILLUMINA",
            "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS", "library_source": "GENOMIC",
            "library_selection": "RANDOM", "library_layout": "PAIRED", "insert_size": 350,
            "created_at": date.today()} for i in range(samples)])
        batch = []
        for n in range(1, runs + 1):
            forward = n % 2 == 1
            mate = n + 1 if forward else n - 1
            name = f"CAMEL_{(n - 1) // 10:06d}_L{((n - 1) % 10) // 2 + 1}_R{1 if forward else 2}.fastq.gz"
            batch.append({"id": n, "accession": f"NFDP-RUN-{n:06d}", "experiment_id": (n - 1) // 10 + 1,
                          "filename": name, "file_type": "FASTQ", "file_size": 1_000_000 + n,
                          "checksum_md5": hashlib.md5(name.encode()).hexdigest(),
                          "checksum_sha256": hashlib.sha256(name.encode()).hexdigest(),
                          "read_direction": "forward" if forward else "reverse",
                          "mate_accession": f"NFDP-RUN-{mate:06d}", "file_path": f"/data/{name}",
                          "created_at": date.today()})
            if len(batch) == 20_000:
                conn.execute(insert(Run), batch)
                batch = []
        if batch:
            conn.execute(insert(Run), batch)
    engine.dispose()
    return "NFDP-PRJ-000001"


def worker(phase: str, db_url: str, folder: str) -> None:
    from nfdp_ingest.config import EnaSettings
    from nfdp_ingest.ena.export import export
    from nfdp_ingest.ena.validate import check_accession
    from nfdp_ingest.registry import db

    engine = db.open_registry(db_url, immediate=False)
    ena = EnaSettings(center_name="Bench Centre")
    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with engine.connect() as conn:
        if phase == "export":
            result = export(conn, "NFDP-PRJ-000001", Path(folder), ena)
            problems = result.problems
        else:
            result, problems = check_accession(conn, "NFDP-PRJ-000001", ena, Path(folder))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime  # honest on a shared machine
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    errors = [p for p in problems if p.severity == "error"]
    print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "ena_runs": result.added.get("run", 0),
                      "errors": len(errors), "peak_bytes": peak,
                      "webin_bytes": (Path(folder) / "webin.xml").stat().st_size}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    print(f"{'phase':<10}{'runs':>9}{'ENA RUNs':>10}{'wall s':>9}{'CPU s':>8}{'peak MiB':>10}{'webin MiB':>11}")
    for runs in args.runs:
        with tempfile.TemporaryDirectory(prefix="nfdp-bench-ena-") as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            fill(url, runs)
            for phase in ("export", "validate"):
                out = subprocess.run([sys.executable, __file__, "--worker", phase, url, f"{tmp}/{phase}"],
                                     capture_output=True, text=True, cwd=REPO)
                if out.returncode != 0:
                    print(out.stderr, file=sys.stderr)
                    raise SystemExit(1)
                res = json.loads(out.stdout.strip().splitlines()[-1])
                if res["errors"]:
                    print(f"{phase}: {res['errors']} validation errors in a valid project", file=sys.stderr)
                    raise SystemExit(1)
                print(f"{phase:<10}{runs:>9}{res['ena_runs']:>10}{res['wall_s']:>9.2f}{res['cpu_s']:>8.2f}"
                      f"{res['peak_bytes'] / 2**20:>10.0f}{res['webin_bytes'] / 2**20:>11.1f}")
                print(json.dumps({"bench": "ena", "phase": phase, "runs": runs, **res}))


if __name__ == "__main__":
    main()
