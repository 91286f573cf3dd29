"""Fixtures for remote submissions: a real server on 127.0.0.1 (werkzeug in a thread with
the app factory and its embedded job runner), tokens, a project, data files."""

from __future__ import annotations

import base64
import hashlib
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from factories import make_token  # noqa: E402

from nfdp_ingest.api import create_app  # noqa: E402
from nfdp_ingest.config import MinioSettings  # noqa: E402
from nfdp_ingest.jobs import EmbeddedRunner  # noqa: E402
from nfdp_ingest.registry.projects import create_project  # noqa: E402


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class Live:
    """A running app: base URL, its runner, and request helpers for one token."""

    def __init__(self, base: str, runner: EmbeddedRunner, settings):
        self.base, self.runner, self.settings = base, runner, settings

    def url(self, path: str) -> str:
        return self.base + "/api/v1" + path

    def stage(self, token: str, path: Path, name: str | None = None, **headers) -> requests.Response:
        data = Path(path).read_bytes()
        headers.setdefault("Content-MD5", md5_b64(data))
        return requests.put(self.url(f"/staging/{name or Path(path).name}"), data=data, timeout=60,
                            headers={"Authorization": f"Bearer {token}", **headers})

    def submit(self, token: str, sheet: Path, project: str, **form) -> requests.Response:
        with open(sheet, "rb") as fh:
            return requests.post(self.url("/submissions/"), timeout=60,
                                 headers={"Authorization": f"Bearer {token}"},
                                 data={"project": project, **form}, files={"sheet": (Path(sheet).name, fh)})

    def status(self, token: str, accession: str) -> dict:
        r = requests.get(self.url(f"/submissions/{accession}"), timeout=30,
                         headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, token: str, accession: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.status(token, accession)
            if body["status"] in ("committed", "failed"):
                return body
            time.sleep(0.1)
        raise AssertionError(f"{accession} did not finish: {body}")


def serve_app(settings):
    from werkzeug.serving import make_server

    runner = EmbeddedRunner(settings, 2)
    app = create_app(settings, runner=runner)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, Live(f"http://127.0.0.1:{server.server_port}", runner, settings)


def _serving(settings):
    """The app on a live server for one test; stopped, and its jobs waited for, afterwards."""
    server, handle = serve_app(settings)
    yield handle
    server.shutdown()
    server.server_close()
    handle.runner.wait(timeout=60)


@pytest.fixture
def live(settings):
    yield from _serving(settings)


@pytest.fixture
def minio_settings(settings, s3):
    minio = MinioSettings(endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key,
                          region=s3.region, raw_bucket=f"raw-{uuid.uuid4().hex[:8]}",
                          staging_bucket=f"stage-{uuid.uuid4().hex[:8]}", part_size=5 * 1024 * 1024)
    return replace(settings, storage="minio", minio=minio)


@pytest.fixture
def live_minio(minio_settings):
    yield from _serving(minio_settings)


@pytest.fixture
def tokens(engine) -> tuple[str, str]:
    return make_token(engine, "lab-a"), make_token(engine, "lab-b")


@pytest.fixture
def project(engine) -> str:
    return create_project(engine, "Remote project")["accession"]
