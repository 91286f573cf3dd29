"""--remove-source: data files go only after their sheet's commit (minio storage, moto S3)."""

from __future__ import annotations

from minio import Minio
from sqlalchemy import select

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Run
from tests.fixtures_files import write_fastq_pair
from tests.pipeline.conftest import counts, row, write_sheet

from .conftest import age, by_sheet, nightly


def test_remove_source_only_after_commit(engine, project, inbox, cli_env, s3):
    env = {**cli_env, "NFDP_STORAGE": "minio", "NFDP_MINIO_ENDPOINT": s3.endpoint,
           "NFDP_MINIO_ACCESS_KEY": s3.access_key, "NFDP_MINIO_SECRET_KEY": s3.secret_key}
    pdir = inbox / project
    good = write_fastq_pair(pdir, "RS1", reads=30, seed=61)
    bad = write_fastq_pair(pdir, "RS2", reads=30, seed=62)
    other = write_fastq_pair(pdir, "UNLISTED", reads=5, seed=63)  # named by no sheet
    g = write_sheet(pdir / "good.tsv", [row("RS1", *good)])
    b = write_sheet(pdir / "bad.tsv", [row("RS2", *bad, md5_forward="f" * 32)])
    age(g, b, *(f.path for f in (*good, *bad, *other)))

    proc, summary = nightly(inbox, "--settle", "0", "--remove-source", env=env)
    assert proc.returncode == 1, proc.stderr
    assert s3.secret_key not in proc.stdout + proc.stderr
    sheets = by_sheet(summary)
    assert sheets[f"{project}/good.tsv"]["status"] == "ingested"
    assert sorted(sheets[f"{project}/good.tsv"]["removed_source"]) == sorted(f.filename for f in good)
    assert sheets[f"{project}/bad.tsv"]["status"] == "failed"
    assert sheets[f"{project}/bad.tsv"]["removed_source"] == []
    # the committed sheet's files are gone from the inbox, and safe in storage
    assert not any(f.path.exists() for f in good)
    with db.transaction(engine) as s:
        paths = sorted(s.scalars(select(Run.file_path)))
    assert len(paths) == 2 and all(p.startswith("nfdp-raw/") for p in paths)
    client = Minio(s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False)
    sizes = sorted(client.stat_object("nfdp-raw", p.split("/", 1)[1]).size for p in paths)
    assert sizes == sorted(f.size for f in good)
    # the failed sheet's files and files no sheet names are never touched
    assert all(f.path.exists() for f in (*bad, *other))
    assert counts(engine)["run"] == 2


def test_without_remove_source_files_stay(engine, project, inbox, cli_env, s3):
    env = {**cli_env, "NFDP_STORAGE": "minio", "NFDP_MINIO_ENDPOINT": s3.endpoint,
           "NFDP_MINIO_ACCESS_KEY": s3.access_key, "NFDP_MINIO_SECRET_KEY": s3.secret_key}
    pdir = inbox / project
    files = write_fastq_pair(pdir, "KEEP", reads=10, seed=64)
    sheet = write_sheet(pdir / "k.tsv", [row("KEEP", *files)])
    age(sheet, *(f.path for f in files))
    proc, summary = nightly(inbox, "--settle", "0", env=env)
    assert proc.returncode == 0, proc.stderr
    assert summary["counts"]["ingested"] == 1
    assert all(f.path.exists() for f in files)
