"""GA4GH DRS 1.2: every response validated against the DRS 1.2 schemas (tests/data/drs-1.2),
access URLs fetched with curl -L in local and MinIO (moto) mode."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from nfdp_ingest.api import create_app
from nfdp_ingest.config import MinioSettings
from tests.export.trees import LAYOUTS, build

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "drs-1.2"
_docs = {p.stem: json.loads(p.read_text()) for p in SCHEMAS.glob("*.json")}
_registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in _docs.values())


def check(name: str, body) -> None:
    validator = Draft202012Validator(_docs[name], registry=_registry, format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], errors


def fastq(name: str, n: int = 3000) -> bytes:
    return b"".join(f"@{name}.{i}\nACGTACGTAC\n+\nIIIIIIIIII\n".encode() for i in range(n))


def _serve(app):
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}"


def curl_md5(url: str, tmp_path: Path) -> str:
    out = tmp_path / f"curl-{uuid.uuid4().hex[:6]}"
    subprocess.run(["curl", "-sSfL", "-o", str(out), url], check=True, timeout=30)
    return hashlib.md5(out.read_bytes()).hexdigest()


@pytest.fixture
def local_tree(engine, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    data: dict[str, bytes] = {}

    def path_of(name):
        data[name] = fastq(name)
        (raw / name).write_bytes(data[name])
        return str(raw / name)

    tree = build(engine, LAYOUTS["lanes"] + [("EMPTY", [])], path_of=path_of, data=data)
    tree["data"] = data
    return tree


@pytest.fixture
def local_server(settings, local_tree):
    srv, base = _serve(create_app(settings))
    yield base
    srv.shutdown()
    srv.server_close()


def test_service_info_and_objects_are_drs_valid(local_tree, local_server, tmp_path):
    drs = f"{local_server}/ga4gh/drs/v1"
    info = requests.get(f"{drs}/service-info").json()
    check("ServiceInfo", info)
    assert info["type"] == {"group": "org.ga4gh", "artifact": "drs", "version": "1.2.0"}
    acc, (name, _p) = next(iter(local_tree["runs"].items()))
    run_api = requests.get(f"{local_server}/api/v1/runs/{acc}").json()
    obj = requests.get(f"{drs}/objects/{acc}").json()
    check("DrsObject", obj)
    host = local_server.split("://", 1)[1]
    assert obj["self_uri"] == f"drs://{host}/{acc}" and obj["name"] == name
    assert obj["size"] == len(local_tree["data"][name]) and obj["created_time"].endswith("Z")
    assert {c["type"]: c["checksum"] for c in obj["checksums"]} == {
        "md5": run_api["checksum_md5"], "sha-256": hashlib.sha256(local_tree["data"][name]).hexdigest()}
    assert [m["type"] for m in obj["access_methods"]] == ["https"] and name in obj["aliases"]
    assert requests.post(f"{drs}/objects/{acc}", json={}).json() == obj
    access = requests.get(f"{drs}/objects/{acc}/access/https").json()
    check("AccessURL", access)
    assert access["url"] == f"{local_server}/api/v1/runs/{acc}/files/{name}"
    assert requests.post(f"{drs}/objects/{acc}/access/https", json={"passports": []}).json() == access
    assert curl_md5(access["url"], tmp_path) == run_api["checksum_md5"]


def test_bundles_nest_and_checksum_their_contents(local_tree, local_server):
    drs = f"{local_server}/ga4gh/drs/v1"
    exp = local_tree["experiments"][0]  # three pairs: six runs
    bundle = requests.get(f"{drs}/objects/{exp}").json()
    check("DrsObject", bundle)
    runs = [requests.get(f"{drs}/objects/{c['id']}").json() for c in bundle["contents"]]
    assert len(runs) == 6 and bundle["size"] == sum(r["size"] for r in runs)
    md5s = sorted(next(c["checksum"] for c in r["checksums"] if c["type"] == "md5") for r in runs)
    assert {c["type"]: c["checksum"] for c in bundle["checksums"]}["md5"] == hashlib.md5(
        "".join(md5s).encode()).hexdigest()
    assert all(c["drs_uri"][0].endswith("/" + c["id"]) for c in bundle["contents"])
    project = requests.get(f"{drs}/objects/{local_tree['project']}?expand=true").json()
    check("DrsObject", project)
    assert [c["name"] for c in project["contents"]] == ["S_E", "S_F", "EMPTY"]
    leaves = [r for s in project["contents"] for e in s["contents"] for r in e["contents"]]
    assert sorted(r["id"] for r in leaves) == sorted(local_tree["runs"])
    assert project["contents"][2]["contents"] == []  # a sample without runs is an empty bundle
    flat = requests.post(f"{drs}/objects/{local_tree['project']}", json={"expand": False}).json()
    assert all("contents" not in c for c in flat["contents"]) and flat["checksums"] == project["checksums"]
    sample = requests.get(f"{drs}/objects/{local_tree['samples'][1]}").json()
    check("DrsObject", sample)
    assert len(sample["contents"]) == 2  # two experiments
    r = requests.get(f"{drs}/objects/{exp}/access/https")
    assert r.status_code == 404 and "bundle" in r.json()["msg"]


def test_errors_have_the_drs_shape(local_tree, local_server):
    drs = f"{local_server}/ga4gh/drs/v1"
    acc = next(iter(local_tree["runs"]))
    for method, url, code in (
        ("get", f"{drs}/objects/NFDP-RUN-999999", 404), ("get", f"{drs}/objects/whatever", 404),
        ("get", f"{drs}/objects/{acc}/access/s3", 404),  # local mode: no s3 method
        ("get", f"{drs}/objects/{acc}?expand=maybe", 400), ("post", f"{drs}/objects/{acc}", 400),
        ("get", f"{drs}/no-such-endpoint", 404), ("delete", f"{drs}/objects/{acc}", 405),
    ):
        kw = {"data": "[1]", "headers": {"Content-Type": "application/json"}} if method == "post" else {}
        r = getattr(requests, method)(url, **kw)
        assert r.status_code == code, (url, r.text)
        check("Error", r.json())
        assert r.json()["status_code"] == code and r.json()["msg"]


def test_drs_is_in_the_openapi_document(local_server):
    doc = requests.get(f"{local_server}/api/v1/openapi.json").json()
    for path in ("/ga4gh/drs/v1/service-info", "/ga4gh/drs/v1/objects/{object_id}",
                 "/ga4gh/drs/v1/objects/{object_id}/access/{access_id}"):
        assert path in doc["paths"]
    assert set(doc["paths"]["/ga4gh/drs/v1/objects/{object_id}"]) == {"get", "post"}
    assert "DrsObject" in doc["components"]["schemas"]


def test_minio_mode_access_urls_and_files_redirect(settings, engine, s3, tmp_path):
    minio = MinioSettings(endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key,
                          raw_bucket=f"raw-{uuid.uuid4().hex[:8]}", qc_bucket=f"qc-{uuid.uuid4().hex[:8]}")
    app = create_app(replace(settings, storage="minio", minio=minio))
    storage = app.extensions["nfdp"].storage
    storage.ensure_buckets()
    data: dict[str, bytes] = {}

    def path_of(name):
        data[name] = fastq(name)
        key = f"P/S/R/{name}"
        storage.client.put_object(minio.raw_bucket, key, io.BytesIO(data[name]), len(data[name]))
        return f"{minio.raw_bucket}/{key}"

    tree = build(engine, LAYOUTS["paired"], path_of=path_of, data=data)
    srv, base = _serve(app)
    try:
        acc, (name, path) = next(iter(tree["runs"].items()))
        md5 = hashlib.md5(data[name]).hexdigest()
        obj = requests.get(f"{base}/ga4gh/drs/v1/objects/{acc}").json()
        check("DrsObject", obj)
        s3m = next(m for m in obj["access_methods"] if m["type"] == "s3")
        assert s3m["access_url"]["url"] == f"s3://{path}" and s3m["access_id"] == "s3"
        access = requests.get(f"{base}/ga4gh/drs/v1/objects/{acc}/access/https").json()
        check("AccessURL", access)
        assert access["url"].startswith(f"http://{s3.endpoint}/{minio.raw_bucket}/") and "X-Amz-Signature" in access["url"]
        assert curl_md5(access["url"], tmp_path) == md5
        assert requests.get(f"{base}/ga4gh/drs/v1/objects/{acc}/access/s3").json()["url"] == f"s3://{path}"
        files = f"{base}/api/v1/runs/{acc}/files/{name}"
        r = requests.get(files, allow_redirects=False)
        assert r.status_code == 302 and "X-Amz-Signature" in r.headers["Location"]
        assert curl_md5(files, tmp_path) == md5
        sheet = requests.get(f"{base}/api/v1/samplesheets/{tree['project']}/rnaseq.csv")
        assert sheet.status_code == 200 and f"s3://{minio.raw_bucket}/P/S/R/" in sheet.text
        from tests.export.nfschema import validate

        assert validate("rnaseq", sheet.text) == []
        config = requests.get(f"{base}/api/v1/samplesheets/{tree['project']}/nextflow.config").text
        assert f"endpoint = 'http://{s3.endpoint}'" in config and "s3PathStyleAccess = true" in config
        assert s3.secret_key not in config and s3.access_key not in config and "AWS_SECRET_ACCESS_KEY" in config
    finally:
        srv.shutdown()
        srv.server_close()
