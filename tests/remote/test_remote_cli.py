"""`nfdp-ingest remote` (a subprocess) against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys

import requests
from fixtures_files import write_bam, write_fastq_pair, write_vcf

from nfdp_ingest.pipeline.submit import submit_sheet
from nfdp_ingest.registry.projects import create_project
from nfdp_ingest.remote.client import Client
from tests.pipeline.conftest import row, write_sheet
from tests.s3server import dead_endpoint

from .helpers import mixed_sheet, project_records


def remote(*args, token: str | None, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in env.items() if k != "NFDP_TOKEN"}
    if token is not None:
        env["NFDP_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "nfdp_ingest", "remote", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def lab(tmp_path):
    folder = tmp_path / "lab"
    folder.mkdir()
    fwd, rev = write_fastq_pair(folder, "R1_L001", reads=300)
    files = {"forward": fwd, "reverse": rev, "bam": write_bam(folder, "R2.bam"),
             "vcf": write_vcf(folder, "R3.vcf.gz")}
    return mixed_sheet(folder, files)


def test_remote_submit_end_to_end_and_nothing_sent_twice(live, tokens, project, engine, settings, tmp_path,
                                                         cli_env):
    a, _ = tokens
    sheet, staged = lab(tmp_path)
    # an earlier run uploaded two files, then its connection dropped
    client = Client(live.base, a)
    for f in staged[:2]:
        client.stage(f.path, f.filename, f.md5)
    client.close()
    out = remote("submit", sheet, "--server", live.base, "--project", project, "--format", "json",
                 token=a, env=cli_env)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["status"] == "committed"
    assert sorted(body["skipped"]) == sorted(f.filename for f in staged[:2])
    assert sorted(body["uploaded"]) == sorted(f.filename for f in staged[2:])
    assert len(body["report"]["runs"]) == 4
    assert a not in out.stdout + out.stderr  # the token is never printed

    other = create_project(engine, "The same sheet, by submit")["accession"]
    submit_sheet(sheet, settings, project=other, show_progress=False)
    assert project_records(engine, project) == project_records(engine, other)

    text = remote("status", body["accession"], "--server", live.base, token=a, env=cli_env)
    assert text.returncode == 0 and body["accession"] in text.stdout
    assert all(r["accession"] in text.stdout for r in body["report"]["runs"])


def test_remote_submit_text_prints_accessions(live, tokens, project, tmp_path, cli_env):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "T1")
    sheet = write_sheet(tmp_path / "s.tsv", [row("t1", fwd, rev)])
    out = remote("submit", sheet, "--server", live.base, "--project", project, "-q", token=a, env=cli_env)
    assert out.returncode == 0, out.stderr
    assert "committed (submission NFDP-SUB-" in out.stdout and out.stdout.count("NFDP-RUN-") == 2
    assert "files uploaded: 2, already on the server: 0" in out.stdout
    again = remote("submit", sheet, "--server", live.base, "--project", project, "-q", token=a, env=cli_env)
    assert again.returncode == 0, again.stderr
    assert "nothing new" in again.stdout and "files uploaded: 2" in again.stdout  # released after commit


def test_invalid_sheet_is_refused_locally_before_any_request(tokens, tmp_path, cli_env):
    a, _ = tokens
    sheet = write_sheet(tmp_path / "bad.tsv", [row("x", "x_R1.fastq.gz", "x_R2.fastq.gz", md5=False,
                                                    tax_id="abc")])
    server = "http://" + dead_endpoint()  # contacting it would exit 3
    out = remote("submit", sheet, "--server", server, "--project", "NFDP-PRJ-000001", token=a, env=cli_env)
    assert out.returncode == 1, out.stderr
    assert "tax_id" in out.stderr
    missing = write_sheet(tmp_path / "missing.tsv", [row("y", "y_R1.fastq.gz", "y_R2.fastq.gz", md5=False)])
    out = remote("submit", missing, "--server", server, "--project", "NFDP-PRJ-000001", token=a, env=cli_env)
    assert out.returncode == 1 and "y_R1.fastq.gz" in out.stderr and "y_R2.fastq.gz" in out.stderr


def test_exit_codes_token_and_server(live, tokens, project, tmp_path, cli_env):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "E1")
    sheet = write_sheet(tmp_path / "s.tsv", [row("e1", fwd, rev)])
    assert remote("submit", sheet, "--server", live.base, "--project", project, token=None,
                  env=cli_env).returncode == 2
    bad = remote("submit", sheet, "--server", live.base, "--project", project, token="nfdp_wrong", env=cli_env)
    assert bad.returncode == 2 and "nfdp_wrong" not in bad.stdout + bad.stderr
    down = remote("submit", sheet, "--server", "http://" + dead_endpoint(), "--project", project, token=a,
                  env=cli_env)
    assert down.returncode == 3 and "cannot be reached" in down.stderr


def test_remote_validate(live, tokens, tmp_path, cli_env):
    a, _ = tokens
    good = write_sheet(tmp_path / "good.tsv", [row("v1", "v_R1.fastq.gz", "v_R2.fastq.gz", md5=False)])
    bad = write_sheet(tmp_path / "bad.tsv", [row("v2", "v_R1.fastq.gz", "v_R2.fastq.gz", md5=False,
                                                  platform="TELEPATHY")])
    ok = remote("validate", good, "--server", live.base, token=a, env=cli_env)
    assert ok.returncode == 0 and "valid" in ok.stdout
    no = remote("validate", bad, "--server", live.base, token=a, env=cli_env)
    assert no.returncode == 1 and "line 2, column platform" in no.stdout
    assert requests.get(live.url("/health"), timeout=5).status_code == 200


def test_remote_submit_minio_mode_equals_cli_submit(live_minio, tokens, project, engine, minio_settings, tmp_path,
                                                    cli_env):
    a, _ = tokens
    sheet, staged = lab(tmp_path)
    out = remote("submit", sheet, "--server", live_minio.base, "--project", project, "--format", "json",
                 token=a, env=cli_env)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["status"] == "committed" and sorted(body["uploaded"]) == sorted(f.filename for f in staged)
    assert all(r["file_path"].startswith(minio_settings.minio.raw_bucket + "/") for r in body["report"]["runs"])
    other = create_project(engine, "The same sheet, by submit")["accession"]
    submit_sheet(sheet, minio_settings, project=other, show_progress=False)
    assert project_records(engine, project) == project_records(engine, other)
