"""The API after brokering: ena_accession on every record, biosample_accession on samples, and
GET /api/v1/projects/{acc}/ena (in the OpenAPI document)."""

from __future__ import annotations

from sqlalchemy import update

from nfdp_ingest.api import create_app
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import Sample
from tests.factories import make_token

from .helpers import brokerable


class _Authorised:
    """A test client that presents a bearer token on every GET."""

    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, url: str):
        return self.client.get(url, headers=self.headers)


def test_records_and_the_ena_endpoint(engine, settings, ena_cli, webin, tmp_path):
    b = brokerable(engine, tmp_path / "data")
    anonymous = create_app(settings).test_client()
    # the project is held at ENA until its release date, so it is under embargo here too:
    # the curator reads it with a token, an anonymous reader does not see it at all
    assert anonymous.get(f"/api/v1/projects/{b.project}/ena").status_code == 404
    client = _Authorised(anonymous, make_token(engine, "curator-reads", role="admin"))
    before = client.get(f"/api/v1/projects/{b.project}/ena").get_json()
    assert before["ena_accession"] is None and before["exchanges"] == [] and before["last_exchange"] is None
    assert before["total"] == {"sample": 2, "experiment": 3, "run": 6}
    assert before["brokered"] == {"sample": 0, "experiment": 0, "run": 0}

    with transaction(engine) as s:
        s.execute(update(Sample).where(Sample.accession == b.samples[0]).values(tax_id=2))
    assert ena_cli("ena", "submit", b.project, "--quiet").exit_code == 1  # refused by ENA
    refused = client.get(f"/api/v1/projects/{b.project}/ena").get_json()
    assert refused["last_exchange"]["status"] == "rejected" and refused["last_exchange"]["success"] is False
    assert any("Taxon Bacteria id 2 is not submittable" in m for m in refused["last_exchange"]["messages"]["error"])

    with transaction(engine) as s:
        s.execute(update(Sample).values(tax_id=9913))
    assert ena_cli("ena", "submit", b.project, "--quiet").exit_code == 0
    registered = webin.standin.registered
    body = client.get(f"/api/v1/projects/{b.project}/ena").get_json()
    assert body["ena_accession"] == registered[("project", b.project)]
    assert body["ena_secondary_accession"].startswith("ERP")
    assert body["brokered"] == {"sample": 2, "experiment": 3, "run": 5}  # the VCF is not reads
    last = body["last_exchange"]
    assert last["status"] == "applied" and last["action"] == "ADD" and last["objects"]["run"] == 3
    assert "All objects in this submission are set to private status (HOLD)." in last["messages"]["info"]
    assert last["applied_at"] is not None and len(body["exchanges"]) == 2

    project = client.get(f"/api/v1/projects/{b.project}").get_json()
    assert project["ena_accession"] == registered[("project", b.project)]
    sample = client.get(f"/api/v1/samples/{b.samples[0]}").get_json()
    assert sample["ena_accession"] == registered[("sample", b.samples[0])]
    assert sample["biosample_accession"].startswith("SAMEA")
    experiment = client.get(f"/api/v1/experiments/{b.experiments[0]}").get_json()
    assert experiment["ena_accession"] == registered[("experiment", b.experiments[0])]
    runs = client.get(f"/api/v1/runs/?experiment={b.experiments[0]}").get_json()
    assert {r["ena_accession"] for r in runs} == {registered[("run", b.runs[0])]}

    assert client.get("/api/v1/projects/NFDP-PRJ-999999/ena").status_code == 404
    assert client.get("/api/v1/projects/NFDP-PRJ-999999/ena").get_json()["detail"].startswith("no project")
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/projects/{accession}/ena"]["get"]
    assert op["operationId"] == "get_project_ena"
    assert "EnaStatus" in str(op["responses"]["200"])
    assert "biosample_accession" in spec["components"]["schemas"]["Sample"]["properties"]
