"""Fixtures for ENA brokering: the Webin stand-in, the FTPS upload area, the CLI environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nfdp_ingest.cli import main

from .ftps_server import FtpsServer
from .helpers import CENTER
from .webin_standin import RunningStandIn, WebinStandIn

USER, PASSWORD = "Webin-99999", "s3cret-pass"


@pytest.fixture
def area(tmp_path):
    server = FtpsServer(tmp_path / "upload-area", USER, PASSWORD, tmp_path / "certs")
    yield server
    server.stop()


@pytest.fixture
def webin(area):
    running = RunningStandIn(WebinStandIn(user=USER, password=PASSWORD, upload_root=area.root))
    yield running
    running.stop()


@pytest.fixture
def ena_env(settings, area, webin, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATABASE_URL=settings.database_url, NFDP_DATA_DIR=str(tmp_path / "var"), NFDP_STORAGE="local",
               NFDP_ENA_CENTER_NAME=CENTER, NFDP_WEBIN_USER=USER, NFDP_WEBIN_PASSWORD=PASSWORD,
               NFDP_WEBIN_URL=webin.url, NFDP_WEBIN_FTP=area.address, NFDP_WEBIN_FTP_CAFILE=str(area.cafile),
               NFDP_WEBIN_POLL_SECONDS="0.05")
    return env


@pytest.fixture
def cli(settings, monkeypatch):
    """``nfdp-ingest`` in-process against the test database (no Webin settings)."""
    monkeypatch.setenv("NFDP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("NFDP_ENA_CENTER_NAME", CENTER)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def ena_cli(ena_env, monkeypatch):
    for key in [k for k in os.environ if k.startswith("NFDP_")]:
        monkeypatch.delenv(key)
    for key, value in ena_env.items():
        if key.startswith("NFDP_"):
            monkeypatch.setenv(key, value)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def popen_cli(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nfdp_ingest", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
