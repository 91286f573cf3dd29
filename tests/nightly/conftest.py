"""Fixtures for the nightly job's tests: an inbox on disk, projects in the test database,
the real ``nfdp-ingest nightly`` in a subprocess, and headless Chromium for the HTML pages."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from nfdp_ingest.registry.projects import create_project
from tests.pipeline.conftest import popen_cli, run_cli, wait_for  # noqa: F401 (used by the tests here)

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")


@pytest.fixture
def project(engine) -> str:
    return create_project(engine, "Nightly test project")["accession"]


@pytest.fixture
def inbox(tmp_path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


def nightly(inbox: Path, *args, env: dict, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run ``nfdp-ingest nightly --inbox INBOX --format json ARGS`` → (process, parsed summary)."""
    proc = run_cli("nightly", "--inbox", inbox, "--format", "json", *args, env=env, timeout=timeout)
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else None
    except ValueError:
        raise AssertionError(f"stdout is not JSON: {proc.stdout!r}\nstderr: {proc.stderr}") from None
    return proc, data


def popen_nightly(inbox: Path, *args, env: dict) -> subprocess.Popen:
    return popen_cli("nightly", "--inbox", inbox, "--format", "json", *args, env=env)


def by_sheet(summary: dict) -> dict[str, dict]:
    return {s["sheet"]: s for s in summary["sheets"]}


def age(*paths, seconds: float = 7200) -> None:
    """Make files look settled: modified ``seconds`` ago."""
    then = time.time() - seconds
    for p in paths:
        os.utime(p, (then, then))


def dump_dom(path: Path, profile: Path) -> str:
    """The page as headless Chromium rendered it."""
    assert CHROMIUM, "chromium is not installed (.ci/run installs it)"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", path.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<body" in proc.stdout, proc.stdout[:500]
    return proc.stdout


def visible_text(dom: str) -> str:
    dom = re.sub(r"(?is)<(style|script|title)[^>]*>.*?</\1>", " ", dom)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


def element_text(dom: str, element_id: str) -> str:
    m = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', dom, re.DOTALL)
    assert m, f"no element #{element_id} in the page"
    return visible_text(m.group(2))
