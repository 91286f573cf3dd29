"""GET /api/v1/search on the demo data (both databases): shape, paging headers, errors."""

from __future__ import annotations

from nfdp_ingest.registry.db import transaction
from tests.factories import make_experiment, make_run, make_sample


def test_search_finds_samples_by_breed_and_runs_by_md5(client, engine, demo):
    with transaction(engine) as s:
        from nfdp_ingest.registry.models import Project
        project = s.query(Project).filter_by(accession=demo.projects[0]).one()
        sample = make_sample(s, project, alias="GOAT-9", breed="Norwegian Coastal Goat", organism="Capra hircus")
        run = make_run(s, make_experiment(s, sample), data=b"@r\nACGT\n+\nIIII\n")
        acc, md5 = run.accession, run.checksum_md5
    r = client.get("/api/v1/search?q=coastal+goat")
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "1"
    assert "X-Total-Count-Capped" not in r.headers  # an exact count says nothing more
    assert r.get_json() == [{"type": "sample", "accession": sample.accession, "title": "GOAT-9",
                             "summary": "Capra hircus Norwegian Coastal Goat Kenya",
                             "project_accession": demo.projects[0]}]
    hits = client.get(f"/api/v1/search?q={md5}").get_json()
    assert [h["accession"] for h in hits] == [acc] and hits[0]["type"] == "run"


def test_type_filter_paging_and_links(client, demo):
    r = client.get("/api/v1/search?q=bos+taurus&type=sample&per_page=1&page=2")
    assert r.status_code == 200
    total = int(r.headers["X-Total-Count"])
    assert total >= 2 and len(r.get_json()) == 1 and r.get_json()[0]["type"] == "sample"
    assert 'rel="prev"' in r.headers["Link"] and "q=bos+taurus" in r.headers["Link"]


def test_bad_searches_are_400_with_detail(client, demo):
    for url, words in [("/api/v1/search", "no words"), ("/api/v1/search?q=%20-%20", "no words"),
                       ("/api/v1/search?q=x&type=experiment", "unknown type"),
                       ("/api/v1/search?q=" + "a" * 1001, "longer than 1000"),
                       ("/api/v1/search?q=x&per_page=0", "per_page")]:
        r = client.get(url)
        assert r.status_code == 400 and words in r.get_json()["detail"], url


def test_a_script_in_a_query_is_only_words(client, demo):
    r = client.get("/api/v1/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status_code == 200 and r.get_json() == [] and r.headers["X-Total-Count"] == "0"
