"""Real `nfdp-ingest worker` processes on a fresh PostgreSQL database per test, the API in
this process deferring jobs to them (NFDP_JOBS=workers), files staged into a local area."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, text

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from factories import make_token  # noqa: E402
from fixtures_files import write_fastq  # noqa: E402

from nfdp_ingest.config import Settings  # noqa: E402
from nfdp_ingest.jobs.distributed import DistributedRunner, apply_schema  # noqa: E402
from nfdp_ingest.registry import db  # noqa: E402
from nfdp_ingest.registry import tokens as token_registry  # noqa: E402
from nfdp_ingest.registry.projects import create_project  # noqa: E402
from nfdp_ingest.staging.area import LocalArea  # noqa: E402
from nfdp_ingest.staging.service import stage  # noqa: E402
from tests.conftest import fresh_pg_database  # noqa: E402
from tests.pipeline.conftest import row, write_sheet  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REPO = TESTS.parent
HEARTBEAT = 0.5  # a dead worker is seen after 3 of these


@pytest.fixture
def pg_url(pg_template):
    url, drop = fresh_pg_database(pg_template)
    yield url
    drop()


@pytest.fixture
def wsettings(pg_url, tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "var", database_url=pg_url, storage="local", threads=1,
                        jobs="workers", job_attempts=3, job_batch_files=10, worker_heartbeat=HEARTBEAT)
    apply_schema(settings)
    return settings


@pytest.fixture
def engine(wsettings):
    engine = db.make_engine(wsettings.db_url)
    yield engine
    engine.dispose()


def worker_env(settings: Settings, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NFDP_")}
    env.update(NFDP_DATABASE_URL=settings.db_url, NFDP_DATA_DIR=str(settings.data_dir), NFDP_STORAGE="local",
               NFDP_JOBS="workers", NFDP_THREADS="1", NFDP_WORKER_HEARTBEAT=str(settings.worker_heartbeat),
               NFDP_JOB_ATTEMPTS=str(settings.job_attempts), NFDP_JOB_BATCH_FILES=str(settings.job_batch_files))
    env.update(extra)
    return env


class Workers:
    """``nfdp-ingest worker`` subprocesses, each logging to its own file."""

    def __init__(self, settings: Settings, folder: Path):
        self.settings, self.folder = settings, folder
        self.procs: list[subprocess.Popen] = []

    def start(self, n: int = 1, *args: str, prefix: tuple[str, ...] = (), **env) -> list[subprocess.Popen]:
        """``prefix``: a command the worker runs under (``ip netns exec NS``)."""
        started = []
        for _ in range(n):
            log = open(self.folder / f"worker{len(self.procs)}.log", "w")
            proc = subprocess.Popen([*prefix, str(VENV_BIN / "nfdp-ingest"), "worker", *args],
                                    env=worker_env(self.settings, **env), stdout=log, stderr=subprocess.STDOUT,
                                    cwd=REPO)
            log.close()
            self.procs.append(proc)
            started.append(proc)
        return started

    def log(self, i: int) -> str:
        return (self.folder / f"worker{i}.log").read_text()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(wsettings, tmp_path):
    w = Workers(wsettings, tmp_path)
    yield w
    w.stop()


class Api:
    """The API in a thread of this process, its runner deferring to PostgreSQL."""

    def __init__(self, settings: Settings):
        from werkzeug.serving import make_server

        from nfdp_ingest.api import create_app

        self.runner = DistributedRunner(settings)
        self.server = make_server("127.0.0.1", 0, create_app(settings, runner=self.runner), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/api/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.runner.close()


@pytest.fixture
def api(wsettings, engine):
    handle = Api(wsettings)
    yield handle
    handle.close()


@pytest.fixture
def lab(engine):
    """(token, owner id, project accession)."""
    token = make_token(engine, "lab-w")
    with db.transaction(engine) as s:
        owner = token_registry.verify(s, token).id
    return token, owner, create_project(engine, "Workers project")["accession"]


def staged_sheet(engine, settings: Settings, owner: int, folder: Path, n: int) -> Path:
    """``n`` small single-end FASTQ files staged for ``owner``, and a sheet listing them."""
    area = LocalArea(settings.staging_path)
    rows = []
    for i in range(n):
        f = write_fastq(folder, f"w{i:04d}.fastq", reads=2, mate=None, style="plain", seed=i)
        with open(f, "rb") as fh:
            stage(engine, area, owner, f.filename, fh, length=None, declared_md5=None)
        rows.append(row(f"w{i:04d}", f))
    return write_sheet(folder / "sheet.tsv", rows)


def submit(api: Api, token: str, sheet: Path, project: str) -> str:
    import requests

    with open(sheet, "rb") as fh:
        r = requests.post(api.base + "/submissions/", headers={"Authorization": f"Bearer {token}"},
                          data={"project": project}, files={"sheet": (sheet.name, fh)}, timeout=60)
    assert r.status_code == 202, r.text
    return r.json()["accession"]


def wait_done(api: Api, token: str, accession: str, timeout: float = 90, seen: list | None = None) -> dict:
    import requests

    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        body = requests.get(f"{api.base}/submissions/{accession}", headers={"Authorization": f"Bearer {token}"},
                            timeout=10).json()
        if seen is not None:
            seen.append(body["progress"])
        if body["status"] in ("committed", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{accession} did not finish: {body}")


def jobs(engine) -> list[dict]:
    """Every procrastinate job: our job name, args, status, attempts, worker."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status::text, attempts, args, worker_id, task_name "
                                 "FROM procrastinate_jobs ORDER BY id")).mappings().all()
    return [{"id": r["id"], "status": r["status"], "attempts": r["attempts"],
             "name": r["args"].get("name", r["task_name"]), "args": r["args"].get("args", r["args"]),
             "worker_id": r["worker_id"]} for r in rows]


__all__ = ["jobs", "replace", "select", "staged_sheet", "submit", "wait_done"]
