"""The nightly summaries kept for the /nightly page: newest first, at most KEEP, bad files skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

from nfdp_ingest.nightly import history
from nfdp_ingest.nightly.summary import NightlySummary


def test_keeps_the_newest_and_reads_them_newest_first(tmp_path):
    start = datetime(2026, 11, 1, 2, 15).astimezone()
    for day in range(history.KEEP + 2):
        summary = NightlySummary(inbox="/srv/inbox", started=start + timedelta(days=day), settle_seconds=600)
        assert history.save(tmp_path, summary.to_dict()) is not None
    assert len(list(history.folder(tmp_path).glob("*.json"))) == history.KEEP
    (history.folder(tmp_path) / "zzzz-broken.json").write_text("{not json")
    recent = history.recent(tmp_path, limit=3)
    assert [r["started"][:10] for r in recent] == ["2027-01-01", "2026-12-31", "2026-12-30"]  # day 61 is the last
    assert recent[0]["verdict"] == "nothing to do" and recent[0]["exit_code"] == 0
    assert history.recent(tmp_path / "nowhere") == []


def test_an_unwritable_folder_costs_the_run_nothing(tmp_path):
    (tmp_path / "nightly").write_text("a file where the folder should be")
    summary = NightlySummary(inbox="/srv/inbox", started=datetime.now().astimezone(), settle_seconds=0)
    assert history.save(tmp_path, summary.to_dict()) is None
