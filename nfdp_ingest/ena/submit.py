"""`ena submit`: validate, upload the run files, send the WEBIN documents, write accessions back.

Order of events, each safe to interrupt:
1. receipts archived by an earlier run but not yet written back are applied first;
2. the scope is exported and validated (nothing is sent when anything is wrong);
3. run files go to the upload area (files already there with the right size are skipped);
4. each document set (ADD, then MODIFY) is sent; the exchange is archived before the answer
   is acted on, then, on success, every accession is written back with the archive row marked
   applied in ONE transaction. On ENA's test server the accessions stay in the archive only.
An ADD refused only because objects exist already recovers their accessions and is sent once
more without them.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from ..config import ENA_WEBIN_FTP, ENA_WEBIN_TEST_URL, ENA_WEBIN_URL, Settings
from ..errors import InvalidInput, NfdpError, UsageError
from ..registry.db import transaction
from . import state, writeback
from .receipt import Receipt, parse_receipt
from .records import resolve_scope
from .upload import UploadArea, read_uploads, upload_all
from .validate import check_accession
from .webin import WebinClient

log = logging.getLogger("nfdp_ingest.ena")


@dataclass
class SubmitResult:
    project: str
    server: str
    test: bool
    dry_run: bool
    applied_earlier: int = 0  # receipts of an interrupted run applied first
    uploaded: int = 0
    skipped_uploads: int = 0
    sent: list[dict] = field(default_factory=list)  # action, counts, receipt messages
    accessions: dict[str, dict[str, str]] = field(default_factory=dict)  # kind → alias → accession
    would: dict[str, dict[str, int]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def apply_pending(engine: Engine, project_id: int) -> int:
    """Write back receipts an interrupted run archived; returns how many were applied."""
    applied = 0
    with transaction(engine) as session:
        for row in state.pending(session, project_id):
            writeback.apply(session, project_id, row.accessions or {})
            state.mark_applied(session, row.id)
            applied += 1
    return applied


def _objects(folder: Path) -> dict[str, dict[str, str | None]]:
    objects: dict[str, dict[str, str | None]] = {}
    with open(folder / "objects.tsv", encoding="utf-8") as fh:
        for line in fh:
            kind, alias, digest = line.rstrip("\n").split("\t")
            objects.setdefault(kind, {})[alias] = digest or None
    return objects


def _send(engine: Engine, client: WebinClient, folder: Path, action: str, project_id: int, server: str,
          test: bool) -> Receipt:
    objects = _objects(folder)
    with transaction(engine) as session:
        archive_id = state.record(session, project_id=project_id, server=server, test=test, action=action,
                                  objects=objects)
    try:
        answer = client.submit(folder / "webin.xml")
    except NfdpError as exc:  # refused credentials, Webin unreachable: kept in the archive too
        with transaction(engine) as session:
            state.receive(session, archive_id, status="failed", http_status=None, success=None,
                          receipt_xml=None, messages={"error": [exc.message], "info": []}, accessions=None)
        raise
    receipt = parse_receipt(answer.body)
    body = answer.body.decode("utf-8", "replace")
    if answer.status >= 400 and receipt.success:  # pragma: no cover - a success receipt with an error status
        receipt.success = False
    known = receipt.accessions if receipt.success else receipt.existing
    status = ("received" if receipt.success else "recovered" if known else "rejected")
    if test:  # the test server's accessions vanish within a day: archived, never written back
        status = "test" if receipt.success else "rejected"
    with transaction(engine) as session:  # the receipt is kept before anything is written back
        state.receive(session, archive_id, status=status, http_status=answer.status, success=receipt.success,
                      receipt_xml=body, messages=receipt.messages, accessions=known)
    if not test and known:
        with transaction(engine) as session:  # ONE transaction: every accession, and the receipt applied
            writeback.apply(session, project_id, known)
            if receipt.success:
                state.mark_applied(session, archive_id)
    return receipt


def submit(engine: Engine, accession: str, settings: Settings, storage, *, test: bool = False,
           dry_run: bool = False, hold_until: date | None = None, progress_factory=None,
           workdir: Path | None = None) -> SubmitResult:
    ena = settings.ena
    server = ena.url or (ENA_WEBIN_TEST_URL if test else ENA_WEBIN_URL)
    with engine.connect() as conn:
        project = resolve_scope(conn, accession).project
    result = SubmitResult(project.accession, server, test, dry_run)
    if not test and not dry_run:
        result.applied_earlier = apply_pending(engine, project.id)
    if not dry_run and not (ena.user and ena.password):
        raise UsageError("set NFDP_WEBIN_USER and NFDP_WEBIN_PASSWORD (or NFDP_WEBIN_PASSWORD_FILE) to submit")
    with tempfile.TemporaryDirectory(prefix="nfdp-ena-", dir=workdir) as tmp:
        client = None if dry_run else WebinClient(server, ena.user, ena.password, timeout=ena.timeout_seconds,
                                                  poll_seconds=ena.poll_seconds, sync_limit=ena.sync_limit)
        try:
            for attempt in range(2):  # the second only after recovering objects ENA had already
                folder = Path(tmp) / f"attempt{attempt}"
                with engine.connect() as conn:
                    digests = {} if test else state.last_digests(conn, accession)
                    exported, problems = check_accession(conn, accession, ena, folder, test=test,
                                                         hold_until=hold_until, last_digests=digests)
                result.notices = exported.notices
                errors = [p for p in problems if p.severity == "error"]
                if errors:
                    raise InvalidInput(f"{len(errors)} problem(s) ENA would reject; nothing was sent:\n"
                                       + "\n".join(p.line() for p in errors))
                if dry_run:
                    result.would = {"add": exported.added, "modify": exported.modified,
                                    "unchanged": exported.unchanged}
                    return result
                if attempt == 0 and exported.added.get("run"):
                    area_address = ena.ftp or ENA_WEBIN_FTP
                    total = sum(u.size for u in read_uploads(folder))
                    progress = progress_factory(total, exported.added["run"]) if progress_factory else None
                    with UploadArea(area_address, ena.user, ena.password, cafile=ena.ftp_cafile) as area:
                        up, skipped = upload_all(area, read_uploads(folder), storage, progress)
                    if progress is not None:
                        progress.close()
                    result.uploaded, result.skipped_uploads = up, skipped
                retry = False
                for action, docs in exported.folders:
                    receipt = _send(engine, client, docs, action, project.id, server, test)
                    result.sent.append({"action": action, "success": receipt.success,
                                        "errors": receipt.errors, "infos": receipt.infos})
                    for kind, entries in (receipt.accessions if receipt.success else receipt.existing).items():
                        result.accessions.setdefault(kind, {}).update(
                            {alias: e["accession"] for alias, e in entries.items()})
                    if not receipt.success:
                        if receipt.only_existing and attempt == 0 and not test:
                            log.info("ENA holds %d object(s) already: accessions recovered, sending the rest",
                                     sum(len(v) for v in receipt.existing.values()))
                            retry = True
                            break
                        raise InvalidInput("ENA rejected the submission; nothing was written:\n"
                                           + "\n".join(f"ERROR: {e}" for e in receipt.errors))
                if not retry:
                    return result
            return result  # pragma: no cover - the loop returns
        finally:
            if client is not None:
                client.close()
