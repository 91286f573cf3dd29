"""Embargo: a project released in the future exists only for its tokens and admins, on every read."""

from __future__ import annotations

import csv
import io
import json

import pytest
from factories import make_token

from .helpers import bearer

LISTS = ("projects", "samples", "experiments", "runs")


@pytest.fixture
def readers(engine, embargo):
    """Secrets by who they are: the embargoed project's submitter and curator, another
    project's curator, an admin; None is anonymous."""
    return {
        "anonymous": None,
        "other": make_token(engine, "other", "curator", (embargo.demo.projects[0],)),
        "own submitter": make_token(engine, "own-sub", "submitter", (embargo.hidden.project,)),
        "own curator": make_token(engine, "own-cur", "curator", (embargo.hidden.project, embargo.released.project)),
        "admin": make_token(engine, "root", "admin"),
    }


SEES = {"anonymous": False, "other": False, "own submitter": True, "own curator": True, "admin": True}


def every_page(client, url: str, headers) -> tuple[list[str], int]:
    """All accessions of a list (walking its pages of 2) and its X-Total-Count."""
    out, page, total = [], 1, None
    while True:
        sep = "&" if "?" in url else "?"
        r = client.get(f"{url}{sep}page={page}&per_page=2", headers=headers)
        assert r.status_code == 200, (url, r.get_json())
        total = int(r.headers["X-Total-Count"])
        body = r.get_json()
        out += [x["accession"] for x in body]
        if not body:
            return out, total
        page += 1


def hidden_records(embargo) -> dict[str, list[str]]:
    h = embargo.hidden
    return {"projects": [h.project], "samples": [h.sample], "experiments": [h.experiment], "runs": h.runs}


@pytest.mark.parametrize("who", list(SEES))
def test_lists_and_counts(client, embargo, readers, who):
    headers = bearer(readers[who])
    admin = bearer(readers["admin"])
    hidden = hidden_records(embargo)
    for resource in LISTS:
        everything, everything_total = every_page(client, f"/api/v1/{resource}/", admin)
        seen, total = every_page(client, f"/api/v1/{resource}/", headers)
        assert set(hidden[resource]) <= set(everything)
        expected = everything if SEES[who] else [a for a in everything if a not in hidden[resource]]
        assert seen == expected, (who, resource)
        assert total == len(expected) == len(seen), (who, resource)
        assert everything_total == len(everything)
    # the released projects (yesterday, today) are public to everyone
    projects, _ = every_page(client, "/api/v1/projects/", headers)
    assert {embargo.released.project, embargo.today.project} <= set(projects)


def _read_urls(embargo) -> list[str]:
    h = embargo.hidden
    run = h.runs[0]
    return [
        f"/api/v1/projects/{h.project}", f"/api/v1/samples/{h.sample}",
        f"/api/v1/experiments/{h.experiment}", f"/api/v1/runs/{run}", f"/api/v1/runs/{h.runs[1]}",
        f"/api/v1/runs/{run}/download", f"/api/v1/runs/{run}/qc", f"/qc/{run}/{h.qc_file}",
        f"/api/v1/samples/?project={h.project}",
        f"/api/v1/experiments/?project={h.project}", f"/api/v1/experiments/?sample={h.sample}",
        f"/api/v1/runs/?project={h.project}", f"/api/v1/runs/?sample={h.sample}",
        f"/api/v1/runs/?experiment={h.experiment}",
        f"/api/v1/runs/?project={h.project}&file_type=FASTQ",
        *(f"/api/v1/filereport?accession={acc}&format={fmt}"
          for acc in (h.project, h.sample, h.experiment, run) for fmt in ("json", "tsv")),
    ]


@pytest.mark.parametrize("who", list(SEES))
def test_every_read_endpoint(client, embargo, readers, who):
    headers = bearer(readers[who])
    for url in _read_urls(embargo):
        r = client.get(url, headers=headers)
        if SEES[who]:
            assert r.status_code == 200, (who, url, r.status_code)
        else:
            assert r.status_code == 404, (who, url, r.status_code)
            body = r.get_json()
            assert set(body) == {"detail"} and "no " in body["detail"], (url, body)
            assert "embargo" not in body["detail"]  # answered as if it did not exist


def test_an_unknown_and_an_embargoed_accession_answer_alike(client, embargo):
    h = embargo.hidden
    for resource, acc in (("projects", h.project), ("runs", h.runs[0])):
        unknown = acc[:-6] + "999999"
        a, b = client.get(f"/api/v1/{resource}/{acc}"), client.get(f"/api/v1/{resource}/{unknown}")
        assert a.status_code == b.status_code == 404
        assert a.get_json()["detail"].replace(acc, "X") == b.get_json()["detail"].replace(unknown, "X")


def test_visible_reads_return_the_embargoed_data(client, embargo, readers):
    h = embargo.hidden
    headers = bearer(readers["own submitter"])
    runs = client.get(f"/api/v1/runs/?project={h.project}", headers=headers)
    assert [r["accession"] for r in runs.get_json()] == h.runs and runs.headers["X-Total-Count"] == "2"
    rows = json.loads(client.get(f"/api/v1/filereport?accession={h.project}", headers=headers).get_data())
    assert [r["run_accession"] for r in rows] == h.runs
    tsv = client.get(f"/api/v1/filereport?accession={h.sample}&format=tsv", headers=headers).get_data(as_text=True)
    assert [r["run_accession"] for r in csv.DictReader(io.StringIO(tsv), delimiter="\t")] == h.runs
    qc = client.get(f"/api/v1/runs/{h.runs[0]}/qc", headers=headers).get_json()
    assert qc["status"] == "passed" and qc["reports"][0]["tool"] == "FastQC"
    page = client.get(f"/qc/{h.runs[0]}/{h.qc_file}", headers=headers)
    assert b"Embargoed goats QC" in page.get_data()
    assert client.get(f"/api/v1/projects/{h.project}", headers=headers).get_json()["title"] == "Embargoed goats"


def test_the_cookie_works_like_the_header(client, embargo, readers):
    h = embargo.hidden
    assert client.get(f"/api/v1/projects/{h.project}").status_code == 404
    client.set_cookie("nfdp_token", readers["own curator"])
    assert client.get(f"/api/v1/projects/{h.project}").status_code == 200
    client.set_cookie("nfdp_token", readers["other"])
    assert client.get(f"/api/v1/projects/{h.project}").status_code == 404
    client.set_cookie("nfdp_token", "nfdp_not-a-token")
    assert client.get(f"/api/v1/projects/{h.project}").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nfdp_wrong", "Bearer", "bearer   "])
def test_a_bad_token_on_a_read_is_401_not_anonymous(client, embargo, header):
    r = client.get("/api/v1/runs/", headers={"Authorization": header})
    assert r.status_code == 401 and "token" in r.get_json()["detail"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_seed_curl_lines_work_unauthenticated(client, embargo):
    """Every GET of the seed document, anonymous, with an embargoed project in the registry."""
    for url in ("/api/v1/experiments/?page=1&per_page=20", "/api/v1/experiments/NFDP-EXP-000001",
                "/api/v1/runs/?page=1&per_page=20", "/api/v1/runs/NFDP-RUN-000001",
                "/api/v1/runs/NFDP-RUN-000001/download", "/api/v1/runs/NFDP-RUN-000001/qc"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_json())
    assert client.get("/api/v1/runs/NFDP-RUN-000001/qc").get_json()["status"] == "passed"


def test_embargo_ends_on_the_release_date(client, engine, embargo):
    """Moving the release date to today makes the project public at once (no cache)."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from nfdp_ingest.registry.models import Project

    h = embargo.hidden
    assert client.get(f"/api/v1/runs/{h.runs[0]}").status_code == 404
    with engine.begin() as conn:
        conn.execute(update(Project).where(Project.accession == h.project)
                     .values(release_date=datetime.now(UTC).date()))
    assert client.get(f"/api/v1/runs/{h.runs[0]}").status_code == 200
    with engine.begin() as conn:
        conn.execute(update(Project).where(Project.accession == h.project).values(release_date=None))
    assert client.get(f"/api/v1/projects/{h.project}").status_code == 200


def test_filereport_command_shows_an_operator_everything(cli_env, embargo):
    from .helpers import run_cli

    out = run_cli(["filereport", embargo.hidden.project, "--format", "json"], cli_env)
    assert out.returncode == 0, out.stderr
    assert [r["run_accession"] for r in json.loads(out.stdout)] == embargo.hidden.runs
