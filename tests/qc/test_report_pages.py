"""What a person sees: the stored FastQC report in headless Chromium, and the API serving it."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest

from nfdp_ingest.qc import run_fastqc

from .helpers import add_project, add_run, write_gc_fastq

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# FastQC is part of the test environment (.ci/run installs it): a missing one fails, never skips.
pytestmark = pytest.mark.slow


@pytest.fixture
def checked_run(settings, database_url, tmp_path):
    fq = write_gc_fastq(tmp_path, "P7_R1.fastq.gz", reads=2000, gc=0.45, seed=11)
    project = add_project(database_url)
    acc = add_run(database_url, project, alias="P7", filename="P7_R1.fastq.gz", file_path=fq.path)
    [result] = run_fastqc(settings)
    assert result.stored, result.error
    return acc, result


def _dump_dom(url: str, profile) -> str:
    assert CHROMIUM, "chromium is not installed (.ci/run installs it)"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", url],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_stored_fastqc_report_renders_in_chromium(checked_run, tmp_path):
    _, result = checked_run
    dom = _dump_dom(f"file://{result.report_path}", tmp_path / "profile")
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    words = " ".join(text.split())
    assert "P7_R1.fastq.gz FastQC Report" in words  # the title line a person reads first
    assert "Total Sequences 2000" in words
    assert "%GC 45" in words
    assert "Sequence length 100" in words
    for module in ("Basic Statistics", "Per base sequence quality", "Adapter Content"):
        assert module in words
    # the charts are inline images, so the report stands alone when served or downloaded
    assert re.search(r'<img[^>]+src="data:image/(png|svg)', dom)


def test_api_answers_the_seed_qc_shape_and_serves_the_report(settings, checked_run):
    from nfdp_ingest.api import create_app

    acc, _ = checked_run
    client = create_app(settings).test_client()
    resp = client.get(f"/api/v1/runs/{acc}/qc")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    doc = resp.get_json()
    assert doc["status"] == "passed" and doc["tool"] == "FastQC"
    assert doc["summary"]["total_sequences"] == 2000 and doc["summary"]["gc_content"] == 45.0
    assert doc["report_url"] == f"/qc/{acc}/fastqc_report.html"
    assert [r["tool"] for r in doc["reports"]] == ["FastQC"]
    page = client.get(doc["report_url"])
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"P7_R1.fastq.gz" in page.data and b"Basic Statistics" in page.data
