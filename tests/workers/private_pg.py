"""A throwaway PostgreSQL server of one test (initdb in a temporary folder, its own port), so
a test can restart or stop it without touching the shared server other tests use."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(cand) / "initdb").is_file() and (Path(cand) / "pg_ctl").is_file():
            return Path(cand)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self, listen: str = "127.0.0.1"):
        bindir = _bindir()
        if bindir is None:  # PostgreSQL is part of the test environment (.ci/run installs it)
            pytest.fail("initdb/pg_ctl not found (PostgreSQL server binaries)")
        self.bindir, self.port, self.listen = bindir, _free_port(), listen
        self.root = Path(tempfile.mkdtemp(prefix="nfdp-pg-", dir="/tmp"))
        self.data = self.root / "data"
        # postgres refuses to run as root: as root, the server runs as the postgres user
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.user:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        (self.data / "postgresql.conf").open("a").write(
            f"listen_addresses = '{listen}'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
            "fsync = off\nsynchronous_commit = off\nmax_connections = 100\n")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        out = subprocess.run([*self.user, str(self.bindir / tool), *args], capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            pytest.fail(f"{tool} {' '.join(args)} failed: {out.stdout}{out.stderr}")

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", *args)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """A fast restart: the server ends every connection, rolls back what was open, comes back."""
        self._ctl("restart", "-m", "fast")

    def stop_server(self) -> None:
        self._ctl("stop", "-m", "fast")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{self.listen}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)

    def stop(self) -> None:
        try:
            self._ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
