"""Data-out benchmark: nf-core sample sheet of a 100,000-run project; fetch vs curl.

    .venv/bin/python bench/bench_dataout.py [--runs 100000] [--files 8] [--mib 128] [--threads 4] [--rounds 3]

1. Builds (SQLite, bench/out/dataout.sqlite3, Core executemany) one project with ``--runs``
   paired FASTQ runs (two pairs per sample, mates recorded) and times ``prepare`` + streaming
   of the rnaseq and sarek sheets in a fresh process each, with its peak RSS.
2. Writes ``--files`` FASTQ-named files of ``--mib`` MiB into a second project, starts
   ``nfdp-ingest serve`` (local mode) and downloads them all with ``curl`` (``--parallel``,
   same number of connections) and with ``nfdp-ingest fetch --threads N`` (MD5 + SHA-256
   verified), alternating ``--rounds`` times with dirty pages written back before each; the
   medians are compared. Both write to ``--sink`` (tmpfs by default): the download tools are
   compared, not this machine's disk. Target: fetch ≥ 0.9× curl's throughput.
Prints a table, then one JSON line per result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import insert, text, update  # noqa: E402

from nfdp_ingest.export.samplesheets.sheet import prepare  # noqa: E402
from nfdp_ingest.registry import db  # noqa: E402
from nfdp_ingest.registry.models import AccessionCounter, Experiment, Project, Run, Sample  # noqa: E402

OUT = ROOT / "bench" / "out"
NOW = datetime(2026, 1, 15, 10, 30)


def acc(kind: str, n: int) -> str:
    return f"NFDP-{kind}-{n:06d}"


def build(url: str, runs: int, files: list[tuple[str, Path, bytes]]) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    samples = runs // 4
    with engine.begin() as conn:
        for table in ("qc_report", "run", "experiment", "sample", "submission_item", "submission", "project"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(insert(Project), [{"id": 1, "accession": acc("PRJ", 1), "title": "sheet bench", "created_at": NOW},
                                       {"id": 2, "accession": acc("PRJ", 2), "title": "fetch bench", "created_at": NOW}])
        conn.execute(insert(Sample), [{"id": s, "accession": acc("SAM", s), "project_id": 1 if s <= samples else 2,
                                       "alias": f"S{s}", "attributes": {}, "created_at": NOW}
                                      for s in range(1, samples + 2)])
        conn.execute(insert(Experiment), [{"id": e, "accession": acc("EXP", e), "sample_id": e, "platform": "ILLUMINA",
                                           "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
                                           "library_source": "GENOMIC", "library_layout": "PAIRED", "created_at": NOW}
                                          for e in range(1, samples + 2)])
        rows = []
        for r in range(1, runs + 1):
            fwd = r % 2 == 1
            name = f"S{(r - 1) // 4 + 1}_L{(r - 1) // 2 % 2 + 1}_{'R1' if fwd else 'R2'}.fastq.gz"
            md5 = hashlib.md5(str(r).encode()).hexdigest()
            rows.append({"id": r, "accession": acc("RUN", r), "experiment_id": (r - 1) // 4 + 1, "filename": name,
                         "file_type": "FASTQ", "file_size": 1_000_000 + r, "checksum_md5": md5,
                         "checksum_sha256": md5 * 2, "read_direction": "forward" if fwd else "reverse",
                         "mate_accession": acc("RUN", r + 1 if fwd else r - 1),
                         "file_path": f"nfdp-raw/P/S/R/{name}", "created_at": NOW})
        for i, (name, path, digest) in enumerate(files, start=runs + 1):
            rows.append({"id": i, "accession": acc("RUN", i), "experiment_id": samples + 1, "filename": name,
                         "file_type": "FASTQ", "file_size": path.stat().st_size, "checksum_md5": digest[0],
                         "checksum_sha256": digest[1], "read_direction": "single", "file_path": str(path),
                         "mate_accession": None,
                         "created_at": NOW})
        for start in range(0, len(rows), 50_000):
            conn.execute(insert(Run), rows[start:start + 50_000])
        for kind, last in (("PRJ", 2), ("SAM", samples + 1), ("EXP", samples + 1), ("RUN", len(rows))):
            conn.execute(update(AccessionCounter).where(AccessionCounter.kind == kind).values(last_value=last))
    engine.dispose()


def sheet_child(url: str, pipeline: str) -> None:
    """In a fresh process (so that its peak RSS is the sheet's): prepare + stream, print JSON."""
    import resource

    engine = db.make_engine(url)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    sheet = prepare(engine, acc("PRJ", 1), pipeline, storage_mode="minio", base_url="http://x")
    first = time.perf_counter() - t0  # the API's time to first byte: the pass is done here
    size = sum(len(c) for c in sheet.chunks())
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"bench": "samplesheet", "pipeline": pipeline, "rows": sheet.rows_count, "bytes": size,
                      "seconds": round(seconds, 2), "first_byte_s": round(first, 2),
                      "rss_mib": round(peak / 1024, 1), "rss_growth_mib": round((peak - base_rss) / 1024, 1)}))


def bench_sheet(url: str, pipeline: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--sheet-child", url, pipeline], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_files(folder: Path, count: int, mib: int) -> list[tuple[str, Path, tuple[str, str]]]:
    out = []
    folder = folder.resolve()  # runs record absolute paths
    block = os.urandom(1024 * 1024)
    for i in range(count):
        path = folder / f"F{i}_R1.fastq.gz"
        md5, sha = hashlib.md5(), hashlib.sha256()
        with open(path, "wb") as fh:
            for j in range(mib):
                chunk = bytes([i, j % 256]) + block[2:]
                fh.write(chunk)
                md5.update(chunk)
                sha.update(chunk)
        out.append((path.name, path, (md5.hexdigest(), sha.hexdigest())))
    return out


def start_server(url: str, workers: int, data_dir: Path):
    from bench_api import start_server as serve  # the API benchmark's server start, shared

    return serve(url, workers, data_dir)


def _quiet_disk() -> None:
    """Write back dirty pages before a timed download: otherwise the first contender pays for
    the writeback of the files just made (or of the previous contender's output)."""
    os.sync()
    time.sleep(0.5)


def bench_fetch(url: str, files, threads: int, work: Path, rounds: int, sink: Path) -> list[dict]:
    """curl and fetch, alternating, ``rounds`` times each, both writing under ``sink``; the
    medians are compared."""
    proc, base = start_server(url, 2, work)
    results = []
    try:
        total = sum(p.stat().st_size for _n, p, _d in files)
        import requests

        report = requests.get(f"{base}/api/v1/filereport", params={"accession": acc("PRJ", 2),
                                                                   "fields": "run_accession,filename"}).json()
        urls = [f"{base}/api/v1/runs/{r['run_accession']}/files/{r['filename']}" for r in report]
        seconds: dict[str, list[float]] = {"curl": [], "fetch": []}
        for _ in range(rounds):
            for who in ("curl", "fetch"):
                out = sink / who
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                if who == "curl":
                    args = ["curl", "-sSf", "--parallel", "--parallel-max", str(threads)]
                    for u in urls:
                        args += ["-o", str(out / u.rsplit("/", 1)[1]), u]
                else:  # the whole command: start-up, the file list, download, MD5 + SHA-256
                    args = [str(Path(sys.executable).parent / "nfdp-ingest"), "fetch", acc("PRJ", 2),
                            "--server", base, "-o", str(out), "--threads", str(threads)]
                _quiet_disk()
                t0 = time.perf_counter()
                done = subprocess.run(args, capture_output=True, text=True)
                seconds[who].append(time.perf_counter() - t0)
                if done.returncode != 0:
                    raise SystemExit(f"{who} failed: {done.stderr}")
                assert sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) == total, who
        curl_s, fetch_s = (statistics.median(seconds[w]) for w in ("curl", "fetch"))
        results.append({"bench": "fetch_vs_curl", "files": len(urls), "bytes": total, "threads": threads,
                        "rounds": rounds, "curl_mb_s": round(total / curl_s / 1e6, 1),
                        "fetch_mb_s": round(total / fetch_s / 1e6, 1), "ratio": round(curl_s / fetch_s, 2),
                        "target": 0.9, "curl_s": [round(x, 2) for x in seconds["curl"]],
                        "fetch_s": [round(x, 2) for x in seconds["fetch"]]})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--mib", type=int, default=128)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--sink", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else OUT,
                    help="where curl and fetch write (default: /dev/shm, so that the disk is not measured)")
    ap.add_argument("--rounds", type=int, default=3, help="curl and fetch runs each (medians compared)")
    ap.add_argument("--sheet-child", nargs=2, metavar=("URL", "PIPELINE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sheet_child:
        sheet_child(*args.sheet_child)
        return 0
    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dataout-", dir=OUT))
    try:
        files = make_files(work, args.files, args.mib)
        url = f"sqlite:///{work / 'dataout.sqlite3'}"
        t0 = time.perf_counter()
        build(url, args.runs, files)
        print(f"built {args.runs:,} runs in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        results = [bench_sheet(url, p) for p in ("rnaseq", "sarek")]
        sink = Path(tempfile.mkdtemp(prefix="fetch-", dir=args.sink))
        try:
            results += bench_fetch(url, files, args.threads, work, args.rounds, sink)
        finally:
            shutil.rmtree(sink, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'bench':<14} {'detail':<28} {'figure'}")
    for r in results:
        if r["bench"] == "samplesheet":
            print(f"{'samplesheet':<14} {r['pipeline'] + ' ' + format(r['rows'], ',') + ' rows':<28} "
                  f"{r['seconds']} s (first byte {r['first_byte_s']} s), peak RSS {r['rss_mib']} MiB "
                  f"(+{r['rss_growth_mib']})")
        else:
            print(f"{'fetch vs curl':<14} {str(r['files']) + ' files, ' + str(r['bytes'] >> 20) + ' MiB':<28} "
                  f"curl {r['curl_mb_s']} MB/s, fetch {r['fetch_mb_s']} MB/s, ratio {r['ratio']}")
    for r in results:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
