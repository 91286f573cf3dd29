"""The read endpoints through Flask's test client (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from factories import make_experiment, make_project, make_run, make_sample
from sqlalchemy import select

from nfdp_ingest.api import create_app
from nfdp_ingest.api.models import Experiment, Project, Run, Sample, fields_of
from nfdp_ingest.api.runs import DEV_MODE_MESSAGE
from nfdp_ingest.registry import models as db
from nfdp_ingest.registry.db import transaction

SEED_RUN_KEYS = {"accession", "ena_accession", "file_type", "file_size", "checksum_md5", "created_at"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def links(response) -> dict[str, dict]:
    """RFC 8288 Link header → {rel: query dict}."""
    out = {}
    for part in response.headers["Link"].split(","):
        url, rel = re.match(r'\s*<([^>]*)>;\s*rel="(\w+)"', part).groups()
        out[rel] = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    return out


def test_run_list_is_a_bare_array_with_the_seed_fields(client, demo):
    r = client.get("/api/v1/runs/?page=1&per_page=20")
    assert r.status_code == 200
    assert r.content_type == "application/json"
    body = r.get_json()
    assert isinstance(body, list) and len(body) == len(demo.runs)
    assert [x["accession"] for x in body] == sorted(demo.runs)
    first = body[0]
    assert SEED_RUN_KEYS <= set(first)
    assert list(first) == list(fields_of(Run))
    assert first["ena_accession"] is None and first["file_type"] == "FASTQ"
    assert first["checksum_md5"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert first["created_at"] == "2026-01-15T10:30:00"
    assert (first["experiment_accession"], first["sample_accession"], first["project_accession"]) == (
        demo.experiments[0], demo.samples[0], demo.projects[0])
    assert first["filename"] == "SAMPLE_001_R1.fastq.gz" and first["read_direction"] == "forward"
    assert len(first["checksum_sha256"]) == 64
    assert r.headers["X-Total-Count"] == str(len(demo.runs))


@pytest.mark.parametrize("resource,fields,attr", [
    ("projects", fields_of(Project), "projects"), ("samples", fields_of(Sample), "samples"),
    ("experiments", fields_of(Experiment), "experiments"), ("runs", fields_of(Run), "runs"),
])
def test_every_record_has_its_fields_and_iso_timestamps(client, demo, resource, fields, attr):
    for acc in getattr(demo, attr):
        r = client.get(f"/api/v1/{resource}/{acc}")
        assert r.status_code == 200, acc
        rec = r.get_json()
        assert list(rec) == list(fields)
        assert rec["accession"] == acc
        assert ISO.match(rec["created_at"])


def test_every_served_record_validates_against_its_model(client, demo):
    """The models are the contract: what the API serves (not re-validated at run time) fits them."""
    from nfdp_ingest.api import models

    for resource, model in models.RECORD_MODELS.items():
        listed = client.get(f"/api/v1/{resource}/?per_page=1000").get_json()
        assert listed
        for rec in listed:
            assert model.model_validate(rec).model_dump(mode="json") == rec
    qc = client.get(f"/api/v1/runs/{demo.runs[0]}/qc").get_json()
    assert models.QC.model_validate(qc).reports[0].tool == "FastQC"
    dev = client.get(f"/api/v1/runs/{demo.runs[0]}/download").get_json()
    models.DevDownload.model_validate(dev)
    models.Health.model_validate(client.get("/api/v1/health").get_json())
    row = client.get(f"/api/v1/filereport?accession={demo.runs[0]}").get_json()[0]
    assert tuple(row) == models.fields_of(models.FileReportRow)
    bad = client.get("/api/v1/runs/NFDP-RUN-999999").get_json()
    assert models.Error.model_validate(bad).detail == bad["detail"] and set(bad) == {"detail"}


def test_experiment_record_has_the_create_fields(client, demo):
    rec = client.get(f"/api/v1/experiments/{demo.experiments[0]}").get_json()
    assert {k: rec[k] for k in ("sample_accession", "platform", "instrument_model", "library_strategy",
                                "library_source", "library_layout", "insert_size")} == {
        "sample_accession": demo.samples[0], "platform": "ILLUMINA",
        "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
        "library_source": "GENOMIC", "library_layout": "PAIRED", "insert_size": 350}
    assert rec["project_accession"] == demo.projects[0]


def test_sample_keeps_checklist_attributes(client, demo):
    rec = client.get(f"/api/v1/samples/{demo.samples[0]}").get_json()
    assert rec["attributes"] == {"project name": "NFDP cattle", "sample_storage": "-80C"}
    assert rec["project_accession"] == demo.projects[0] and rec["tax_id"] == 9913


@pytest.mark.parametrize("path", [
    "/api/v1/runs/", "/api/v1/runs", "/api/v1/projects", "/api/v1/projects/",
    "/api/v1/runs/NFDP-RUN-000001", "/api/v1/runs/NFDP-RUN-000001/",
    "/api/v1/runs/NFDP-RUN-000001/qc/", "/api/v1/runs/NFDP-RUN-000001/download/",
    "/api/v1/health/", "/api/v1/openapi.json/", "/api/v1/filereport/?accession=NFDP-PRJ-000001",
])
def test_paths_work_with_and_without_trailing_slash(client, demo, path):
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.headers.get("Location"))
    assert "Location" not in r.headers


def test_pagination_headers_and_links(client, demo):
    total = len(demo.runs)
    r = client.get("/api/v1/runs/?page=2&per_page=1&file_type=fastq")
    fastq = total - 1  # one BAM run
    assert r.headers["X-Total-Count"] == str(fastq)
    assert [x["accession"] for x in r.get_json()] == sorted(demo.runs)[1:2]
    rels = links(r)
    last = fastq
    assert rels["first"]["page"] == "1" and rels["prev"]["page"] == "1"
    assert rels["next"]["page"] == "3" and rels["last"]["page"] == str(last)
    assert all(q["per_page"] == "1" and q["file_type"] == "fastq" for q in rels.values())
    first = client.get("/api/v1/runs/?page=1&per_page=2")
    assert "prev" not in links(first)
    end = client.get(f"/api/v1/runs/?page={-(-total // 2)}&per_page=2")
    assert "next" not in links(end) and len(end.get_json()) == total - 2 * (-(-total // 2) - 1)
    beyond = client.get("/api/v1/runs/?page=99&per_page=2")
    assert beyond.status_code == 200 and beyond.get_json() == []
    assert beyond.headers["X-Total-Count"] == str(total)


def test_pages_tile_the_list_in_accession_order(client, engine, demo):
    with transaction(engine) as s:  # more rows, so pages from both ends of the index are used
        project = s.scalar(select(db.Project).where(db.Project.accession == demo.projects[0]))
        exp = make_experiment(s, make_sample(s, project, alias="MANY"))
        for _ in range(23):
            make_run(s, exp)
    everything = client.get("/api/v1/runs/?per_page=1000").get_json()
    accs = [r["accession"] for r in everything]
    assert accs == sorted(accs) and len(accs) == len(demo.runs) + 23
    for per_page in (1, 3, 7, 20):
        paged = []
        page = 1
        while True:
            chunk = client.get(f"/api/v1/runs/?page={page}&per_page={per_page}").get_json()
            if not chunk:
                break
            paged += [r["accession"] for r in chunk]
            page += 1
        assert paged == accs, per_page


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "per_page=0", "per_page=1001",
                                   "per_page=1.5", "page=99999999999999999999"])
def test_bad_pagination_is_a_400_with_detail(client, demo, query):
    r = client.get(f"/api/v1/samples/?{query}")
    assert r.status_code == 400
    assert r.content_type == "application/json"
    assert ("per_page" if "per_page" in query else "page") in r.get_json()["detail"]


def test_per_page_bounds_and_default(client, demo):
    assert len(client.get("/api/v1/runs/").get_json()) == len(demo.runs)  # default 20 > 5
    assert len(client.get("/api/v1/runs/?per_page=1").get_json()) == 1
    assert client.get("/api/v1/runs/?per_page=1000").status_code == 200


def test_filters(client, demo):
    def accs(url):
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_json())
        return [x["accession"] for x in r.get_json()]

    assert accs(f"/api/v1/samples/?project={demo.projects[0]}") == demo.samples
    assert accs(f"/api/v1/samples/?project={demo.empty_project}") == []
    assert accs(f"/api/v1/experiments/?sample={demo.samples[0]}") == [demo.experiments[0]]
    assert accs(f"/api/v1/experiments/?project={demo.projects[0]}") == demo.experiments
    assert accs("/api/v1/experiments/?library_strategy=RNA-Seq") == [demo.experiments[-1]]
    assert accs("/api/v1/experiments/?library_strategy=rna_seq") == [demo.experiments[-1]]
    assert accs("/api/v1/experiments/?platform=illumina") == demo.experiments
    assert accs("/api/v1/experiments/?platform=PACBIO_SMRT") == []
    assert accs(f"/api/v1/runs/?experiment={demo.experiments[0]}") == demo.runs[:2]
    assert accs(f"/api/v1/runs/?sample={demo.samples[1]}") == demo.runs[2:]
    assert accs(f"/api/v1/runs/?project={demo.projects[0]}") == demo.runs
    assert accs(f"/api/v1/runs/?project={demo.empty_project}") == []
    assert accs("/api/v1/runs/?file_type=BAM") == [demo.runs[-1]]
    assert accs(f"/api/v1/runs/?sample={demo.samples[1]}&file_type=BAM") == [demo.runs[-1]]


@pytest.mark.parametrize("url", [
    "/api/v1/samples/?project=NFDP-PRJ-999999", "/api/v1/experiments/?sample=NFDP-SAM-999999",
    "/api/v1/experiments/?project=nope", "/api/v1/runs/?experiment=NFDP-EXP-999999",
    "/api/v1/runs/?sample=NFDP-SAM-999999", "/api/v1/runs/?project=NFDP-PRJ-999999",
    "/api/v1/runs/?project=NFDP-PRJ-000001%00",
])
def test_filter_naming_an_unknown_accession_is_404(client, demo, url):
    r = client.get(url)
    assert r.status_code == 404
    assert "no " in r.get_json()["detail"]


@pytest.mark.parametrize("url", ["/api/v1/projects/NFDP-PRJ-999999", "/api/v1/samples/x",
                                 "/api/v1/experiments/NFDP-EXP-999999", "/api/v1/runs/NFDP-RUN-999999",
                                 "/api/v1/runs/NFDP-RUN-999999/download", "/api/v1/runs/NFDP-RUN-999999/qc",
                                 "/api/v1/runs/%00", "/api/v1/nothing-here", "/api/v1/"])  # "/": the pages' index
def test_unknown_is_json_404(client, demo, url):
    r = client.get(url)
    assert r.status_code == 404
    assert r.content_type == "application/json"
    assert isinstance(r.get_json()["detail"], str)


def test_wrong_method_is_json_405(client, demo):
    r = client.delete("/api/v1/runs/NFDP-RUN-000001")
    assert r.status_code == 405
    assert r.get_json()["detail"] and "GET" in r.headers["Allow"]
    assert client.put("/api/v1/experiments/").status_code == 405


def test_internal_error_is_json_500_without_traceback(settings, demo):
    """A test-only blueprint whose view fails: the app's own handler answers, no mock of our code."""
    from flask import Blueprint

    broken = Blueprint("broken", __name__)

    @broken.get("/broken")
    def fail():
        raise RuntimeError("secret internals")

    app = create_app(settings)
    app.register_blueprint(broken, url_prefix="/api/v1")
    r = app.test_client().get("/api/v1/broken")
    assert r.status_code == 500
    assert r.get_json() == {"detail": "internal server error"}
    assert b"secret internals" not in r.data and b"Traceback" not in r.data


def test_download_in_local_mode_is_the_seed_dev_json(client, demo):
    r = client.get(f"/api/v1/runs/{demo.runs[0]}/download")
    assert r.status_code == 200
    assert r.get_json() == {
        "accession": demo.runs[0], "file_path": "SAMPLE_001_R1.fastq.gz", "file_size": 1234567890,
        "checksum_md5": "d41d8cd98f00b204e9800998ecf8427e", "message": DEV_MODE_MESSAGE,
    }
    assert DEV_MODE_MESSAGE == "Direct download unavailable — file stored at the path above"


def test_qc_has_the_seed_shape_and_serves_the_report(client, demo):
    body = client.get(f"/api/v1/runs/{demo.runs[0]}/qc").get_json()
    assert body["status"] == "passed" and body["tool"] == "FastQC"
    assert body["summary"] == {"total_sequences": 50000000, "gc_content": 42.5}
    assert body["report_url"] == f"/qc/{demo.runs[0]}/fastqc_report.html"
    assert [(x["tool"], x["status"]) for x in body["reports"]] == [("FastQC", "passed"), ("MultiQC", "passed")]
    assert all("summary" in x for x in body["reports"])
    page = client.get(body["report_url"])
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    assert b"FastQC report" in page.data
    multi = client.get(body["reports"][1]["report_url"])
    assert b"MultiQC report" in multi.data
    assert client.get(f"/qc/{demo.runs[0]}/nothing.html").status_code == 404
    assert client.get(f"/qc/{demo.runs[0]}/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_qc_pending(client, demo):
    r = client.get(f"/api/v1/runs/{demo.runs[1]}/qc")
    assert r.status_code == 200 and r.get_json() == {"status": "pending", "reports": []}


def test_health(client, demo):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and "local storage" in body["storage"]


def test_health_is_503_when_the_database_is_down(tmp_path):
    from nfdp_ingest.config import Settings

    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = create_app(settings).test_client()
    r = client.get("/api/v1/health")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "unavailable" and "database" in body["detail"]
    r = client.get("/api/v1/runs/")
    assert r.status_code == 503 and r.content_type == "application/json"


def test_openapi_lists_every_endpoint(client, app, demo):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", p).rstrip("/") for p in doc["paths"]}
    served = {re.sub(r"<[^<>]*:(\w+)>", r"<\1>", r.rule).rstrip("/")  # converters (any(...)) left out
              for r in app.url_map.iter_rules()
              if r.endpoint != "static" and not r.endpoint.startswith("pages.")}  # HTML, not the API
    assert served == documented
    assert "post" in doc["paths"]["/api/v1/experiments/"]


def test_listing_is_ordered_by_accession_not_insertion(client, engine, demo):
    with transaction(engine) as s:
        p = make_project(s, title="late")
    accs = [x["accession"] for x in client.get("/api/v1/projects/").get_json()]
    assert accs == sorted(demo.projects + [p.accession])
