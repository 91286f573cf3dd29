"""What a person sees: the --summary page and a sheet's report page, in headless Chromium."""

from __future__ import annotations

from tests.fixtures_files import write_fastq_pair
from tests.pipeline.conftest import row, write_sheet

from .conftest import age, by_sheet, dump_dom, element_text, nightly, visible_text


def test_summary_and_report_pages_in_chromium(engine, project, inbox, tmp_path, cli_env):
    pdir = inbox / project
    ok = write_fastq_pair(pdir, "H1", reads=20, seed=71)
    bad = write_fastq_pair(pdir, "H2", reads=20, seed=72)
    good_sheet = write_sheet(pdir / "lab_batch_<7>.tsv", [row("H1", *ok)])
    bad_sheet = write_sheet(pdir / "broken.tsv", [row("H2", *bad, instrument_model="Illumina HyperSeq 9")])
    waiting = write_sheet(pdir / "later.tsv", [row("H3", "H3_R1.fastq.gz", "H3_R2.fastq.gz", md5=False)])
    age(good_sheet, bad_sheet, *(f.path for f in (*ok, *bad)))
    summary_file = tmp_path / "out" / "nightly.html"

    proc, summary = nightly(inbox, "--settle", "10m", "--summary", summary_file, env=cli_env)
    assert proc.returncode == 1, proc.stderr
    assert waiting.exists()
    sheets = by_sheet(summary)
    first_error = sheets[f"{project}/broken.tsv"]["reason"]
    assert "HyperSeq" in first_error

    dom = dump_dom(summary_file, tmp_path / "profile1")
    words = visible_text(dom)
    assert element_text(dom, "n-found") == "3"
    assert element_text(dom, "n-ingested") == "1"
    assert element_text(dom, "n-failed") == "1"
    assert element_text(dom, "n-waiting") == "1"
    assert element_text(dom, "n-duplicate") == "0"
    assert element_text(dom, "n-samples") == "1" and element_text(dom, "n-runs") == "2"
    assert "exit 1: at least one sheet failed" in element_text(dom, "verdict")
    assert f"{project}/lab_batch_<7>.tsv" in words  # escaped, shown as written
    assert f"{project}/later.tsv" in words and f"{project}/broken.tsv" in words
    failed = element_text(dom, "failed")
    assert f"{project}/broken.tsv" in failed and " ".join(first_error.split()) in failed
    assert sheets[f"{project}/lab_batch_<7>.tsv"]["submission"] in words
    assert "KiB" in element_text(dom, "bytes")

    # the failed sheet's own report page names the problem where a person looks
    report = dump_dom(inbox / sheets[f"{project}/broken.tsv"]["report_html"], tmp_path / "profile2")
    rwords = visible_text(report)
    assert element_text(report, "status") == "invalid"  # refused at validation
    assert "HyperSeq" in element_text(report, "errors") and "instrument_model" in element_text(report, "errors")
    assert "Nightly run: failed" in element_text(report, "nightly-note")
    assert "nothing of this sheet was committed" in rwords

    # and the ingested one lists what was created
    good = sheets[f"{project}/lab_batch_<7>.tsv"]
    page = dump_dom(inbox / good["report_html"], tmp_path / "profile3")
    created = element_text(page, "created")
    assert ok[0].filename in created and ok[1].filename in created and "H1" in created
    assert element_text(page, "submission") == good["submission"]
    assert "Nightly run: ingested" in element_text(page, "nightly-note")


def test_nothing_to_do_page(inbox, tmp_path, cli_env, database_url):
    summary_file = tmp_path / "empty.html"
    proc, _ = nightly(inbox, "--settle", "0", "--summary", summary_file, env=cli_env)
    assert proc.returncode == 0, proc.stderr
    dom = dump_dom(summary_file, tmp_path / "profile")
    assert element_text(dom, "n-found") == "0"
    assert "No sheets in the inbox" in element_text(dom, "nothing")
    assert "exit 0: nothing to do" in element_text(dom, "verdict")
