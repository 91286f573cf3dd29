"""Fixtures for the page tests: the API tests' demo data, app and client, plus a sample
whose attribute holds markup, and tokens for the embargoed project."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from factories import make_experiment, make_project, make_run, make_sample, make_token  # noqa: E402

from nfdp_ingest.registry.db import transaction  # noqa: E402
from tests.api.conftest import app, client, demo, embargo, live  # noqa: E402, F401 - fixtures

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def hostile(engine, demo):  # noqa: F811 - the demo fixture above
    """A project whose title, sample attribute and file name hold markup → (project, sample, run)."""
    with transaction(engine) as s:
        project = make_project(s, title=f"Goats {SCRIPT}", description=f"<b>bold</b> {SCRIPT}")
        sample = make_sample(s, project, alias="GOAT_1", breed="Galla",
                             attributes={"note": SCRIPT, "herd <i>": "Marsabit & Isiolo"})
        exp = make_experiment(s, sample)
        run = make_run(s, exp, filename="goat<img src=x>.fastq.gz")
        return project.accession, sample.accession, run.accession


@pytest.fixture
def hidden_token(engine, embargo):  # noqa: F811
    """A curator token of the embargoed project."""
    return make_token(engine, "goat lab", role="curator", projects=(embargo.hidden.project,))


def keep_token(client, secret: str, base: str = "http://localhost"):  # noqa: F811
    """Enter the token in the page form, as a browser on this site sends it."""
    return client.post("/session", data={"token": secret, "next": "/"}, headers={"Origin": base})


@pytest.fixture
def large(engine, demo):  # noqa: F811
    """A generated project of 3,000 runs (750 samples, paired runs), inserted in bulk → its accession."""
    return make_large_project(engine, samples=750, runs_per_sample=4)


def make_large_project(engine, *, samples: int, runs_per_sample: int, title: str = "Large goat herd") -> str:
    """Bulk rows (Core inserts, accessions reserved as a submission would) under a new project."""
    import hashlib
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from nfdp_ingest.registry.accessions import reserve
    from nfdp_ingest.registry.models import Experiment, Run, Sample

    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(engine) as s:
        project = make_project(s, title=title, description="Generated: many samples and runs")
        sample_accs = reserve(s, "SAM", samples)
        s.execute(insert(Sample), [{"accession": a, "project_id": project.id, "alias": f"GOAT_{i:05d}",
                                    "organism": "Capra hircus", "tax_id": 9925, "breed": "Galla" if i % 2 else "Somali",
                                    "attributes": {"herd": f"H{i % 7}"}, "created_at": now}
                                   for i, a in enumerate(sample_accs)])
        sample_ids = dict(s.execute(select(Sample.accession, Sample.id).where(Sample.project_id == project.id)).all())
        exp_accs = reserve(s, "EXP", samples)
        s.execute(insert(Experiment), [{"accession": e, "sample_id": sample_ids[a], "platform": "ILLUMINA",
                                        "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
                                        "library_source": "GENOMIC", "library_layout": "PAIRED", "created_at": now}
                                       for a, e in zip(sample_accs, exp_accs)])
        exp_ids = dict(s.execute(select(Experiment.accession, Experiment.id)
                                 .where(Experiment.accession.in_(exp_accs))).all())
        run_accs = reserve(s, "RUN", samples * runs_per_sample)
        rows = []
        for n, acc in enumerate(run_accs):
            exp = exp_accs[n // runs_per_sample]
            md5 = hashlib.md5(acc.encode()).hexdigest()
            name = f"GOAT_{n // runs_per_sample:05d}_L{n % runs_per_sample // 2 + 1}_R{n % 2 + 1}.fastq.gz"
            rows.append({"accession": acc, "experiment_id": exp_ids[exp], "filename": name, "file_type": "FASTQ",
                         "file_size": 2_000_000_000 + n, "checksum_md5": md5, "checksum_sha256": md5 * 2,
                         "read_direction": "forward" if n % 2 == 0 else "reverse", "file_path": f"/data/{name}",
                         "created_at": now})
        for start in range(0, len(rows), 500):
            s.execute(insert(Run), rows[start:start + 500])
        return project.accession


def make_submission(engine, project: str, **values) -> str:
    """A remote submission row of ``project`` (status, progress, outcome as given) → its accession."""
    from sqlalchemy import select

    from nfdp_ingest.registry.accessions import reserve
    from nfdp_ingest.registry.models import Project, Submission

    with transaction(engine) as s:
        (acc,) = reserve(s, "SUB")
        project_id = s.scalar(select(Project.id).where(Project.accession == project))
        s.add(Submission(accession=acc, project_id=project_id, sheet_name="batch<1>.tsv", sheet_sha256="0" * 64,
                         checklist_id="ERC000055", storage="local", token_id=1, **values))
    return acc
