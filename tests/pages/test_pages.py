"""Every page through the Flask test client, on SQLite and PostgreSQL: what it shows, its
status codes, escaping, and the same embargo as the API."""

from __future__ import annotations

import re

from factories import make_qc, make_run, make_sample
from sqlalchemy import select

from nfdp_ingest.export.samplesheets import PIPELINES
from nfdp_ingest.pages import CSP
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import Experiment, Project

from .conftest import keep_token


def _main(r) -> str:
    """The page's <main> (the header and footer are the same on every page)."""
    text = r.get_data(as_text=True)
    return text.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_index_lists_projects_with_counts_and_a_search_box(client, demo):
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    main = _main(r)
    assert "<h1>Projects</h1>" in main and '<label for="q">' in main and 'id="q" name="q"' in main
    row = main.split(f'href="/projects/{demo.projects[0]}"', 1)[1].split("</tr>", 1)[0]
    # 3 samples (one without runs), 3 experiments, 5 runs (two pairs and a BAM)
    assert re.findall(r'class="num">(\d+)<', row) == ["3", "3", "5"]
    assert "Boran cattle WGS" in row and "Empty project" in main


def test_pages_carry_a_strict_policy_and_their_stylesheet(client, demo):
    for url in ("/", f"/projects/{demo.projects[0]}", "/nope"):
        r = client.get(url)
        assert r.headers["Content-Security-Policy"] == CSP and "script-src 'none'" in CSP
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "private, no-store"
    css = client.get("/assets/pages.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and b"--link" in css.data
    assert 'href="/assets/pages.css"' in client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', client.get(f"/projects/{demo.projects[0]}").get_data(as_text=True))


def test_project_page_shows_what_a_person_needs(client, engine, demo):
    with transaction(engine) as s:
        s.execute(Project.__table__.update().where(Project.accession == demo.projects[0])
                  .values(description="Fifty Boran bulls", ena_accession="PRJEB99999"))
    r = client.get(f"/projects/{demo.projects[0]}")
    assert r.status_code == 200
    main = _main(r)
    assert "<h1>Boran cattle WGS</h1>" in main and "Fifty Boran bulls" in main
    assert "<dt>Release date</dt><dd>not set (public)" in main
    assert "<dt>Runs</dt><dd>5</dd>" in main and "<dt>Samples</dt><dd>3</dd>" in main
    for sample in demo.samples:
        assert f'href="/samples/{sample}"' in main
    assert f"{demo.experiments[0]}: WGS, Illumina NovaSeq 6000, PAIRED, 2 runs" in main
    for run in demo.runs:
        assert f'href="/runs/{run}"' in main
    assert "SAMPLE_001_R1.fastq.gz" in main and "d41d8cd98f00b204e9800998ecf8427e" in main
    assert "1.1 GiB" in main  # 1,234,567,890 bytes
    assert "Exchanges with ENA</dt><dd>0</dd>" in main
    assert 'class="qc qc-passed">passed<' in main and ">pending<" in main  # FastQC on the first run only
    assert f'href="/api/v1/runs/{demo.runs[0]}/files/SAMPLE_001_R1.fastq.gz"' in main
    for pipeline in PIPELINES:
        link = f"/api/v1/samplesheets/{demo.projects[0]}/{pipeline}.csv"
        assert f'href="{link}"' in main
    sheet = client.get(f"/api/v1/samplesheets/{demo.projects[0]}/rnaseq.csv")
    assert sheet.status_code == 200 and sheet.data.startswith(b"sample,")
    assert "PRJEB99999" in main and "Runs with an ENA accession</dt><dd>0 of 5" in main


def test_a_project_never_sent_to_ena_says_so(client, demo):
    main = _main(client.get(f"/projects/{demo.projects[1]}"))
    assert "nothing of this project has been sent to ENA yet" in main and "not brokered yet" in main


def test_project_tables_are_paginated(client, engine, demo):
    with transaction(engine) as s:
        exp = s.scalars(select(Experiment).where(Experiment.accession == demo.experiments[0])).one()
        extra = [make_run(s, exp).accession for _ in range(60)]
    main = _main(client.get(f"/projects/{demo.projects[0]}"))
    assert "Runs: 65, rows 1–50" in main and "Page 1 of 2" in main
    # by experiment, then registration: the demo pair of the first experiment, then these
    assert f'href="/runs/{extra[47]}"' in main and f'href="/runs/{extra[48]}"' not in main
    assert "runs_page=2" in main
    second = _main(client.get(f"/projects/{demo.projects[0]}?runs_page=2"))
    assert "rows 51–65" in second and f'href="/runs/{extra[59]}"' in second
    assert f'href="/runs/{demo.runs[0]}"' not in second.split('id="runs"', 1)[1]
    assert client.get(f"/projects/{demo.projects[0]}?runs_page=3").status_code == 404
    for bad in ("0", "x", "-1", "99999999999"):
        r = client.get(f"/projects/{demo.projects[0]}?runs_page={bad}")
        assert r.status_code == 400 and "runs_page must be a whole number" in r.get_data(as_text=True)


def test_sample_page_shows_every_attribute_as_text(client, hostile):
    project, sample, run = hostile
    r = client.get(f"/samples/{sample}")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert "<script" not in text and "<img" not in text and "<i>" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    main = _main(r)
    assert "<h1>Sample GOAT_1</h1>" in main
    assert "<th scope=\"row\">Breed</th><td>Galla</td>" in main
    assert "<th scope=\"row\">herd &lt;i&gt;</th><td>Marsabit &amp; Isiolo</td>" in main
    assert "Organism</th><td>Bos taurus" in main and "Collection date</th><td>2025-03-14" in main
    assert f'href="/runs/{run}"' in main
    for url in ("/", f"/projects/{project}", f"/runs/{run}", "/search?q=goats"):
        page = client.get(url).get_data(as_text=True)
        assert "<script" not in page and "<img" not in page, url


def test_run_page_shows_file_facts_qc_and_the_fastqc_report(client, demo):
    r = client.get(f"/runs/{demo.runs[0]}")
    assert r.status_code == 200
    main = _main(r)
    assert "SAMPLE_001_R1.fastq.gz" in main and "1,234,567,890 bytes" in main
    assert "d41d8cd98f00b204e9800998ecf8427e" in main
    assert 'class="qc qc-passed">passed</span> by FastQC' in main
    assert "total_sequences</th><td>50,000,000" in main and "gc_content</th><td>42.5" in main
    report = f"/qc/{demo.runs[0]}/fastqc_report.html"
    assert f'<a href="{report}">FastQC report</a>' in main
    assert b"FastQC report" in client.get(report).data
    assert f'href="/api/v1/runs/{demo.runs[0]}/files/SAMPLE_001_R1.fastq.gz"' in main
    assert "QC is pending" in _main(client.get(f"/runs/{demo.runs[1]}"))


def test_unknown_accessions_are_html_404_pages_and_the_api_stays_json(client, demo):
    for url in ("/projects/NFDP-PRJ-999999", "/samples/NFDP-SAM-999999", "/runs/NFDP-RUN-999999",
                "/runs/%3Cscript%3E", "/no-such-page"):
        r = client.get(url)
        assert r.status_code == 404 and r.mimetype == "text/html", url
        assert "<h1>Not found (404)</h1>" in r.get_data(as_text=True)
        assert "<script" not in _main(r)
    assert "There is no run &#39;NFDP-RUN-999999&#39;" in client.get("/runs/NFDP-RUN-999999").get_data(as_text=True)
    for url in ("/api/v1/runs/NFDP-RUN-999999", "/api/v1/nothing"):
        r = client.get(url)
        assert r.status_code == 404 and r.is_json and "detail" in r.get_json()
    assert client.get("/ga4gh/drs/v1/objects/nothing").get_json()["status_code"] == 404
    assert client.post("/").status_code == 405 and client.post("/").mimetype == "text/html"


def test_search_page_finds_a_sample_by_breed_and_a_run_by_md5(client, engine, demo):
    with transaction(engine) as s:
        project = s.scalars(select(Project).where(Project.accession == demo.projects[0])).one()
        ankole = make_sample(s, project, alias="ANKOLE_1", breed="Ankole")
    main = _main(client.get("/search?q=ankole"))
    assert "1 result for" in main and f'href="/samples/{ankole.accession}"' in main
    main = _main(client.get("/search?q=d41d8cd98f00b204e9800998ecf8427e"))
    assert f'href="/runs/{demo.runs[0]}"' in main and "SAMPLE_001_R1.fastq.gz" in main
    assert "0 results" in _main(client.get("/search?q=zebu+nowhere"))
    empty = client.get("/search")
    assert empty.status_code == 200 and 'id="q"' in empty.get_data(as_text=True)
    assert client.get("/search?q=%21%21").status_code == 400
    assert client.get("/search?q=x&type=goat").status_code == 400


def test_embargoed_project_is_absent_anonymously_and_present_with_its_token(client, embargo, hidden_token):
    hidden = embargo.hidden
    urls = [f"/projects/{hidden.project}", f"/samples/{hidden.sample}", f"/runs/{hidden.runs[0]}"]
    assert hidden.project not in client.get("/").get_data(as_text=True)
    assert "Embargoed goats" not in client.get("/search?q=embargoed+goats").get_data(as_text=True)
    for url in urls:
        assert client.get(url).status_code == 404, url
    r = keep_token(client, hidden_token)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert "nfdp_token=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    index = client.get("/").get_data(as_text=True)
    assert hidden.project in index and "embargoed" in index
    assert hidden_token not in index  # the token is never written into a page
    assert "goat lab" in index and "Forget token" in index
    assert "Embargoed goats" in client.get("/search?q=embargoed+goats").get_data(as_text=True)
    for url in urls:
        assert client.get(url).status_code == 200, url
    out = client.post("/session/end", data={"next": "/"}, headers={"Origin": "http://localhost"})
    assert out.status_code == 303 and "nfdp_token=;" in out.headers["Set-Cookie"]
    assert client.get(urls[0]).status_code == 404


def test_the_cookie_is_secure_over_https(app, embargo, hidden_token):
    client = app.test_client()
    r = client.post("/session", data={"token": hidden_token}, base_url="https://localhost",
                    headers={"Origin": "https://localhost"})
    assert r.status_code == 303
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_bad_token_is_refused_with_a_clear_page_and_no_cookie(client, embargo, engine):
    from factories import make_token

    from nfdp_ingest.registry import tokens

    r = keep_token(client, "nfdp_not-a-token")
    assert r.status_code == 401 and "Set-Cookie" not in r.headers
    assert "The token you entered is not a valid token. Nothing was kept." in r.get_data(as_text=True)
    assert keep_token(client, "").status_code == 400
    revoked = make_token(engine, "old", role="curator", projects=(embargo.hidden.project,))
    with transaction(engine) as s:
        tokens.revoke(s, "old")
    r = keep_token(client, revoked)
    assert r.status_code == 401 and "has been revoked" in r.get_data(as_text=True)
    assert "Set-Cookie" not in r.headers


def test_the_token_form_only_from_this_site(client, embargo, hidden_token):
    for headers in ({}, {"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"},
                    {"Origin": "null"}):
        r = client.post("/session", data={"token": hidden_token}, headers=headers)
        assert r.status_code == 403 and "Set-Cookie" not in r.headers, headers
    ok = client.post("/session", data={"token": hidden_token, "next": "//evil.example/"},
                     headers={"Referer": "http://localhost/projects/x"})
    assert ok.status_code == 303 and ok.headers["Location"] == "/"  # never sent to another host


def test_a_revoked_kept_token_is_forgotten(client, embargo, engine, hidden_token):
    from nfdp_ingest.registry import tokens

    keep_token(client, hidden_token)
    with transaction(engine) as s:
        tokens.revoke(s, "goat lab")
    r = client.get("/")
    assert r.status_code == 401 and r.mimetype == "text/html"
    assert "has been forgotten" in r.get_data(as_text=True) and "nfdp_token=;" in r.headers["Set-Cookie"]
    assert client.get("/").status_code == 200


def test_qc_report_and_downloads_of_an_embargoed_run_follow_the_cookie(client, embargo, hidden_token):
    run = embargo.hidden.runs[0]
    assert client.get(f"/qc/{run}/fastqc_report.html").status_code == 404
    keep_token(client, hidden_token)
    assert client.get(f"/qc/{run}/fastqc_report.html").status_code == 200
    assert f'href="/qc/{run}/fastqc_report.html"' in client.get(f"/runs/{run}").get_data(as_text=True)


def test_qc_status_column_uses_the_latest_report(client, engine, demo):
    with transaction(engine) as s:
        from nfdp_ingest.registry.models import Run

        run = s.scalars(select(Run).where(Run.accession == demo.runs[1])).one()
        make_qc(s, run, status="failed")
    main = _main(client.get(f"/projects/{demo.projects[0]}"))
    row = main.split(f'href="/runs/{demo.runs[1]}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="qc qc-failed">failed<' in row


def test_a_database_that_is_down_is_a_503_page_and_json_under_the_api(tmp_path):
    from nfdp_ingest.api import create_app
    from nfdp_ingest.config import Settings

    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = create_app(settings).test_client()
    page = client.get("/projects/NFDP-PRJ-000001")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Service unavailable (503)" in page.get_data(as_text=True) and "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/v1/projects/")
    assert api.status_code == 503 and api.is_json


def test_a_capped_search_says_there_are_more_and_how_to_narrow_it(client):
    """Above 10,000 hits registry.search stops counting; the page must not pass 10,000 off as
    the total (rendered directly: 10,000 documents are the search bench's business)."""
    from flask import render_template

    app = client.application
    with app.test_request_context("/search?q=fastq"):
        html = render_template("search.html", token=None, q="fastq", type="", message=None,
                               hits=[], pages={"page": 1, "last": 500, "total": 10000, "first_row": 1},
                               capped=True)
        exact = render_template("search.html", token=None, q="fastq", type="", message=None,
                                hits=[], pages={"page": 1, "last": 1, "total": 3, "first_row": 1}, capped=False)
    assert "More than 10,000 results" in html and "narrow the search" in html
    assert "More than" not in exact and "3 results" in exact
