"""``fetch`` against live servers (werkzeug on loopback; local and MinIO/moto mode): clean
download, a re-run that downloads nothing, a cut connection resumed, a partial .part resumed,
a corrupted object → exit 1 with nothing under its final name, an unreachable server → 3."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from nfdp_ingest.api import create_app
from nfdp_ingest.config import MinioSettings
from nfdp_ingest.fetch import fetch_scope
from tests.api.helpers import run_cli
from tests.export.nfschema import validate
from tests.export.trees import LAYOUTS, build

from .proxy import CutProxy

FETCH = dict(threads=3, attempts=4, wait_max=0.2, tty=False)


def fastq(name: str, n: int = 4000) -> bytes:
    return b"".join(f"@{name}.{i} 1:N:0:A\nACGTACGTAC\n+\nIIIIIIIIII\n".encode() for i in range(n))


def _serve(app):
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture(params=["local", "minio"])
def live(request, settings, engine, tmp_path):
    """(base URL, tree with data, corrupt(name), storage settings, app) in either mode."""
    data: dict[str, bytes] = {}
    if request.param == "local":
        raw = tmp_path / "raw"
        raw.mkdir()
        app = create_app(settings)
        proxy_to = None  # set below: the proxy sits in front of the API

        def path_of(name):
            data[name] = fastq(name)
            (raw / name).write_bytes(data[name])
            return str(raw / name)

        def corrupt(name):
            (raw / name).write_bytes(b"X" * len(data[name]))
    else:
        s3 = request.getfixturevalue("s3")
        # the proxy sits in front of the storage: presigned URLs are signed for it (public endpoint)
        proxy = CutProxy((s3.host, s3.port), marker=b"\0", after=0, cuts=0)
        proxy_to = proxy
        minio = MinioSettings(endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key,
                              public_endpoint=proxy.address,
                              raw_bucket=f"raw-{uuid.uuid4().hex[:8]}", qc_bucket=f"qc-{uuid.uuid4().hex[:8]}")
        app = create_app(replace(settings, storage="minio", minio=minio))
        storage = app.extensions["nfdp"].storage
        storage.ensure_buckets()

        def put(name, payload):
            storage.client.put_object(minio.raw_bucket, f"P/{name}", io.BytesIO(payload), len(payload))

        def path_of(name):
            data[name] = fastq(name)
            put(name, data[name])
            return f"{minio.raw_bucket}/P/{name}"

        def corrupt(name):
            put(name, b"X" * len(data[name]))
    tree = build(engine, LAYOUTS["lanes"], path_of=path_of, data=data)
    tree["data"], tree["corrupt"], tree["mode"] = data, corrupt, request.param
    srv = _serve(app)
    base = f"http://127.0.0.1:{srv.server_port}"
    if proxy_to is None:
        proxy_to = CutProxy(("127.0.0.1", srv.server_port), marker=b"\0", after=0, cuts=0)
        base = f"http://{proxy_to.address}"
    tree["proxy"] = proxy_to
    yield base, tree
    proxy_to.close()
    srv.shutdown()
    srv.server_close()


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_clean_download_then_nothing_to_do(live, tmp_path):
    base, tree = live
    out = tmp_path / "out"
    log = io.StringIO()
    report = fetch_scope(base, tree["project"], out, pipeline="rnaseq", progress_stream=log, **FETCH)
    assert report.exit_code == 0, report.summary()
    assert report.count("downloaded") == len(tree["runs"]) == 10
    files = _files(out)
    for name, payload in tree["data"].items():
        assert hashlib.md5(files[name]).hexdigest() == hashlib.md5(payload).hexdigest()
    assert not list(out.rglob("*.part"))
    sheet = (out / "samplesheet_rnaseq.csv").read_text()
    assert validate("rnaseq", sheet) == []
    for row in csv.DictReader(io.StringIO(sheet)):
        assert Path(row["fastq_1"]).read_bytes() == tree["data"][Path(row["fastq_1"]).name]
    assert "downloading" in log.getvalue() and "\x1b" not in log.getvalue()  # plain lines off a terminal
    again = fetch_scope(base, tree["project"], out, **FETCH)
    assert again.exit_code == 0 and again.count("present") == 10
    assert sum(o.bytes_read for o in again.outcomes) == 0


def test_cut_connection_and_partial_file_are_resumed(live, tmp_path):
    base, tree = live
    run, (name, _path) = next(iter(tree["runs"].items()))
    size = len(tree["data"][name])
    proxy = tree["proxy"]  # API (local mode) or storage (MinIO mode): cut this file's first GET
    proxy.marker, proxy.after, proxy.cuts = name.encode(), size // 2, 1
    out = tmp_path / "out"
    report = fetch_scope(base, run, out, **FETCH)
    assert report.exit_code == 0, [o.message for o in report.outcomes]
    (outcome,) = report.outcomes
    assert (out / run / name).read_bytes() == tree["data"][name]
    assert proxy.cut_done == 1 and outcome.message == "resumed"
    assert outcome.bytes_read == size  # the part before the cut, then the rest by Range
    # A .part left by an interrupted run: only the rest is downloaded.
    (out / run / name).unlink()
    (out / run / f"{name}.part").write_bytes(tree["data"][name][:1000])
    report = fetch_scope(base, run, out, **FETCH)
    (outcome,) = report.outcomes
    assert outcome.status == "downloaded" and outcome.message == "resumed"
    assert outcome.bytes_read == size - 1000
    assert (out / run / name).read_bytes() == tree["data"][name]


def test_corrupted_object_exits_1_and_never_lands(live, tmp_path):
    base, tree = live
    run, (name, _path) = next(iter(tree["runs"].items()))
    tree["corrupt"](name)
    out = tmp_path / "out"
    report = fetch_scope(base, tree["project"], out, pipeline="generic", **FETCH)
    assert report.exit_code == 1
    bad = [o for o in report.outcomes if o.status == "mismatch"]
    assert [o.job.run for o in bad] == [run] and "checksum mismatch" in bad[0].message
    assert not (out / run / name).exists() and not (out / run / f"{name}.part").exists()
    assert report.count("downloaded") == 9
    assert not (out / "samplesheet_generic.csv").exists()  # no sheet pointing at a missing file


def test_cli_exit_codes(live, tmp_path, cli_env):
    base, tree = live
    out = tmp_path / "cli"
    done = run_cli(["fetch", tree["samples"][0], "--server", base, "-o", str(out), "--threads", "2",
                    "--pipeline", "sarek"], cli_env)
    assert done.returncode == 0, done.stderr
    assert "6 downloaded" in done.stderr and validate("sarek", (out / "samplesheet_sarek.csv").read_text()) == []
    from tests.s3server import dead_endpoint

    done = run_cli(["fetch", tree["project"], "--server", f"http://{dead_endpoint()}", "-o", str(out)], cli_env)
    assert done.returncode == 3 and "cannot reach" in done.stderr and "Traceback" not in done.stderr
    done = run_cli(["fetch", "NFDP-PRJ-999999", "--server", base, "-o", str(out)], cli_env)
    assert done.returncode == 1 and "NFDP-PRJ-999999" in done.stderr
