"""Fixtures for submission tests: a project in the test database, sheets on disk."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nfdp_ingest.registry import db
from nfdp_ingest.registry.models import Experiment, Run, Sample, Submission
from nfdp_ingest.registry.projects import create_project

# collection date and country: mandatory in every ENA checklist since 2023, ERC000011 (the default) included
COLUMNS = ["sample_alias", "organism", "tax_id", "collection_date", "geographic_location", "platform", "instrument_model", "library_strategy",
           "library_source", "library_selection", "library_layout", "filename_forward", "filename_reverse",
           "md5_forward", "md5_reverse"]

BASE_ROW = {"organism": "Camelus dromedarius", "tax_id": "9838", "collection_date": "2023-09-01",
            "geographic_location": "Saudi Arabia:Riyadh", "platform": "ILLUMINA",
            "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS", "library_source": "GENOMIC",
            "library_selection": "RANDOM", "library_layout": "PAIRED"}


def row(alias: str, forward, reverse=None, *, md5: bool = True, **overrides) -> dict:
    """A sheet row for fixture files (FixtureFile or plain filenames)."""
    r = {**BASE_ROW, "sample_alias": alias}
    r["filename_forward"] = getattr(forward, "filename", forward)
    r["md5_forward"] = getattr(forward, "md5", "") if md5 else ""
    if reverse is None:
        r["library_layout"] = "SINGLE"
        r["filename_reverse"] = r["md5_reverse"] = ""
    else:
        r["filename_reverse"] = getattr(reverse, "filename", reverse)
        r["md5_reverse"] = getattr(reverse, "md5", "") if md5 else ""
    r.update(overrides)
    return r


def write_sheet(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    columns = columns or list(dict.fromkeys(COLUMNS + [k for r in rows for k in r]))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\t".join(columns) + "\n")
        for r in rows:
            fh.write("\t".join(str(r.get(c, "")) for c in columns) + "\n")
    return path


def counts(engine) -> dict[str, int]:
    with db.transaction(engine) as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Sample, Experiment, Run, Submission)}


def accessions(engine) -> dict[str, list[str]]:
    with db.transaction(engine) as s:
        return {m.__tablename__: sorted(s.scalars(select(m.accession))) for m in (Sample, Experiment, Run)}


@pytest.fixture
def project(engine) -> str:
    return create_project(engine, "Test project")["accession"]


def run_cli(*args, env: dict, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nfdp_ingest", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, **kw)


def popen_cli(*args, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nfdp_ingest", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def wait_for(predicate, timeout: float = 120, what: str = "condition", proc=None) -> None:
    """Poll until ``predicate()``; fail early (with its output) if ``proc`` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended ({proc.returncode}) before {what}: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
