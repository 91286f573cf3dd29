"""Registration benchmark: submit generated sheets of 10,000 and 100,000 rows.

Each row is one sample with one small single-end FASTQ file, so the figure is
dominated by the per-row cost of validation, planning, journalling, per-file
checks and the bulk commit. Runs in a subprocess per size on a fresh SQLite
database (and PostgreSQL with --pg), reporting wall time, rows/s and peak RSS.

    .venv/bin/python bench/bench_registry.py [--rows 10000 100000] [--pg]
Target (issue 3): 100,000 rows committed in under 20 s on SQLite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["sample_alias", "organism", "tax_id", "platform", "instrument_model", "library_strategy",
           "library_source", "library_selection", "library_layout", "filename_forward", "md5_forward"]


def make_inputs(folder: Path, rows: int) -> Path:
    data = folder / "data"
    data.mkdir(parents=True)
    with open(folder / "sheet.tsv", "w") as sheet:
        sheet.write("\t".join(COLUMNS) + "\n")
        for i in range(rows):
            name = f"S{i:06d}.fastq"
            body = f"@r{i}\nACGTACGTAC\n+\nIIIIIIIIII\n".encode()
            (data / name).write_bytes(body)
            sheet.write("\t".join([f"S{i:06d}", "Camelus dromedarius", "9838", "ILLUMINA", "Illumina NovaSeq 6000",
                                   "WGS", "GENOMIC", "RANDOM", "SINGLE", f"data/{name}",
                                   hashlib.md5(body).hexdigest()]) + "\n")
    return folder / "sheet.tsv"


def worker(sheet: str, db_url: str) -> None:
    from nfdp_ingest.config import Settings
    from nfdp_ingest.pipeline.submit import submit_sheet
    from nfdp_ingest.registry import db
    from nfdp_ingest.registry.projects import create_project

    if os.environ.get("NFDP_LOG_LEVEL"):
        from nfdp_ingest.cli.common import setup_logging
        setup_logging()
    engine = db.engine_for(db_url)
    db.upgrade(engine)
    project = create_project(engine, "bench")["accession"]
    settings = Settings(database_url=db_url, threads=os.cpu_count() or 2)
    start = time.perf_counter()
    result = submit_sheet(sheet, settings, project=project, show_progress=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"wall_s": round(wall, 2), "runs": len(result.plan.new("runs")), "peak_bytes": peak}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--pg", action="store_true", help="also run on PostgreSQL (127.0.0.1, database test)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    print(f"{'database':<11}{'rows':>9}{'wall s':>9}{'rows/s':>10}{'peak MiB':>10}")
    for rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="nfdp-bench-reg-") as tmp:
            sheet = make_inputs(Path(tmp), rows)
            targets = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3")]
            if args.pg:
                targets.append(("postgresql", _pg_database()))
            for name, url in targets:
                out = subprocess.run([sys.executable, __file__, "--worker", str(sheet), url],
                                     capture_output=True, text=True, cwd=REPO)
                if out.returncode != 0:
                    print(out.stderr, file=sys.stderr)
                    raise SystemExit(1)
                res = json.loads(out.stdout.strip().splitlines()[-1])
                rate = rows / res["wall_s"]
                print(f"{name:<11}{rows:>9}{res['wall_s']:>9.2f}{rate:>10.0f}{res['peak_bytes'] / 2**20:>10.0f}")
                print(json.dumps({"bench": "registry", "database": name, "rows": rows, **res,
                                  "rows_per_s": round(rate)}))


def _pg_database() -> str:
    import uuid

    from sqlalchemy import create_engine, text

    name = f"nfdp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


if __name__ == "__main__":
    main()
