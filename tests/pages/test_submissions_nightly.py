"""The /submissions/<acc> page (remote submissions, shown to tokens that may submit to the
project) and /nightly (the last nightly summaries, without what the embargo hides)."""

from __future__ import annotations

from datetime import datetime

from factories import make_token

from nfdp_ingest.nightly import history, run_nightly
from nfdp_ingest.nightly.summary import FAILED, INGESTED, NightlySummary, SheetOutcome

from .conftest import keep_token, make_submission


def test_a_running_submission_shows_progress_and_refreshes_itself(client, engine, demo):
    acc = make_submission(engine, demo.projects[0], status="reserved",
                      progress={"files_done": 3, "files_total": 8, "bytes_done": 3 * 2**20, "bytes_total": 8 * 2**20})
    assert client.get(f"/submissions/{acc}").status_code == 401  # anonymous
    other = make_token(engine, "elsewhere", role="submitter", projects=(demo.projects[1],))
    keep_token(client, other)
    r = client.get(f"/submissions/{acc}")
    assert r.status_code == 403 and "may not submit in project" in r.get_data(as_text=True)
    keep_token(client, make_token(engine, "lab", role="submitter", projects=(demo.projects[0],)))
    r = client.get(f"/submissions/{acc}")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in text
    assert 'status-running">running<' in text and "batch&lt;1&gt;.tsv" in text
    assert '<progress id="files-progress" max="8" value="3">' in text and "3.0 MiB of 8.0 MiB" in text
    assert client.get("/submissions/NFDP-SUB-999999").status_code == 404


def test_a_failed_submission_shows_its_validation_report(client, engine, demo):
    errors = [{"row": 4, "column": "md5_forward", "value": "abc", "message": "not an MD5 <checksum>"}]
    acc = make_submission(engine, demo.projects[0], status="failed", error="the sheet is invalid",
                      outcome={"errors": errors, "exit_code": 1}, finished_at=datetime(2026, 1, 2, 3, 4, 5))
    keep_token(client, make_token(engine, "lab", role="submitter", projects=(demo.projects[0],)))
    text = client.get(f"/submissions/{acc}").get_data(as_text=True)
    assert "refresh" not in text and 'status-failed">failed<' in text
    assert "Validation report: 1 problem" in text and "md5_forward" in text
    assert "not an MD5 &lt;checksum&gt;" in text and "2026-01-02T03:04:05" in text


def test_a_committed_submission_counts_what_it_registered(client, engine, demo):
    acc = make_submission(engine, demo.projects[0], status="committed",
                      outcome={"samples": demo.samples[:2], "experiments": demo.experiments[:2], "runs": demo.runs[:4]})
    keep_token(client, make_token(engine, "admin"))
    text = client.get(f"/submissions/{acc}").get_data(as_text=True)
    assert "<dt>Runs created</dt><dd>4</dd>" in text and "<dt>Samples created</dt><dd>2</dd>" in text


def test_nightly_shows_the_last_summaries_without_embargoed_sheets(client, settings, embargo, hidden_token, tmp_path):
    assert "No nightly run has been recorded yet" in client.get("/nightly").get_data(as_text=True)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    run_nightly(settings, inbox, settle_seconds=0)  # a real run: nothing to do, kept for the page
    made = NightlySummary(inbox=str(inbox), started=datetime(2026, 12, 1, 2, 15).astimezone(), settle_seconds=600)
    made.sheets = [
        SheetOutcome("NFDP-PRJ-000001/batch7.tsv", embargo.demo.projects[0], INGESTED, submission="NFDP-SUB-000009",
                     created={"samples": 2, "experiments": 2, "runs": 4}, bytes=5 * 2**30),
        SheetOutcome(f"{embargo.hidden.project}/secret.tsv", embargo.hidden.project, FAILED, reason="bad md5"),
    ]
    history.save(settings.data_dir, made.to_dict())
    text = client.get("/nightly").get_data(as_text=True)
    assert text.index("nothing to do") < text.index("2026-12-01T02:15")  # newest first
    assert "batch7.tsv" in text and "NFDP-SUB-000009" in text and "5.0 GiB" in text
    assert "secret.tsv" not in text and embargo.hidden.project not in text
    assert "1 sheet of projects under embargo not shown" in text
    keep_token(client, hidden_token)
    text = client.get("/nightly").get_data(as_text=True)
    assert "secret.tsv" in text and "bad md5" in text
