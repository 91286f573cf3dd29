"""/api/v1/samplesheets/… and /api/v1/runs/{acc}/files/{name} in local mode, over real HTTP
(werkzeug on loopback) and curl; the samplesheet command."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import threading

import pytest
import requests

from nfdp_ingest.api import create_app
from tests.export.nfschema import validate
from tests.export.trees import LAYOUTS, build

from .helpers import run_cli


def fastq(name: str, n: int = 2000) -> bytes:
    return b"".join(f"@{name}.{i} 1:N:0:A\nACGTACGTAC\n+\nIIIIIIIIII\n".encode() for i in range(n))


@pytest.fixture
def files_tree(engine, tmp_path):
    """The mixed project, every file real under tmp_path/raw."""
    raw = tmp_path / "raw"
    raw.mkdir()
    data: dict[str, bytes] = {}

    def path_of(name: str) -> str:
        data[name] = fastq(name)
        (raw / name).write_bytes(data[name])
        return str(raw / name)

    class Lazy(dict):
        def get(self, key, default=None):
            return data.get(key, default)

    tree = build(engine, LAYOUTS["mixed"], path_of=path_of, data=Lazy())
    tree["data"] = data
    return tree


@pytest.fixture
def server(settings):
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def test_sheet_endpoint_streams_a_valid_sheet_with_skips(files_tree, server):
    acc = files_tree["project"]
    r = requests.get(f"{server}/api/v1/samplesheets/{acc}/rnaseq.csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert validate("rnaseq", r.text) == []
    skipped = dict(item.split("=") for item in r.headers["X-Skipped-Runs"].split(", "))
    assert sorted(skipped.values()) == ["long-reads", "long-reads", "not-fastq", "not-fastq"]
    assert r.headers["X-Skipped-Count"] == "4"
    refs = [row["fastq_1"] for row in csv.DictReader(io.StringIO(r.text))]
    assert all(ref.startswith(f"{server}/api/v1/runs/NFDP-RUN-") for ref in refs)
    # every reference answers with the run's bytes (what nf-schema's exists check and Nextflow do)
    for ref in refs:
        name = ref.rsplit("/", 1)[-1]
        body = requests.get(ref).content
        assert hashlib.md5(body).hexdigest() == hashlib.md5(files_tree["data"][name]).hexdigest()


def test_sheet_endpoint_errors(files_tree, server):
    acc = files_tree["project"]
    r = requests.get(f"{server}/api/v1/samplesheets/{acc}/sarek.csv")
    assert r.status_code == 422 and "paired-end FASTQ only" in r.json()["detail"]
    r = requests.get(f"{server}/api/v1/samplesheets/NFDP-PRJ-999999/rnaseq.csv")
    assert r.status_code == 404 and "NFDP-PRJ-999999" in r.json()["detail"]
    r = requests.get(f"{server}/api/v1/samplesheets/{acc}/nanoseq.csv")
    assert r.status_code == 404  # the route knows the pipelines (an enum in the OpenAPI document)
    r = requests.get(f"{server}/api/v1/samplesheets/{acc}/rnaseq.csv?paths=s3")
    assert r.status_code == 400 and "MinIO" in r.json()["detail"]
    r = requests.get(f"{server}/api/v1/samplesheets/{acc}/nextflow.config")
    assert r.status_code == 200 and "needs no settings" in r.text
    assert requests.get(f"{server}/api/v1/samplesheets/NFDP-PRJ-999999/nextflow.config").status_code == 404
    r = requests.get(f"{server}/api/v1/samplesheets/{acc}/generic.csv?paths=local")
    assert r.status_code == 200 and validate("generic", r.text) == []
    assert all(row["fastq_1"].startswith("/") for row in csv.DictReader(io.StringIO(r.text)))


def test_files_endpoint_range_and_curl(files_tree, server, tmp_path):
    acc, (name, _path) = next(iter(files_tree["runs"].items()))
    data = files_tree["data"][name]
    url = f"{server}/api/v1/runs/{acc}/files/{name}"
    r = requests.get(url, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == data[100:200]
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    out = tmp_path / "curl.out"
    subprocess.run(["curl", "-sSfL", "-o", str(out), url], check=True, timeout=30)
    assert hashlib.md5(out.read_bytes()).hexdigest() == requests.get(f"{server}/api/v1/runs/{acc}").json()[
        "checksum_md5"]
    assert requests.get(f"{server}/api/v1/runs/{acc}/files/other.fastq.gz").status_code == 404
    assert requests.get(f"{server}/api/v1/runs/{acc}/files/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert requests.get(f"{server}/api/v1/runs/NFDP-RUN-999999/files/{name}").status_code == 404


def test_samplesheet_command(files_tree, cli_env, tmp_path):
    acc = files_tree["project"]
    out = tmp_path / "sheets" / "rnaseq.csv"
    done = run_cli(["samplesheet", acc, "--pipeline", "rnaseq", "-o", str(out),
                    "--public-url", "https://nfdp.example.org"], cli_env)
    assert done.returncode == 0, done.stderr
    assert validate("rnaseq", out.read_text()) == []
    assert done.stderr.count("skipped NFDP-RUN-") == 4 and "BAM file; rnaseq takes FASTQ" in done.stderr
    assert "https://nfdp.example.org/api/v1/runs/" in out.read_text()
    done = run_cli(["samplesheet", acc, "--pipeline", "sarek", "-o", str(tmp_path / "s.csv")], cli_env)
    assert done.returncode == 1 and "paired-end FASTQ only" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "s.csv.part").exists()
    done = run_cli(["samplesheet", "NFDP-PRJ-999999", "--pipeline", "generic"], cli_env)
    assert done.returncode == 1 and "NFDP-PRJ-999999" in done.stderr
    done = run_cli(["samplesheet", acc, "--pipeline", "generic", "--paths", "local"], cli_env)
    assert done.returncode == 0 and validate("generic", done.stdout) == []
