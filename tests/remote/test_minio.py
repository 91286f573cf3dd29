"""MinIO mode (moto server): PUT /staging streams into the staging bucket; a submission
copies the staged objects server-side into the raw layout, tags them, releases the staging."""

from __future__ import annotations

import requests
from fixtures_files import write_bam, write_fastq, write_fastq_pair, write_vcf
from minio import Minio

from nfdp_ingest.pipeline.submit import submit_sheet
from nfdp_ingest.registry.projects import create_project

from .conftest import md5_b64
from .helpers import mixed_sheet, project_records


def client(s3) -> Minio:
    return Minio(s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False,
                 region=s3.region)


def keys(s3, bucket: str) -> list[str]:
    c = client(s3)
    if not c.bucket_exists(bucket):
        return []
    return sorted(o.object_name for o in c.list_objects(bucket, recursive=True))


def test_stage_into_bucket_wrong_md5_keeps_nothing(live_minio, tokens, tmp_path, s3, minio_settings):
    a, _ = tokens
    fwd = write_fastq(tmp_path, "m1.fastq", reads=30000, mate=None, style="plain")  # > one 5 MiB part
    data = fwd.path.read_bytes()
    assert len(data) > 5 * 1024 * 1024
    bucket = minio_settings.minio.staging_bucket
    r = live_minio.stage(a, fwd, **{"Content-MD5": md5_b64(b"other")})
    assert r.status_code == 422 and keys(s3, bucket) == []
    assert list(client(s3).list_objects(bucket, recursive=True, include_version=False)) == []

    def chunks():
        view = memoryview(data)
        for i in range(0, len(data), 256 * 1024):
            yield bytes(view[i:i + 256 * 1024])

    r = requests.put(live_minio.url(f"/staging/{fwd.filename}"), data=chunks(), timeout=120,
                     headers={"Authorization": f"Bearer {a}", "X-Checksum-MD5": fwd.md5})
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == fwd.sha256
    [key] = keys(s3, bucket)
    assert key.endswith("/" + fwd.filename)
    assert client(s3).get_object(bucket, key).read() == data


def test_submission_copies_server_side_and_equals_cli(live_minio, tokens, project, tmp_path, s3, engine,
                                                      minio_settings):
    a, _ = tokens
    folder = tmp_path / "lab"
    folder.mkdir()
    fwd, rev = write_fastq_pair(folder, "M2_L001", reads=300)
    files = {"forward": fwd, "reverse": rev, "bam": write_bam(folder, "M3.bam"),
             "vcf": write_vcf(folder, "M4.vcf.gz")}
    sheet, staged = mixed_sheet(folder, files)
    for f in staged:
        assert live_minio.stage(a, f).status_code == 201
    r = live_minio.submit(a, sheet, project)
    assert r.status_code == 202, r.text
    done = live_minio.wait(a, r.json()["accession"])
    assert done["status"] == "committed", done
    raw = minio_settings.minio.raw_bucket
    stored = keys(s3, raw)
    assert len(stored) == 4 and all(k.startswith(project + "/") for k in stored)
    for f in staged:
        [key] = [k for k in stored if k.endswith("/" + f.filename)]
        tags = client(s3).get_object_tags(raw, key)
        assert tags["md5"] == f.md5 and tags["sha256"] == f.sha256
        assert client(s3).get_object(raw, key).read() == f.path.read_bytes()
    assert keys(s3, minio_settings.minio.staging_bucket) == []  # released
    other = create_project(engine, "By the CLI")["accession"]
    submit_sheet(sheet, minio_settings, project=other, show_progress=False)
    assert project_records(engine, project) == project_records(engine, other)


def test_put_object_stream_is_not_kept_when_cut(live_minio, tokens, tmp_path, s3, minio_settings):
    """A body shorter than its Content-Length (client gone) leaves no object."""
    import socket
    from urllib.parse import urlsplit

    a, _ = tokens
    fwd = write_fastq(tmp_path, "m5.fastq", reads=30000, mate=None, style="plain")
    data = fwd.path.read_bytes()
    parts = urlsplit(live_minio.base)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.sendall((f"PUT /api/v1/staging/{fwd.filename} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                  f"Authorization: Bearer {a}\r\nContent-Length: {len(data)}\r\n\r\n").encode()
                 + data[: len(data) * 2 // 3])
    sock.shutdown(socket.SHUT_WR)
    try:
        sock.recv(65536)
    finally:
        sock.close()
    assert keys(s3, minio_settings.minio.staging_bucket) == []
    listed = requests.get(live_minio.url("/staging/"), headers={"Authorization": f"Bearer {a}"}, timeout=10)
    assert listed.json() == []
