"""The last nightly summaries, kept for the /nightly page: one JSON file per run under
``<data dir>/nightly/`` (the summary's ``to_dict``), the newest KEEP kept.

A file, not a table: the summary is the run's report (already plain JSON), nothing
queries into it, and the page needs only the last few. A run whose summary cannot be
written still counts: the write is logged and skipped.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger("nfdp_ingest.nightly")
KEEP = 60


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / "nightly"


def save(data_dir: Path, summary: dict) -> Path | None:
    """Write one run's summary (atomically: temp file + rename), then drop the oldest past KEEP."""
    where = folder(data_dir)
    try:
        where.mkdir(parents=True, exist_ok=True)
        stamp = summary["started"].replace(":", "").replace("+", "p")
        path = where / f"{stamp}-{os.getpid()}.json"
        temp = path.with_suffix(".part")
        temp.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
        temp.replace(path)
        for old in sorted(where.glob("*.json"))[:-KEEP]:
            old.unlink(missing_ok=True)
        return path
    except OSError as exc:
        log.warning("could not keep the nightly summary under %s: %s", where, exc)
        return None


def recent(data_dir: Path, limit: int = 10) -> list[dict]:
    """The newest ``limit`` summaries, newest first (unreadable files are skipped)."""
    out = []
    for path in sorted(folder(data_dir).glob("*.json"), reverse=True):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "started" in data:
            out.append(data)
        if len(out) >= limit:
            break
    return sorted(out, key=lambda s: s["started"], reverse=True)
