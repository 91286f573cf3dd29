"""Staging over a real server: streamed PUT (checked MD5, chunked bodies, a cut body),
names, ownership, list/delete, and `staging clean`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from fixtures_files import md5_of, write_fastq_pair
from sqlalchemy import select, update

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import StagedFile, utcnow

from .conftest import md5_b64


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def staged_rows(engine) -> list[tuple[int, str]]:
    with db.transaction(engine) as s:
        return sorted((r.owner_id, r.name) for r in s.scalars(select(StagedFile)))


def staging_files(settings) -> list[str]:
    root = settings.staging_path
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_put_streams_hashes_and_lists(live, tokens, tmp_path, engine, settings):
    a, _ = tokens
    fwd, _rev = write_fastq_pair(tmp_path, "s1")
    r = live.stage(a, fwd)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == fwd.filename and body["size"] == os.path.getsize(fwd)
    assert body["md5"] == fwd.md5 and body["sha256"] == fwd.sha256 and body["file_type"] == "FASTQ"
    assert r.headers["Location"].endswith(f"/api/v1/staging/{fwd.filename}")
    listed = requests.get(live.url("/staging/"), headers=auth(a), timeout=10)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    assert [f["name"] for f in listed.json()] == [fwd.filename]
    assert Path(settings.staging_path, staging_files(settings)[0]).read_bytes() == Path(fwd).read_bytes()


def test_chunked_body_and_hex_checksum(live, tokens, tmp_path):
    a, _ = tokens
    fwd, _ = write_fastq_pair(tmp_path, "s2")
    data = Path(fwd).read_bytes()

    def chunks():
        for i in range(0, len(data), 1000):
            yield data[i:i + 1000]

    r = requests.put(live.url(f"/staging/{fwd.filename}"), data=chunks(), timeout=30,
                     headers={**auth(a), "X-Checksum-MD5": fwd.md5})
    assert r.status_code == 201, r.text
    assert r.json()["md5"] == fwd.md5 and r.json()["size"] == len(data)


def test_wrong_md5_is_422_and_keeps_nothing(live, tokens, tmp_path, engine, settings):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "s3")
    r = live.stage(a, fwd, **{"Content-MD5": md5_b64(b"something else")})
    assert r.status_code == 422 and "MD5 mismatch" in r.json()["detail"]
    assert staged_rows(engine) == [] and staging_files(settings) == []
    r = live.stage(a, fwd, **{"Content-MD5": "not base64!"})
    assert r.status_code == 400
    # a wrong file replacing a good one keeps the good one
    assert live.stage(a, fwd).status_code == 201
    r = live.stage(a, rev, name=fwd.filename, **{"Content-MD5": md5_b64(Path(fwd).read_bytes())})
    assert r.status_code == 422
    assert md5_of(Path(settings.staging_path, staging_files(settings)[0])) == fwd.md5


def test_cut_mid_body_stages_nothing(live, tokens, tmp_path, engine, settings):
    a, _ = tokens
    fwd, _ = write_fastq_pair(tmp_path, "s4", reads=2000)
    data = Path(fwd).read_bytes()
    parts = urlsplit(live.base)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = (f"PUT /api/v1/staging/{fwd.filename} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {a}\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    sock.sendall(head + data[: len(data) // 2])
    sock.shutdown(socket.SHUT_WR)  # the client goes away mid-body
    try:
        sock.recv(65536)
    finally:
        sock.close()
    listed = requests.get(live.url("/staging/"), headers=auth(a), timeout=10)
    assert listed.json() == []
    assert staged_rows(engine) == [] and staging_files(settings) == []


@pytest.mark.parametrize("name, status", [
    ("..", 400), ("%2e%2e", 400), ("a%2Fb.fastq.gz", 400), ("..%2Fescape.fastq.gz", 400),
    ("x%01y.fastq.gz", 400), (".hidden.fastq.gz", 400), ("a%5Cb.fastq.gz", 400), ("notes.txt", 422),
])
def test_odd_names_are_refused(live, tokens, name, status, engine, settings):
    a, _ = tokens
    r = requests.put(f"{live.base}/api/v1/staging/{name}", data=b"@r\nACGT\n+\nIIII\n",
                     headers=auth(a), timeout=10)
    assert r.status_code in (status, 404), r.text  # 404: a client or router refused the path itself
    assert r.status_code != 201 and "detail" in r.json()
    assert staged_rows(engine) == [] and staging_files(settings) == []


def test_no_or_bad_token_is_401(live, tmp_path):
    fwd, _ = write_fastq_pair(tmp_path, "s5")
    assert requests.put(live.url(f"/staging/{fwd.filename}"), data=b"x", timeout=10).status_code == 401
    assert requests.get(live.url("/staging/"), headers=auth("nfdp_wrong"), timeout=10).status_code == 401
    assert requests.delete(live.url("/staging/x.fastq"), timeout=10).status_code == 401


def test_one_owner_cannot_list_or_delete_anothers_files(live, tokens, tmp_path, engine):
    a, b = tokens
    fwd, _ = write_fastq_pair(tmp_path, "s6")
    assert live.stage(a, fwd).status_code == 201
    assert requests.get(live.url("/staging/"), headers=auth(b), timeout=10).json() == []
    r = requests.delete(live.url(f"/staging/{fwd.filename}"), headers=auth(b), timeout=10)
    assert r.status_code == 404
    # b staging the same name makes b's own file; a's is untouched
    assert live.stage(b, fwd).status_code == 201
    assert len(staged_rows(engine)) == 2
    assert requests.delete(live.url(f"/staging/{fwd.filename}"), headers=auth(b), timeout=10).status_code == 204
    assert [f["name"] for f in requests.get(live.url("/staging/"), headers=auth(a), timeout=10).json()] \
        == [fwd.filename]
    assert requests.delete(live.url(f"/staging/{fwd.filename}"), headers=auth(a), timeout=10).status_code == 204
    assert staged_rows(engine) == []


def test_staging_clean_removes_only_old_unclaimed_files(live, tokens, tmp_path, engine, settings, cli_env):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "s7")
    assert live.stage(a, fwd).status_code == 201 and live.stage(a, rev).status_code == 201
    with db.transaction(engine) as s:
        s.execute(update(StagedFile).where(StagedFile.name == fwd.filename)
                  .values(last_used_at=utcnow() - timedelta(days=31)))
    out = subprocess.run([sys.executable, "-m", "nfdp_ingest", "staging", "clean", "--format", "json"],
                         env=cli_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert '"name":' in out.stdout and fwd.filename in out.stdout and rev.filename not in out.stdout
    assert [n for _, n in staged_rows(engine)] == [rev.filename]
    assert [Path(p).name for p in staging_files(settings)] == [rev.filename]
