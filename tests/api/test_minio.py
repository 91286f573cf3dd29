"""MinIO mode against a real S3 server (moto): the download redirect and QC report redirect."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from dataclasses import replace

import requests
from factories import make_experiment, make_project, make_qc, make_run, make_sample

from nfdp_ingest.api import create_app
from nfdp_ingest.config import MinioSettings
from nfdp_ingest.registry.db import transaction


def test_download_redirect_followed_to_s3_matches_md5(settings, engine, s3, tmp_path):
    minio = MinioSettings(endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key,
                          raw_bucket=f"raw-{uuid.uuid4().hex[:8]}", qc_bucket=f"qc-{uuid.uuid4().hex[:8]}")
    settings = replace(settings, storage="minio", minio=minio)
    app = create_app(settings)
    storage = app.extensions["nfdp"].storage
    storage.ensure_buckets()
    data = b"@r1/1\nACGT\n+\nIIII\n" * 5000
    key = "NFDP-PRJ-000001/NFDP-SAM-000001/NFDP-RUN-000001/x_R1.fastq"
    storage.client.put_object(minio.raw_bucket, key, io.BytesIO(data), len(data))
    report = tmp_path / "fastqc_report.html"
    report.write_text("<html>fastqc from s3</html>")
    with transaction(engine) as s:
        exp = make_experiment(s, make_sample(s, make_project(s)))
        run = make_run(s, exp, data=data, filename="x_R1.fastq", path=f"{minio.raw_bucket}/{key}")
        make_qc(s, run, report_path=storage.put_report(run.accession, "fastqc_report.html", report))
        acc = run.accession

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        r = requests.get(f"{base}/api/v1/runs/{acc}/download", allow_redirects=False)
        assert r.status_code == 307
        location = r.headers["Location"]
        assert location.startswith(f"http://{s3.endpoint}/{minio.raw_bucket}/") and "X-Amz-Expires=86400" in location
        assert r.json()["download_url"] == location
        followed = requests.get(f"{base}/api/v1/runs/{acc}/download")
        assert followed.status_code == 200
        assert hashlib.md5(followed.content).hexdigest() == hashlib.md5(data).hexdigest()
        assert hashlib.md5(followed.content).hexdigest() == requests.get(
            f"{base}/api/v1/runs/{acc}").json()["checksum_md5"]
        qc = requests.get(f"{base}/api/v1/runs/{acc}/qc").json()
        assert qc["report_url"] == f"/qc/{acc}/fastqc_report.html"
        rep = requests.get(base + qc["report_url"], allow_redirects=False)
        assert rep.status_code == 307
        assert requests.get(base + qc["report_url"]).text == "<html>fastqc from s3</html>"
        health = requests.get(f"{base}/api/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
    finally:
        server.shutdown()
        server.server_close()


def test_health_is_503_when_storage_is_down(settings, demo):
    from s3server import dead_endpoint

    minio = MinioSettings(endpoint=dead_endpoint(), access_key="a", secret_key="b", retry_attempts=1,
                          retry_max_seconds=1.0)
    app = create_app(replace(settings, storage="minio", minio=minio))
    r = app.test_client().get("/api/v1/health")
    assert r.status_code == 503
    body = r.get_json()
    assert body["database"] == "ok" and "storage" in body["detail"]
