"""MinIO mode: presigned multipart uploads into the staging bucket, resumed after a client
crash, verified by the server once complete; owners kept apart."""

from __future__ import annotations

import hashlib
import json

import requests
from fixtures_files import write_fastq

from .test_minio import keys

MiB = 1024 * 1024


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def put_part(url: str, data: bytes) -> None:
    r = requests.put(url, data=data, timeout=60)
    assert r.status_code == 200, r.text


def test_multipart_upload_resumed_after_client_crash(live_minio, tokens, tmp_path, s3, minio_settings):
    a, b = tokens
    f = write_fastq(tmp_path, "big.fastq", reads=50000, mate=None, style="plain")
    data = f.path.read_bytes()
    assert len(data) > 10 * MiB  # three 5 MiB parts
    r = requests.post(live_minio.url("/staging/uploads"), headers=auth(a), timeout=30,
                      json={"name": f.filename, "size": len(data), "md5": f.md5})
    assert r.status_code == 201, r.text
    up = r.json()
    size = up["part_size"]
    assert len(up["parts"]) == -(-len(data) // size) >= 3 and all(p["url"] for p in up["parts"])
    put_part(up["parts"][0]["url"], data[:size])
    # the client crashes here; later it asks what is there
    assert requests.get(live_minio.url(f"/staging/uploads/{up['upload_id']}"), headers=auth(b),
                        timeout=30).status_code == 404  # not b's upload
    again = requests.get(live_minio.url(f"/staging/uploads/{up['upload_id']}"), headers=auth(a), timeout=30)
    assert again.status_code == 200
    parts = again.json()["parts"]
    assert parts[0]["url"] is None and parts[0]["size"] == size
    assert requests.post(live_minio.url(f"/staging/uploads/{up['upload_id']}/complete"), headers=auth(a),
                         timeout=30).status_code == 409  # parts missing
    for p in parts[1:]:
        n = p["part_number"]
        put_part(p["url"], data[(n - 1) * size:n * size])
    done = requests.post(live_minio.url(f"/staging/uploads/{up['upload_id']}/complete"), headers=auth(a),
                         timeout=120)
    assert done.status_code == 201, done.text
    assert done.json()["md5"] == f.md5 and done.json()["sha256"] == f.sha256
    assert done.json()["file_type"] == "FASTQ" and done.json()["state"] == "staged"
    listed = requests.get(live_minio.url("/staging/"), headers=auth(a), timeout=10).json()
    assert [x["name"] for x in listed] == [f.filename]


def test_completed_upload_with_another_md5_is_removed(live_minio, tokens, tmp_path, s3, minio_settings):
    a, _ = tokens
    f = write_fastq(tmp_path, "wrong.fastq", reads=2000, mate=None, style="plain")
    data = f.path.read_bytes()
    r = requests.post(live_minio.url("/staging/uploads"), headers=auth(a), timeout=30,
                      json={"name": f.filename, "size": len(data), "md5": hashlib.md5(b"x").hexdigest()})
    assert r.status_code == 201
    up = r.json()
    [part] = up["parts"]
    put_part(part["url"], data)
    done = requests.post(live_minio.url(f"/staging/uploads/{up['upload_id']}/complete"), headers=auth(a),
                         timeout=60)
    assert done.status_code == 422 and "MD5 mismatch" in done.json()["detail"]
    assert keys(s3, minio_settings.minio.staging_bucket) == []
    assert requests.get(live_minio.url("/staging/"), headers=auth(a), timeout=10).json() == []


def test_uploads_refuse_odd_names_and_local_mode(live_minio, live, tokens):
    a, _ = tokens
    for name in ("../x.fastq", "a/b.fastq", "\x01.fastq"):
        r = requests.post(live_minio.url("/staging/uploads"), headers=auth(a), timeout=10,
                          json={"name": name, "size": 10, "md5": "0" * 32})
        assert r.status_code == 400, (name, r.text)
    r = requests.post(live.url("/staging/uploads"), headers=auth(a), timeout=10,
                      json={"name": "x.fastq", "size": 10, "md5": "0" * 32})
    assert r.status_code == 409 and "MinIO mode" in r.json()["detail"]


def test_remote_submit_resumes_a_crashed_multipart_upload(live_minio, tokens, project, tmp_path, cli_env):
    from tests.pipeline.conftest import row, write_sheet

    from .test_remote_cli import remote

    a, _ = tokens
    f = write_fastq(tmp_path, "resume.fastq", reads=50000, mate=None, style="plain")
    data = f.path.read_bytes()
    sheet = write_sheet(tmp_path / "s.tsv", [row("r1", f)])
    # an earlier run started the upload and sent its first part, then crashed
    up = requests.post(live_minio.url("/staging/uploads"), headers=auth(a), timeout=30,
                       json={"name": f.filename, "size": len(data), "md5": f.md5}).json()
    put_part(up["parts"][0]["url"], data[:up["part_size"]])
    out = remote("submit", sheet, "--server", live_minio.base, "--project", project, "--multipart-mib", "5",
                 "--format", "json", token=a, env=cli_env)
    assert out.returncode == 0, out.stderr
    total = len(up["parts"])
    assert f"resuming an upload, 1 of {total} parts already there" in out.stderr
    body = json.loads(out.stdout)
    assert body["status"] == "committed" and body["uploaded"] == [f.filename]
    [run] = body["report"]["runs"]
    assert run["checksum_md5"] == f.md5 and run["file_size"] == len(data)


def test_staging_clean_aborts_an_abandoned_upload(live_minio, tokens, tmp_path, engine, minio_settings, s3):
    from datetime import timedelta

    import pytest
    from minio.error import S3Error
    from sqlalchemy import select, update

    from nfdp_ingest.registry import db
    from nfdp_ingest.registry.models import StagedFile, utcnow
    from nfdp_ingest.staging.area import open_area
    from nfdp_ingest.staging.service import clean

    from .test_minio import client

    a, _ = tokens
    f = write_fastq(tmp_path, "gone.fastq", reads=2000, mate=None, style="plain")
    data = f.path.read_bytes()
    up = requests.post(live_minio.url("/staging/uploads"), headers=auth(a), timeout=30,
                       json={"name": f.filename, "size": len(data), "md5": f.md5}).json()
    put_part(up["parts"][0]["url"], data)
    with db.transaction(engine) as s:
        upload_id = s.scalar(select(StagedFile.upload_id))
        s.execute(update(StagedFile).values(last_used_at=utcnow() - timedelta(days=40)))
    removed = clean(engine, open_area(minio_settings), 30)
    assert [r["name"] for r in removed] == [f.filename]
    assert requests.get(live_minio.url(f"/staging/uploads/{up['upload_id']}"), headers=auth(a),
                        timeout=10).status_code == 404
    key = next(iter(client(s3).list_objects(minio_settings.minio.staging_bucket, recursive=True)), None)
    assert key is None
    with pytest.raises(S3Error) as exc:  # the upload and its parts are gone
        client(s3)._list_parts(minio_settings.minio.staging_bucket, _key_of(engine, minio_settings), upload_id)
    assert exc.value.code == "NoSuchUpload"


def _key_of(engine, settings) -> str:
    from sqlalchemy import select

    from nfdp_ingest.registry import db
    from nfdp_ingest.registry.models import ApiToken

    with db.transaction(engine) as s:
        owner = s.scalar(select(ApiToken.id).where(ApiToken.name == "lab-a"))
    return f"{owner}/gone.fastq"
