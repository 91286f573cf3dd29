"""Embargo on the data-out and discovery endpoints merged after the token work: DRS, nf-core
sample sheets, /runs/{acc}/files/, /projects/{acc}/ena and search. Anonymous readers and
other projects' tokens get what an unknown accession gets; the project's token and admins
see it."""

from __future__ import annotations

import pytest

from tests.factories import make_token

from .helpers import bearer


def _urls(branch):
    run = branch.runs[0]
    return [
        (f"/ga4gh/drs/v1/objects/{run}", "drs"),
        (f"/ga4gh/drs/v1/objects/{branch.project}", "drs"),
        (f"/ga4gh/drs/v1/objects/{run}/access/https", "drs"),
        (f"/api/v1/samplesheets/{branch.project}/generic.csv", "detail"),
        (f"/api/v1/samplesheets/{branch.sample}/nextflow.config", "detail"),
        (f"/api/v1/runs/{run}/files/{run}_R1.fastq.gz", "detail"),
        (f"/api/v1/projects/{branch.project}/ena", "detail"),
    ]


@pytest.fixture
def readers(engine, embargo):
    own = make_token(engine, "own", role="submitter", projects=[embargo.hidden.project])
    other = make_token(engine, "other", role="submitter", projects=[embargo.released.project])
    admin = make_token(engine, "admin", role="admin")
    return {"anonymous": None, "other": other, "own": own, "admin": admin}


@pytest.mark.parametrize("who", ["anonymous", "other"])
def test_an_embargoed_project_is_unknown_to_those_who_may_not_see_it(client, embargo, readers, who):
    for url, shape in _urls(embargo.hidden):
        r = client.get(url, headers=bearer(readers[who]))
        assert r.status_code == 404, (url, r.status_code)
        body = r.get_json()
        if shape == "drs":
            assert body["status_code"] == 404 and "msg" in body, url
        else:
            assert "detail" in body, url
    # the same endpoints answer for a released project, to the same reader
    for url, _ in _urls(embargo.released):
        if "/files/" in url or "nextflow" in url:
            continue  # no file on disk for factory runs / config depends on mode
        assert client.get(url, headers=bearer(readers[who])).status_code == 200, url


@pytest.mark.parametrize("who", ["own", "admin"])
def test_its_token_and_admins_see_it(client, embargo, readers, who):
    for url, _ in _urls(embargo.hidden):
        if "/files/" in url or "nextflow" in url:
            continue
        r = client.get(url, headers=bearer(readers[who]))
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:200])


def test_search_neither_shows_nor_counts_an_embargoed_project(client, embargo, readers):
    q = "/api/v1/search?q=embargoed+goats"
    for who in ("anonymous", "other"):
        r = client.get(q, headers=bearer(readers[who]))
        assert r.status_code == 200 and r.get_json() == [] and r.headers["X-Total-Count"] == "0", who
    run = embargo.hidden.runs[0]
    assert client.get(f"/api/v1/search?q={run}").get_json() == []
    for who in ("own", "admin"):
        hits = client.get(q, headers=bearer(readers[who])).get_json()
        assert [h["accession"] for h in hits] == [embargo.hidden.project], who
        assert client.get(f"/api/v1/search?q={run}", headers=bearer(readers[who])).get_json()[0]["accession"] == run
