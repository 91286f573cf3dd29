"""``nfdp-ingest storage check``: exit 0 against a real S3 server, 3 when it is unreachable,
and never the secret key in what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nfdp_ingest.cli import main
from tests.s3server import dead_endpoint

REPO = Path(__file__).resolve().parents[2]


def run_check(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "nfdp_ingest", "storage", "check", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)


def invoke_check(env_extra: dict[str, str], *args: str):
    """In-process (CliRunner): quicker than a subprocess; os.environ is patched for the call."""
    env = {k: None for k in os.environ if k.startswith("NFDP_")}
    env.update(env_extra)
    return CliRunner().invoke(main, ["storage", "check", *args], env=env)


def minio_env(s3, endpoint: str) -> dict[str, str]:
    return {"NFDP_STORAGE": "minio", "NFDP_MINIO_ENDPOINT": endpoint,
            "NFDP_MINIO_ACCESS_KEY": s3.access_key, "NFDP_MINIO_SECRET_KEY": s3.secret_key}


def test_storage_check_ok(s3):
    result = run_check(minio_env(s3, s3.endpoint))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "minio storage OK" in result.stdout
    assert "nfdp-raw" in result.stdout and "nfdp-qc" in result.stdout
    assert s3.access_key in result.stdout and "secret key set" in result.stdout
    assert s3.secret_key not in out


def test_storage_check_with_public_endpoint_says_so(s3):
    env = minio_env(s3, s3.endpoint) | {"NFDP_MINIO_PUBLIC_ENDPOINT": "https://data.example.org"}
    result = invoke_check(env)
    assert result.exit_code == 0, result.output
    assert "signed for https://data.example.org" in result.stdout
    assert s3.secret_key not in result.output


def test_storage_check_dead_port_exit_3(s3):
    endpoint = dead_endpoint()
    result = run_check(minio_env(s3, endpoint) | {"NFDP_RETRY_ATTEMPTS": "2"})
    out = result.stdout + result.stderr
    assert result.returncode == 3, out
    assert "error:" in result.stderr and endpoint in result.stderr
    assert "gave up after 2 attempts" in result.stderr
    assert "Connection refused" in result.stderr
    assert "OK" not in result.stdout
    assert s3.secret_key not in out


def test_storage_check_attempts_flag(s3):
    result = invoke_check(minio_env(s3, dead_endpoint()), "--attempts", "1")
    assert result.exit_code == 3, result.output
    assert "gave up after 1 attempt " in result.stderr
    assert s3.secret_key not in result.output


def test_storage_check_local_mode(tmp_path):
    result = invoke_check({"NFDP_STORAGE": "local", "NFDP_DATA_DIR": str(tmp_path / "var")})
    assert result.exit_code == 0, result.output
    assert "local storage" in result.stdout
    assert (tmp_path / "var" / "qc").is_dir()
