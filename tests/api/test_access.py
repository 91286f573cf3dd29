"""Tokens on the write endpoint: every role × own/other/embargoed project; 401, 403, 404."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from factories import make_token
from sqlalchemy import func, select, update

from nfdp_ingest.registry import tokens
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import ApiToken, Experiment, utcnow

from .helpers import bearer, run_cli

BODY = {"platform": "ILLUMINA", "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
        "library_source": "GENOMIC", "library_layout": "PAIRED", "insert_size": 350}


def post(client, sample: str, secret: str | None, **kw):
    return client.post("/api/v1/experiments/", json=dict(BODY, sample_accession=sample),
                       headers=bearer(secret), **kw)


def n_experiments(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(Experiment.id))).scalar_one()


@pytest.fixture
def holders(engine, embargo):
    """Secrets: curators and submitters of the public demo project (A) and of the embargoed one (E)."""
    a, e = embargo.demo.projects[0], embargo.hidden.project
    return {
        "submitter A": make_token(engine, "sub-a", "submitter", (a,)),
        "curator A": make_token(engine, "cur-a", "curator", (a,)),
        "curator E": make_token(engine, "cur-e", "curator", (e,)),
        "submitter E": make_token(engine, "sub-e", "submitter", (e,)),
        "admin": make_token(engine, "root", "admin"),
    }


# (token, sample's project) → status: A public own, R public other, E embargoed
MATRIX = [
    ("submitter A", "A", 403), ("submitter A", "R", 403), ("submitter A", "E", 403),
    ("curator A", "A", 201), ("curator A", "R", 403), ("curator A", "E", 404),
    ("curator E", "E", 201), ("curator E", "A", 403), ("curator E", "R", 403),
    ("submitter E", "E", 403),
    ("admin", "A", 201), ("admin", "R", 201), ("admin", "E", 201),
]


@pytest.mark.parametrize("who,where,status", MATRIX)
def test_create_experiment_by_role_and_project(client, engine, embargo, holders, who, where, status):
    sample = {"A": embargo.demo.samples[0], "R": embargo.released.sample, "E": embargo.hidden.sample}[where]
    before = n_experiments(engine)
    r = post(client, sample, holders[who])
    assert r.status_code == status, (who, where, r.get_json())
    assert n_experiments(engine) == before + (status == 201)
    detail = r.get_json().get("detail", "")
    if status == 403:
        role = who.split()[0]
        assert role in detail  # names the role, and the project when the role would do
        if role == "curator":
            assert r.get_json()["detail"].count("NFDP-PRJ-") >= 1
    if status == 404:
        assert sample in detail and "embargo" not in detail
    if status == 201:
        assert r.get_json()["sample_accession"] == sample


@pytest.mark.parametrize("state", ["none", "unknown", "expired", "revoked", "empty"])
def test_no_or_dead_token_is_401(client, engine, embargo, holders, state):
    secret = {"none": None, "unknown": "nfdp_" + "x" * 43, "empty": None}.get(state)
    headers = {"Authorization": "Bearer "} if state == "empty" else {}
    if state in ("expired", "revoked"):
        secret = holders["admin"]
        with transaction(engine) as s:
            if state == "revoked":
                tokens.revoke(s, "root")
            else:
                s.execute(update(ApiToken).where(ApiToken.name == "root")
                          .values(expires_at=utcnow() - timedelta(seconds=1)))
    before = n_experiments(engine)
    r = client.post("/api/v1/experiments/", json=dict(BODY, sample_accession=embargo.demo.samples[0]),
                    headers=headers or bearer(secret))
    assert r.status_code == 401
    assert set(r.get_json()) == {"detail"} and "token" in r.get_json()["detail"]
    if state in ("expired", "revoked"):
        assert state in r.get_json()["detail"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert n_experiments(engine) == before


def test_revocation_and_expiry_take_effect_on_the_next_request(client, engine, embargo, holders):
    sample = embargo.demo.samples[0]
    assert post(client, sample, holders["curator A"]).status_code == 201
    with transaction(engine) as s:
        tokens.revoke(s, "cur-a")
    assert post(client, sample, holders["curator A"]).status_code == 401
    short = make_token(engine, "short", "admin", lifetime=timedelta(hours=1))
    assert post(client, sample, short).status_code == 201
    with engine.begin() as conn:  # an hour later
        conn.execute(update(ApiToken).where(ApiToken.name == "short").values(
            expires_at=utcnow() - timedelta(microseconds=1)))
    r = post(client, sample, short)
    assert r.status_code == 401 and "expired" in r.get_json()["detail"]
    # an expired token no longer sees its embargoed project either
    hidden = make_token(engine, "e-reader", "submitter", (embargo.hidden.project,))
    url = f"/api/v1/projects/{embargo.hidden.project}"
    assert client.get(url, headers=bearer(hidden)).status_code == 200
    with transaction(engine) as s:
        tokens.revoke(s, "e-reader")
    assert client.get(url, headers=bearer(hidden)).status_code == 401
    assert client.get(url).status_code == 404


def test_last_used_at_is_recorded_on_reads_and_writes(client, engine, embargo, holders):
    def last_used(name):
        with engine.connect() as conn:
            return conn.execute(select(ApiToken.last_used_at).where(ApiToken.name == name)).scalar_one()

    assert last_used("cur-e") is None and last_used("sub-e") is None
    assert client.get("/api/v1/runs/", headers=bearer(holders["submitter E"])).status_code == 200
    assert last_used("sub-e") is not None
    assert post(client, embargo.hidden.sample, holders["curator E"]).status_code == 201
    assert last_used("cur-e") is not None
    assert last_used("cur-a") is None  # untouched tokens stay unused


def test_a_cookie_cannot_write_from_another_site(client, engine, embargo, holders):
    sample = embargo.demo.samples[0]
    client.set_cookie("nfdp_token", holders["admin"])
    before = n_experiments(engine)
    evil = client.post("/api/v1/experiments/", json=dict(BODY, sample_accession=sample),
                       headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "another site" in evil.get_json()["detail"]
    assert n_experiments(engine) == before
    same = client.post("/api/v1/experiments/", json=dict(BODY, sample_accession=sample),
                       headers={"Origin": "http://localhost"})
    assert same.status_code == 201, same.get_json()


def test_secrets_never_reach_the_logs(client, engine, embargo, holders, caplog, cli_env):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # SQL and its parameters too
    secrets = list(holders.values())
    for secret in secrets:
        client.get(f"/api/v1/projects/{embargo.hidden.project}", headers=bearer(secret))
        post(client, embargo.demo.samples[0], secret)
    wrong = "nfdp_" + "w" * 43
    client.get("/api/v1/runs/", headers=bearer(wrong))
    with transaction(engine) as s:
        tokens.revoke(s, "sub-a")
    post(client, embargo.demo.samples[0], holders["submitter A"])
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    # the capture saw the requests: our token lines and the SQL with its parameters (the digests)
    assert "request by token 'root' (admin)" in logged and "bearer token refused (unknown)" in logged
    assert "bearer token refused (revoked)" in logged
    assert tokens.hash_token(holders["admin"]) in logged
    for secret in [*secrets, wrong]:
        assert secret not in logged
    env = dict(cli_env, NFDP_LOG_LEVEL="DEBUG", NFDP_DEBUG="1")
    made = run_cli(["token", "create", "--name", "logged", "--role", "submitter", "--project",
                    embargo.demo.projects[0], "--expires", "90d"], env)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("nfdp_") and secret not in made.stderr
    assert "submitter" in made.stderr and embargo.demo.projects[0] in made.stderr
    listed = run_cli(["token", "list", "--format", "json"], env)
    assert listed.returncode == 0 and secret not in listed.stdout + listed.stderr


def test_token_cli_roles_projects_expiry_and_list(cli_env, engine, embargo):
    import json

    a = embargo.demo.projects[0]
    ok = run_cli(["token", "create", "--name", "lab", "--role", "curator", "--project", a,
                  "--project", embargo.hidden.project, "--expires", "2w"], cli_env)
    assert ok.returncode == 0, ok.stderr
    for args, code, words in [
        (["--name", "x", "--role", "curator"], 2, "--project"),
        (["--name", "x", "--role", "admin", "--project", a], 2, "admin"),
        (["--name", "x", "--role", "owner"], 2, "owner"),
        (["--name", "x", "--role", "submitter", "--project", "NFDP-PRJ-999999"], 1, "NFDP-PRJ-999999"),
        (["--name", "x", "--role", "admin", "--expires", "soon"], 2, "soon"),
        (["--name", "x", "--role", "admin", "--expires", "0d"], 2, "0d"),
        (["--name", "lab", "--role", "admin"], 1, "exists"),
    ]:
        bad = run_cli(["token", "create", *args], cli_env)
        assert bad.returncode == code and words in bad.stderr, (args, bad.returncode, bad.stderr)
        assert "Traceback" not in bad.stderr
    assert run_cli(["token", "create", "--name", "ops", "--role", "admin"], cli_env).returncode == 0
    assert run_cli(["token", "revoke", "ops"], cli_env).returncode == 0
    listed = json.loads(run_cli(["token", "list", "--format", "json"], cli_env).stdout)
    by_name = {t["name"]: t for t in listed}
    assert set(by_name) == {"lab", "ops"}
    lab = by_name["lab"]
    assert (lab["role"], lab["projects"], lab["status"], lab["last_used_at"]) == (
        "curator", [a, embargo.hidden.project], "active", None)
    assert lab["expires_at"] > lab["created_at"]
    assert by_name["ops"]["status"] == "revoked" and by_name["ops"]["expires_at"] is None
    text = run_cli(["token", "list"], cli_env).stdout.splitlines()
    assert text[0].split("\t") == ["name", "role", "projects", "status", "created", "expires", "last used"]
    assert text[1].split("\t")[:4] == ["lab", "curator", f"{a},{embargo.hidden.project}", "active"]
    assert "token_hash" not in json.dumps(listed)


def test_a_real_server_logs_no_secret(cli_env, engine, embargo, holders, tmp_path):
    import requests

    from .helpers import serve, stop

    log = tmp_path / "serve.log"
    proc, base = serve(dict(cli_env, NFDP_LOG_LEVEL="DEBUG"), log=log)
    try:
        wrong = "nfdp_" + "z" * 43
        for secret in [*holders.values(), wrong]:
            requests.get(f"{base}/api/v1/projects/{embargo.hidden.project}", headers=bearer(secret), timeout=10)
            requests.post(f"{base}/api/v1/experiments/", json=dict(BODY, sample_accession=embargo.demo.samples[0]),
                          headers=bearer(secret), timeout=10)
            requests.get(f"{base}/api/v1/runs/", cookies={"nfdp_token": secret}, timeout=10)
    finally:
        stop(proc)
    text = log.read_text()
    assert "/api/v1/experiments/" in text  # the server did log the requests
    for secret in [*holders.values(), wrong]:
        assert secret not in text
