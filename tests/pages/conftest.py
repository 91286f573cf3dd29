"""Fixtures for the page tests: the API tests' demo data, app and client, plus a sample
whose attribute holds markup, and tokens for the embargoed project."""

from __future__ import annotations

import pytest

from tests.api.conftest import Embargo, app, client, demo, embargo  # noqa: F401 - fixtures (and tests/ on sys.path)

from factories import make_experiment, make_project, make_run, make_sample, make_token  # noqa: E402, I001
from nfdp_ingest.registry.db import transaction  # noqa: E402

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def hostile(engine, demo):  # noqa: F811 - the demo fixture above
    """A project whose title, sample attribute and file name hold markup → (project, sample, run)."""
    with transaction(engine) as s:
        project = make_project(s, title=f"Goats {SCRIPT}", description=f"<b>bold</b> {SCRIPT}")
        sample = make_sample(s, project, alias="GOAT_1", breed="Galla",
                             attributes={"note": SCRIPT, "herd <i>": "Marsabit & Isiolo"})
        exp = make_experiment(s, sample)
        run = make_run(s, exp, filename="goat<img src=x>.fastq.gz")
        return project.accession, sample.accession, run.accession


@pytest.fixture
def hidden_token(engine, embargo):  # noqa: F811
    """A curator token of the embargoed project."""
    return make_token(engine, "goat lab", role="curator", projects=(embargo.hidden.project,))


def keep_token(client, secret: str, base: str = "http://localhost"):  # noqa: F811
    """Enter the token in the page form, as a browser on this site sends it."""
    return client.post("/session", data={"token": secret, "next": "/"}, headers={"Origin": base})
