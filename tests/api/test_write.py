"""POST /api/v1/experiments/ and bearer tokens."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nfdp_ingest.domain import check_experiment
from nfdp_ingest.errors import InvalidInput
from nfdp_ingest.registry import tokens
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import ApiToken, Experiment
from nfdp_ingest.sheet import validate_sheet

from .helpers import run_cli

SEED_BODY = {
    "sample_accession": "NFDP-SAM-000001", "platform": "ILLUMINA",
    "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
    "library_source": "GENOMIC", "library_layout": "PAIRED", "insert_size": 350,
}


def post(client, body, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/experiments/", json=body, headers=headers, **kw)


def n_experiments(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(Experiment.id))).scalar_one()


def test_create_as_the_seed_shows(client, engine, demo, token):
    before = n_experiments(engine)
    r = post(client, SEED_BODY, token)
    assert r.status_code == 201, r.get_json()
    rec = r.get_json()
    assert rec["accession"] == f"NFDP-EXP-{len(demo.experiments) + 1:06d}"
    assert {k: rec[k] for k in SEED_BODY} == SEED_BODY
    assert rec["project_accession"] == demo.projects[0]
    assert r.headers["Location"] == f"/api/v1/experiments/{rec['accession']}"
    assert n_experiments(engine) == before + 1
    assert client.get(r.headers["Location"]).get_json() == rec
    with engine.connect() as conn:  # the use is recorded
        assert conn.execute(select(ApiToken.last_used_at)).scalar() is not None


def test_vocabulary_is_normalised_like_the_sheet(client, demo, token):
    a = post(client, dict(SEED_BODY, platform="Illumina", library_strategy="wgs",
                          library_source="genomic", library_layout="paired"), token)
    b = post(client, dict(SEED_BODY, platform="illumina"), token)
    assert a.status_code == b.status_code == 201
    for rec in (a.get_json(), b.get_json()):
        assert (rec["platform"], rec["library_strategy"], rec["library_source"], rec["library_layout"]) == (
            "ILLUMINA", "WGS", "GENOMIC", "PAIRED")
    rna = post(client, dict(SEED_BODY, library_strategy="rna_seq", library_source="TRANSCRIPTOMIC"), token)
    assert rna.get_json()["library_strategy"] == "RNA-Seq"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "bearer  "])
def test_missing_or_bad_token_is_401(client, engine, demo, token, header):
    before = n_experiments(engine)
    headers = {"Authorization": header} if header else {}
    r = client.post("/api/v1/experiments/", json=SEED_BODY, headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in r.get_json()["detail"]
    assert n_experiments(engine) == before


def test_revoked_token_is_401(client, engine, demo, token):
    with transaction(engine) as s:
        tokens.revoke(s, "tests")
    assert post(client, SEED_BODY, token).status_code == 401


def test_unknown_sample_is_404(client, engine, demo, token):
    r = post(client, dict(SEED_BODY, sample_accession="NFDP-SAM-999999"), token)
    assert r.status_code == 404
    assert "NFDP-SAM-999999" in r.get_json()["detail"]


@pytest.mark.parametrize("change,field", [
    ({"platform": "ILUMINA"}, "platform"),
    ({"library_layout": "TRIPLE"}, "library_layout"),
    ({"library_strategy": None}, "library_strategy"),
    ({"insert_size": -5}, "insert_size"),
    ({"insert_size": "big"}, "insert_size"),
    ({"insert_size": True}, "insert_size"),
    ({"instrument_model": "PacBio Sequel"}, "instrument_model"),
    ({"sample_accession": None}, "sample_accession"),
    ({"sample_accession": 17}, "sample_accession"),
    ({"platform": 3}, "platform"),
    ({"library_name": {}}, "library_name"),  # found by schemathesis --checks all
    ({"library_selection": ["PCR"]}, "library_selection"),
    ({"colour": "blue"}, "colour"),
])
def test_invalid_field_is_422_naming_it(client, engine, demo, token, change, field):
    before = n_experiments(engine)
    body = {k: v for k, v in dict(SEED_BODY, **change).items()}
    r = post(client, body, token)
    assert r.status_code == 422, r.get_json()
    out = r.get_json()
    assert field in out["detail"]
    assert field in [e["field"] for e in out["errors"]]
    assert n_experiments(engine) == before


def test_missing_required_field_is_422(client, demo, token):
    for name in ("instrument_model", "library_strategy", "library_layout"):
        body = {k: v for k, v in SEED_BODY.items() if k != name}
        r = post(client, body, token)
        assert r.status_code == 422, name
        assert name in [e["field"] for e in r.get_json()["errors"]]


def test_derived_fields_are_not_then_required(client, demo, token):
    """The domain derives platform (single-platform instrument), source (strategy) and
    selection; the API does not contradict it with "X is required"."""
    body = {k: v for k, v in SEED_BODY.items() if k not in ("platform", "library_source")}
    r = post(client, body, token)
    assert r.status_code == 201, r.get_json()
    rec = r.get_json()
    assert (rec["platform"], rec["library_source"], rec["library_selection"]) == (
        "ILLUMINA", "GENOMIC", "unspecified")
    mixed = post(client, dict(body, instrument_model="unspecified"), token)  # any platform's: not derivable
    assert mixed.status_code == 422
    assert [e["field"] for e in mixed.get_json()["errors"]] == ["platform"]


SHEET = Path(__file__).resolve().parents[2] / "sheets" / "examples" / "template_ERC000011.tsv"


def _sheet_messages(tmp_path, column: str, value: str) -> list[str]:
    """What the sheet validator says about ``column`` when the first row holds ``value``."""
    lines = SHEET.read_text(encoding="utf-8").splitlines()
    header = lines[1].split("\t")
    row = lines[2].split("\t")
    row[header.index(column)] = value
    path = tmp_path / f"{column}.tsv"
    path.write_text("\n".join([lines[0], lines[1], "\t".join(row)]) + "\n", encoding="utf-8")
    report = validate_sheet(path)
    return [e["message"] for e in report.errors if e["column"] == column]


BAD_VALUES = [
    ("library_strategy", "WGSX"),
    ("instrument_model", "PacBio Sequel"),  # a real instrument, of another platform
    ("insert_size", "-5"),
    ("insert_size", "big"),
    ("insert_size", "99999999999999"),  # larger than the registry's integer (was a 503 on PostgreSQL)
]


def _domain_words(column: str, sent) -> list[str]:
    fields = {k: v for k, v in dict(SEED_BODY, **{column: sent}).items() if k != "sample_accession"}
    _, problems, _ = check_experiment(fields)
    return [p["message"] for p in problems if p["column"] == column]


def _as_json(column: str, value: str):
    return int(value) if value.lstrip("-").isdigit() else value  # a JSON number where it is one


@pytest.mark.parametrize("column,value", BAD_VALUES)
def test_a_bad_value_gets_the_domains_words_from_the_api(client, demo, token, column, value):
    sent = _as_json(column, value)
    r = post(client, dict(SEED_BODY, **{column: sent}), token)
    assert r.status_code == 422
    api_words = [e["message"] for e in r.get_json()["errors"] if e["field"] == column]
    domain_words = _domain_words(column, sent)
    assert domain_words and api_words == domain_words
    assert column in r.get_json()["detail"]


@pytest.mark.parametrize("column,value", BAD_VALUES)
def test_a_bad_value_gets_the_same_words_from_the_sheet(tmp_path, column, value):
    domain_words = _domain_words(column, _as_json(column, value))
    assert domain_words and _sheet_messages(tmp_path, column, value) == domain_words


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'"text"', b""])
def test_body_not_a_json_object_is_400(client, demo, token, data):
    r = client.post("/api/v1/experiments/", data=data, content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and "JSON object" in r.get_json()["detail"]


def test_tokens_are_stored_hashed_and_checked(engine):
    with transaction(engine) as s:
        secret = tokens.create(s, "alice")
    with engine.connect() as conn:
        stored = conn.execute(select(ApiToken.token_hash).where(ApiToken.name == "alice")).scalar_one()
    assert stored == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored
    with transaction(engine) as s:
        assert tokens.verify(s, secret).name == "alice"
        assert tokens.verify(s, secret + "x") is None
        assert tokens.verify(s, "") is None
        with pytest.raises(InvalidInput):
            tokens.create(s, "alice")
    with transaction(engine) as s:
        tokens.revoke(s, "alice")
    with transaction(engine) as s:
        assert tokens.verify(s, secret) is None
        with pytest.raises(InvalidInput):
            tokens.revoke(s, "bob")


def test_token_cli_prints_once_and_revokes(cli_env, engine, client, demo):
    created = run_cli(["token", "create", "--name", "ci", "--role", "curator", "--project", demo.projects[0]],
                      cli_env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("nfdp_") and len(secret) > 30
    assert secret not in created.stderr
    assert post(client, SEED_BODY, secret).status_code == 201
    again = run_cli(["token", "create", "--name", "ci", "--role", "admin"], cli_env)
    assert again.returncode == 1 and "exists" in again.stderr
    revoked = run_cli(["token", "revoke", "ci"], cli_env)
    assert revoked.returncode == 0, revoked.stderr
    assert post(client, SEED_BODY, secret).status_code == 401
    missing = run_cli(["token", "revoke", "nobody"], cli_env)
    assert missing.returncode == 1 and "nobody" in missing.stderr
