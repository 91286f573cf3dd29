"""Fixtures for the API tests: demo data, a Flask test client, and real servers on 127.0.0.1."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from factories import Branch, demo_tree, make_token, project_branch  # noqa: E402

from nfdp_ingest.api import create_app  # noqa: E402

from .helpers import serve, stop  # noqa: E402


@pytest.fixture
def demo(engine, settings):
    """The demo hierarchy in the test database (QC report files in the settings' QC folder)."""
    return demo_tree(engine, qc_dir=settings.qc_path)


@pytest.fixture
def token(engine) -> str:
    return make_token(engine, "tests")


@pytest.fixture
def app(settings, demo):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live(app):
    """The app behind werkzeug's threaded server on a free 127.0.0.1 port → base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served(cli_env, demo, tmp_path):
    """``nfdp-ingest serve`` in a subprocess against the test database → base URL."""
    proc, base = serve(cli_env, log=tmp_path / "serve.log")
    yield base
    stop(proc)


os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@dataclass
class Embargo:
    """The demo tree plus: ``hidden`` (release date next year), ``released`` (yesterday), ``today``."""

    demo: object
    hidden: Branch
    released: Branch
    today: Branch


@pytest.fixture
def embargo(engine, settings, demo) -> Embargo:
    day = datetime.now(UTC).date()
    return Embargo(
        demo,
        hidden=project_branch(engine, title="Embargoed goats", release_date=day + timedelta(days=365),
                              qc_dir=settings.qc_path),
        released=project_branch(engine, title="Released sheep", release_date=day - timedelta(days=1),
                                qc_dir=settings.qc_path),
        today=project_branch(engine, title="Released today", release_date=day,
                             qc_dir=settings.qc_path),
    )
