#!/usr/bin/env python
"""Remote submission costs, against moto's S3 server and an ``nfdp-ingest serve`` process:

    .venv/bin/python bench/bench_remote.py [--sizes-mib 128,384] [--small-files 1000]

  direct   ``Minio.put_object`` of each file into the staging bucket (length known, the
           part size and parts in flight the server uses), in its own process
  staging  ``PUT /api/v1/staging/{name}`` of the same bytes through the server (streamed
           by the ``remote`` client; the server hashes MD5 + SHA-256, sniffs the type and
           streams a multipart upload into the same S3 server)
  submit   ``POST /api/v1/submissions`` of a sheet of ``--small-files`` staged small FASTQ
           files → committed (server-side copies into the raw layout, tags, one commit)

Memory: the server's peak RSS (VmHWM) is read after each staged file; flat in file size
means the larger file leaves it where the smaller left it (bounded by part size × parts in
flight). Targets: staging / direct throughput >= 0.8.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_minio import ACCESS, SECRET, free_port, generate, start_moto, warm  # noqa: E402

MiB = 1024 * 1024
PART_SIZE = 64 * MiB
PARALLEL_PARTS = 4
BUCKET = "nfdp-staging"


def direct_child(endpoint: str, paths: list[str]) -> dict:
    from minio import Minio

    client = Minio(endpoint, access_key=ACCESS, secret_key=SECRET, secure=False)
    if not client.bucket_exists(BUCKET):
        client.make_bucket(BUCKET)
    out = []
    for p in paths:
        started = time.perf_counter()
        with open(p, "rb") as fh:
            client.put_object(BUCKET, f"direct/{Path(p).name}", fh, length=os.fstat(fh.fileno()).st_size,
                              part_size=PART_SIZE, num_parallel_uploads=PARALLEL_PARTS)
        out.append(time.perf_counter() - started)
    return {"seconds": out}


def server_env(work: Path, endpoint: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATA_DIR=str(work / "var"), NFDP_STORAGE="minio", NFDP_MINIO_ENDPOINT=endpoint,
               NFDP_MINIO_ACCESS_KEY=ACCESS, NFDP_MINIO_SECRET_KEY=SECRET,
               NFDP_MINIO_PART_SIZE=str(PART_SIZE), NFDP_MINIO_PARALLEL_PARTS=str(PARALLEL_PARTS),
               NFDP_DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}")
    return env


def prepare_registry(url: str) -> tuple[str, str]:
    from nfdp_ingest.registry import db, tokens
    from nfdp_ingest.registry.projects import create_project

    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        secret = tokens.create(session, "bench")
    project = create_project(engine, "Bench")["accession"]
    engine.dispose()
    return secret, project


def start_server(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    out = open(log, "w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "nfdp-ingest"), "serve", "--port", str(port)],
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code in (200, 503):
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start; see {log}")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def small_sheet(folder: Path, n: int) -> tuple[Path, list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    lines = ["sample_alias\torganism\ttax_id\tplatform\tinstrument_model\tlibrary_strategy\tlibrary_source\t"
             "library_selection\tlibrary_layout\tfilename_forward"]
    for i in range(n):
        p = folder / f"small{i:05d}.fastq"
        p.write_bytes(b"@r%d\nACGTACGTAC\n+\nIIIIIIIIII\n" % i)
        files.append(p)
        lines.append(f"s{i:05d}\tCamelus dromedarius\t9838\tILLUMINA\tIllumina NovaSeq 6000\tWGS\tGENOMIC\t"
                     f"RANDOM\tSINGLE\t{p.name}")
    sheet = folder / "small.tsv"
    sheet.write_text("\n".join(lines) + "\n")
    return sheet, files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes-mib", default="128,384")
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--child-direct", nargs=2, metavar=("ENDPOINT", "PATHS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_direct:
        print(json.dumps(direct_child(args.child_direct[0], args.child_direct[1].split(","))))
        return 0

    from nfdp_ingest.files import file_digest
    from nfdp_ingest.remote.client import Client

    sizes = [int(s) for s in args.sizes_mib.split(",")]
    work = Path(tempfile.mkdtemp(prefix="nfdp-bench-remote-"))
    moto, endpoint = start_moto()
    server = None
    try:
        paths = []
        for i, size in enumerate(sizes):
            [p] = generate(work / f"f{i}", 1, size * MiB)
            paths.append(p.rename(p.with_name(f"big{i}_R1.fastq.gz")))
        warm(paths)
        env = server_env(work, endpoint)
        secret, project = prepare_registry(env["NFDP_DATABASE_URL"])
        server, base = start_server(env, work / "serve.log")
        client = Client(base, secret, timeout=600)
        direct = subprocess.run([sys.executable, __file__, "--child-direct", endpoint, ",".join(map(str, paths))],
                                capture_output=True, text=True, check=True)
        direct_s = json.loads(direct.stdout.strip().splitlines()[-1])["seconds"]
        rows = []
        for p, d in zip(paths, direct_s):
            md5 = file_digest(p, "md5")
            started = time.perf_counter()
            client.stage(p, p.name, md5)
            staged = time.perf_counter() - started
            size = p.stat().st_size
            rows.append({"bench": "remote", "phase": "staging", "bytes": size,
                         "direct_mb_per_s": round(size / d / 1e6, 1), "staging_mb_per_s": round(size / staged / 1e6, 1),
                         "ratio": round(d / staged, 3), "server_peak_rss_mib": round(peak_rss_mib(server.pid), 1)})
        sheet, small = small_sheet(work / "small", args.small_files)
        started = time.perf_counter()
        for p in small:
            client.stage(p, p.name, file_digest(p, "md5"))
        stage_s = time.perf_counter() - started
        started = time.perf_counter()
        accession = client.submit(sheet, project)["accession"]
        while (body := client.status(accession))["status"] not in ("committed", "failed"):
            time.sleep(0.2)
        submit_s = time.perf_counter() - started
        client.close()
        print(f"\nPUT /staging vs put_object, moto S3 on 127.0.0.1, part {PART_SIZE // MiB} MiB x {PARALLEL_PARTS}")
        print(f"{'MiB':>8}{'direct MB/s':>13}{'staging MB/s':>14}{'ratio':>8}{'server RSS MiB':>16}")
        for r in rows:
            print(f"{r['bytes'] / MiB:>8.0f}{r['direct_mb_per_s']:>13.1f}{r['staging_mb_per_s']:>14.1f}"
                  f"{r['ratio']:>8.2f}{r['server_peak_rss_mib']:>16.1f}")
        print(f"\n{args.small_files} small files: staged in {stage_s:.1f} s; POST /submissions -> "
              f"{body['status']} in {submit_s:.1f} s\n")
        for r in rows:
            print(json.dumps({**r, "target": 0.8, "ok": r["ratio"] >= 0.8}))
        print(json.dumps({"bench": "remote", "phase": "submit", "files": args.small_files,
                          "status": body["status"], "stage_seconds": round(stage_s, 2),
                          "post_to_committed_seconds": round(submit_s, 2)}))
        return 0 if body["status"] == "committed" else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        moto.terminate()
        moto.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
