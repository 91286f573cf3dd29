"""Helpers for the API tests: free ports, waiting for a server, running the CLI."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            if requests.get(base + "/api/v1/health", timeout=1).status_code in (200, 503):
                return
        except (requests.ConnectionError, requests.Timeout):  # gunicorn: bound before its workers load
            time.sleep(0.1)
    raise AssertionError(f"server at {base} did not come up")


def run_cli(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "nfdp-ingest"), *args], env=env, capture_output=True,
                          text=True, cwd=REPO, timeout=60, **kw)


def serve(env: dict[str, str], *extra: str, log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``nfdp-ingest serve`` on a free port; returns (process, base URL) once healthy.
    Its output goes to ``log`` (a pipe nobody reads would block the server once full)."""
    port = free_port()
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [str(VENV_BIN / "nfdp-ingest"), "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
        env=env, stdout=out, stderr=subprocess.STDOUT, text=True, cwd=REPO,
    )
    if log:
        out.close()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc=proc)
    except BaseException:
        stop(proc)
        raise
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bearer(secret: str | None) -> dict[str, str]:
    """The Authorization header presenting ``secret`` (none for None)."""
    return {"Authorization": f"Bearer {secret}"} if secret else {}
