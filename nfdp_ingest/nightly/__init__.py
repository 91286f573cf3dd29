"""The nightly job: ingest every settled sheet of an inbox, unattended.

Inbox layout::

    INBOX/<PROJECT_ACCESSION>/<sheet>.tsv|csv|xlsx   project from the folder name
    INBOX/<sheet>.tsv|csv|xlsx                        project from the project_accession column
    INBOX/done/<YYYY-MM-DD>/[<PROJECT>/]<sheet>.*     ingested or duplicate, with its reports
    INBOX/failed/<YYYY-MM-DD>/[<PROJECT>/]<sheet>.*   refused, with its reports

A sheet goes through the same ``submit_sheet`` path as ``nfdp-ingest submit``
(all or nothing, resumable). Then its two reports are written beside the
destination, and only then is the sheet itself moved there with one
``os.replace`` (atomic on one filesystem). A crash at any point therefore
leaves the sheet either where it was — the next run picks it up, and the
submission journal makes the resumed submit reuse the reserved accessions, or
finds the commit and files it as a duplicate — or in done/failed. Never lost.

An infrastructure failure (exit code 3: database or storage down) is nobody's
sheet's fault: that sheet stays in the inbox, the run stops there, and the
whole run exits 3 so cron (or systemd) can alert.
"""

from .locks import nightly_lock
from .run import run_nightly
from .summary import NightlySummary, SheetOutcome, render_summary_html

__all__ = ["NightlySummary", "SheetOutcome", "nightly_lock", "render_summary_html", "run_nightly"]
