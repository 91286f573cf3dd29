"""A real server on 127.0.0.1: the seed's curl commands verbatim, HTTP details, schemathesis."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import requests

from .helpers import VENV_BIN

SEED = Path(os.environ.get("NFDP_SEED_DOC", "/work/shared/seed/experiments-runs-api.txt"))
if not SEED.exists():  # the repository keeps a copy beside the docs, when the lead adds one
    SEED = Path(__file__).resolve().parents[2] / "docs" / "seed" / "experiments-runs-api.txt"


def seed_curls() -> list[str]:
    """Every curl command of the seed document, joined across backslash continuations
    and multi-line quoted bodies."""
    def complete(text: str) -> bool:
        return not text.rstrip().endswith("\\") and text.count("'") % 2 == 0

    commands, current = [], None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if current is not None:
            current += "\n" + line
        elif line.startswith("curl "):
            current = line
        if current is not None and complete(current):
            commands.append(current)
            current = None
    return commands


def test_the_seed_has_the_curl_commands_we_expect():
    cmds = seed_curls()
    assert len(cmds) == 8
    assert sum("-X POST" in c for c in cmds) == 1


def test_seed_curl_commands_verbatim(served, tmp_path, engine, demo, token):
    """Each command runs unchanged (only host:port and $TOKEN differ); a .curlrc adds the status line."""
    (tmp_path / "curlhome").mkdir()
    (tmp_path / "curlhome" / ".curlrc").write_text('silent\nwrite-out = "\\nHTTP_STATUS %{http_code}\\n"\n')
    env = {**os.environ, "CURL_HOME": str(tmp_path / "curlhome"), "TOKEN": token}
    port = served.rsplit(":", 1)[1]
    results = []
    for cmd in seed_curls():
        cmd = cmd.replace("localhost:8000", f"127.0.0.1:{port}")
        out = subprocess.run(["bash", "-c", cmd], env=env, cwd=tmp_path, capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, (cmd, out.stderr)
        results.append((cmd, out.stdout))

    def status_and_json(stdout: str):
        body, _, status = stdout.rpartition("HTTP_STATUS ")
        return int(status), (json.loads(body) if body.strip() else None)

    by_url = {}
    for cmd, stdout in results:
        by_url[re.search(r"/api/v1/[^' ]*", cmd).group(0) + (" POST" if "POST" in cmd else "")
               + (" -L" if " -L " in cmd else "") + (" head" if "head -1" in cmd else "")] = stdout

    status, body = status_and_json(by_url["/api/v1/experiments/?page=1&per_page=20"])
    assert status == 200 and isinstance(body, list) and body[0]["accession"] == "NFDP-EXP-000001"
    status, body = status_and_json(by_url["/api/v1/experiments/NFDP-EXP-000001"])
    assert status == 200 and body["accession"] == "NFDP-EXP-000001" and body["platform"] == "ILLUMINA"
    status, body = status_and_json(by_url["/api/v1/experiments/ POST"])
    assert status == 201 and body["sample_accession"] == "NFDP-SAM-000001" and body["insert_size"] == 350
    assert re.fullmatch(r"NFDP-EXP-\d{6}", body["accession"])
    status, body = status_and_json(by_url["/api/v1/runs/?page=1&per_page=20"])
    assert status == 200 and set(body[0]) >= {"accession", "ena_accession", "file_type", "file_size",
                                              "checksum_md5", "created_at"}
    assert body[0]["accession"] == "NFDP-RUN-000001"
    status, body = status_and_json(by_url["/api/v1/runs/NFDP-RUN-000001"])
    assert status == 200 and body["file_size"] == 1234567890
    # curl -L -O …/download: local (dev) mode answers with the metadata, saved as ./download
    status, _ = status_and_json(by_url["/api/v1/runs/NFDP-RUN-000001/download -L"])
    assert status == 200
    saved = json.loads((tmp_path / "download").read_text(encoding="utf-8"))
    assert saved["checksum_md5"] == "d41d8cd98f00b204e9800998ecf8427e" and "message" in saved
    # curl -s … | head -1: the first line is the whole JSON document
    first_line = by_url["/api/v1/runs/NFDP-RUN-000001/download head"].splitlines()[0]
    assert json.loads(first_line)["file_path"] == "SAMPLE_001_R1.fastq.gz"
    status, body = status_and_json(by_url["/api/v1/runs/NFDP-RUN-000001/qc"])
    assert status == 200 and body["status"] == "passed" and body["tool"] == "FastQC"
    assert body["report_url"] == "/qc/NFDP-RUN-000001/fastqc_report.html"
    assert [r["tool"] for r in body["reports"]] == ["FastQC", "MultiQC"]


def test_real_server_http_details(served, demo):
    s = requests.Session()
    for path in ("/api/v1/runs", "/api/v1/runs/", "/api/v1/samples/NFDP-SAM-000001/"):
        r = s.get(served + path, allow_redirects=False)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    r = s.get(served + "/api/v1/runs/?per_page=2&page=2")
    assert r.headers["X-Total-Count"] == str(len(demo.runs))
    assert 'rel="next"' in r.headers["Link"] and r.headers["Link"].startswith(f"<{served}/api/v1/runs/?")
    assert [x["accession"] for x in r.json()] == demo.runs[2:4]
    r = s.get(served + "/api/v1/filereport", params={"accession": demo.projects[0], "format": "tsv"})
    assert r.status_code == 200 and r.headers.get("Transfer-Encoding") == "chunked"
    lines = r.text.splitlines()
    assert len(lines) == 1 + len(demo.runs)
    assert lines[1].split("\t")[12] == f"{served}/api/v1/runs/{demo.runs[0]}/download"
    r = s.get(served + "/qc/NFDP-RUN-000001/fastqc_report.html")
    assert r.status_code == 200 and "FastQC report" in r.text
    r = s.patch(served + "/api/v1/runs/")
    assert r.status_code == 405 and r.json()["detail"]
    r = s.get(served + "/api/v1/runs/NFDP-RUN-999999")
    assert r.status_code == 404 and r.json() == {"detail": "no run with accession 'NFDP-RUN-999999'"}


def test_werkzeug_thread_server_with_requests(live, demo, token):
    r = requests.post(live + "/api/v1/experiments", headers={"Authorization": f"Bearer {token}"},
                      json={"sample_accession": demo.samples[1], "platform": "oxford nanopore",
                            "instrument_model": "MinION", "library_strategy": "WGS",
                            "library_source": "GENOMIC", "library_layout": "SINGLE"})
    assert r.status_code == 201, r.text
    assert r.json()["platform"] == "OXFORD_NANOPORE"
    listed = requests.get(live + f"/api/v1/experiments/?sample={demo.samples[1]}").json()
    assert r.json()["accession"] in [x["accession"] for x in listed]


def test_schemathesis_finds_no_server_errors_or_schema_violations(served, demo, token, tmp_path, engine):
    # The demo's first run file on disk, so that /runs/{acc}/files/{name} can answer 200 too.
    from sqlalchemy import update

    from nfdp_ingest.registry.models import Run

    real = tmp_path / "SAMPLE_001_R1.fastq.gz"
    real.write_bytes(b"@r1\nACGT\n+\nIIII\n")
    with engine.begin() as conn:
        conn.execute(update(Run).where(Run.accession == demo.runs[0]).values(file_path=str(real)))
    checks = ("not_a_server_error,status_code_conformance,content_type_conformance,"
              "response_headers_conformance,response_schema_conformance")
    out = subprocess.run(
        [str(VENV_BIN / "schemathesis"), "run", f"{served}/api/v1/openapi.json", "--checks", checks,
         "--max-examples", "12", "--seed", "7", "--no-color", "--generation-database", "none",
         "-H", f"Authorization: Bearer {token}", "--request-timeout", "10"],
        capture_output=True, text=True, cwd=tmp_path, timeout=240,
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    # The staging and submission operations need real data files and sheets: schemathesis's random
    # bodies are rightly refused (4xx), which it reports as these two warnings, never as failures.
    warned = set(re.findall(r"^\s*([A-Z][a-z ]+): \d+ operations? ", out.stdout, re.M))
    allowed = {"Missing test data", "Schema validation mismatch"}
    assert "No issues found" in out.stdout or (warned and warned <= allowed and "Failures:" not in out.stdout), \
        out.stdout[-6000:]
    tested = re.search(r"Tested:\s+(\d+)", out.stdout)
    assert tested and int(tested.group(1)) >= 14
