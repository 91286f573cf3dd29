"""The inbox: which sheets are there, which have settled, and filing one away.

Filing is crash-safe: the two reports are written (atomically) beside the
destination first, and only then is the sheet moved there with one
``os.replace``, so a sheet is always either in the inbox or filed, never lost.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..pipeline.report import render_submission_html
from .summary import DUPLICATE, FAILED, INGESTED, SheetOutcome

SHEET_EXTS = (".tsv", ".csv", ".xlsx")
PARTIAL_SUFFIXES = (".part", ".tmp")
RESERVED_DIRS = ("done", "failed")
PROJECT_FOLDER = re.compile(r"^NFDP-PRJ-\d{6,}$")


# --------------------------------------------------------------------------- discovery

@dataclass
class Found:
    path: Path
    project: str | None  # from the folder; None: from the sheet's column
    partial: bool = False  # a .part / .tmp sheet still being copied


def _is_sheet_name(name: str) -> bool:
    return (not name.startswith((".", "~$")) and name.lower().endswith(SHEET_EXTS)
            and not name.lower().endswith((".report.json", ".report.html")))


def _partial_sheet_name(name: str) -> bool:
    low = name.lower()
    for suffix in PARTIAL_SUFFIXES:
        if low.endswith(suffix) and _is_sheet_name(name[: -len(suffix)]):
            return True
    return False


def discover(inbox: Path) -> tuple[list[Found], list[str]]:
    """Sheets of the inbox (sorted), and the entries ignored (with why)."""
    found: list[Found] = []
    ignored: list[str] = []

    def scan(folder: Path, project: str | None) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.is_file():
                continue
            if _is_sheet_name(entry.name):
                found.append(Found(entry, project))
            elif _partial_sheet_name(entry.name):
                found.append(Found(entry, project, partial=True))

    scan(inbox, None)
    for entry in sorted(inbox.iterdir(), key=lambda p: p.name):
        if not entry.is_dir() or entry.name.startswith(".") or entry.name in RESERVED_DIRS:
            continue
        if PROJECT_FOLDER.match(entry.name):
            scan(entry, entry.name)
        else:
            ignored.append(f"{entry.name}/ (not a project accession folder such as NFDP-PRJ-000001)")
    return found, ignored


# --------------------------------------------------------------------------- settling

def _named_files(sheet: Path) -> list[str]:
    """The data file names a sheet lists; [] when it cannot be read (submit will say why)."""
    from ..sheet.loader import load_sheet

    try:
        loaded = load_sheet(sheet)
    except Exception:  # noqa: BLE001 - a broken sheet is reported by submit, not here
        return []
    names: list[str] = []
    for column in ("filename_forward", "filename_reverse"):
        if column in loaded.columns:
            names.extend(str(v).strip() for v in loaded.columns[column] if v is not None and str(v).strip())
    return names


def waiting_reason(found: Found, root: Path, settle: float, now_ts: float) -> str | None:
    """Why the sheet must wait for a later run, or None when it has settled."""
    if found.partial:
        return "the sheet is still being copied (.part/.tmp name)"
    age = now_ts - found.path.stat().st_mtime
    if settle > 0 and age < settle:
        return f"the sheet was modified {max(0, age):.0f} s ago (settle time {settle:.0f} s)"
    for name in _named_files(found.path):
        target = root / name
        for suffix in PARTIAL_SUFFIXES:
            if os.path.lexists(str(target) + suffix):
                return f"data file {name} is still being copied ({name}{suffix} exists)"
        try:
            age = now_ts - target.stat().st_mtime
        except OSError:
            continue  # missing: submit reports it
        if settle > 0 and age < settle:
            return f"data file {name} was modified {max(0, age):.0f} s ago (settle time {settle:.0f} s)"
    return None


# --------------------------------------------------------------------------- moving

def _target(inbox: Path, where: str, day: str, found: Found) -> tuple[Path, Path, Path]:
    """A free destination for the sheet, and its two report paths. Never an existing sheet's name:
    a stem is free when no sheet of any extension has it there (stale reports of a crashed
    earlier attempt may be overwritten)."""
    folder = inbox / where / day
    if found.project:
        folder = folder / found.project
    folder.mkdir(parents=True, exist_ok=True)
    name = found.path.name
    ext = next((e for e in SHEET_EXTS if name.lower().endswith(e)), found.path.suffix)
    stem = name[: len(name) - len(ext)]
    n = 1
    while True:
        cand = stem if n == 1 else f"{stem}-{n}"
        taken = any((folder / f"{cand}{e}").exists() or (folder / f"{cand}{e.upper()}").exists()
                    for e in (*SHEET_EXTS, ext))
        if not taken:
            return folder / f"{cand}{ext}", folder / f"{cand}.report.json", folder / f"{cand}.report.html"
        n += 1


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


NOTES = {
    INGESTED: "ingested: every sample, experiment and run of this sheet was committed in one transaction.",
    FAILED: "failed: nothing of this sheet was committed. Fix the problems below and put the sheet "
            "back into the inbox.",
    DUPLICATE: "duplicate: this sheet's content was already committed to this project; nothing was "
               "ingested again.",
}


def file_away(inbox: Path, day: str, found: Found, out: SheetOutcome, report: dict, run_at: str) -> None:
    """Reports first, then one atomic rename of the sheet (crash-safe)."""
    where = "failed" if out.status == FAILED else "done"
    dest, rjson, rhtml = _target(inbox, where, day, found)

    def rel(p: Path) -> str:
        return str(p.relative_to(inbox))

    report = dict(report)
    report["nightly"] = {"outcome": out.status, "run_at": run_at, "sheet": out.sheet,
                         "moved_to": rel(dest), "first_error": out.reason,
                         "removed_source": out.removed_source,
                         "duplicate_of": out.submission if out.status == DUPLICATE else None}
    note = NOTES[out.status]
    if out.status == DUPLICATE and out.submission:
        note = note.replace("already committed", f"already committed as submission {out.submission}")
    note += f" Sheet {out.sheet} was moved to {rel(dest)}."
    write_atomic(rjson, json.dumps(report, indent=2, default=str, ensure_ascii=False))
    write_atomic(rhtml, render_submission_html(report, banner={"status": out.status, "note": note}))
    _fsync_dir(rjson.parent)
    os.replace(found.path, dest)
    _fsync_dir(dest.parent)
    _fsync_dir(found.path.parent)
    out.moved_to, out.report_json, out.report_html = rel(dest), rel(rjson), rel(rhtml)
