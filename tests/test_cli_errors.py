"""Usage errors from the environment or flags: one clear line, exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("env,args,expected", [
    ({"NFDP_STORAGE": "bogus"}, ["project", "list"], "NFDP_STORAGE='bogus'"),
    ({"NFDP_THREADS": "many"}, ["submit", "x.tsv"], "NFDP_THREADS='many' is not an integer"),
    ({"NFDP_MINIO_SECURE": "maybe"}, ["storage", "check"], "is not a yes/no value"),
    ({}, ["project", "list", "--db", "notaurl"], "'notaurl' is not a database URL"),
    ({}, ["project", "list", "--db", "mysql://u@127.0.0.1/x"], "database 'mysql' is not supported"),
])
def test_bad_settings_are_usage_errors(tmp_path, env, args, expected):
    base = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    proc = subprocess.run([sys.executable, "-m", "nfdp_ingest", *args], env={**base, **env}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "var").exists()
