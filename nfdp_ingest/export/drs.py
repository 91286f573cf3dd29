"""GA4GH DRS 1.2 objects as plain data: a run is a blob; an experiment, sample or project is a
bundle of its children (contents with drs:// URIs, nested when expanded).

Bundle checksums follow DRS: the checksum of the sorted concatenation of the top-level
contents' checksums of the same type, computed bottom-up in one pass over the runs.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ..registry.visibility import ANONYMOUS, Viewer
from . import lookup
from .names import files_url

DRS_VERSION = "1.2.0"
CHECKSUM_TYPES = (("md5", "checksum_md5", "md5"), ("sha-256", "checksum_sha256", "sha256"))


def rfc3339(value: datetime | None) -> str:
    """Naive UTC timestamps as RFC 3339 (``2026-01-15T10:30:00Z``)."""
    if value is None:
        return "1970-01-01T00:00:00Z"
    return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def drs_uri(host: str, object_id: str) -> str:
    return f"drs://{host}/{object_id}"


def mime_type(filename: str, file_type: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".gz"):
        return "application/gzip"
    return {"FASTQ": "text/plain", "VCF": "text/plain"}.get((file_type or "").upper(), "application/octet-stream")


def run_object(row: Mapping[str, Any], host: str, storage_mode: str) -> dict[str, Any]:
    """The DRS blob of a run."""
    methods: list[dict[str, Any]] = [{"type": "https", "access_id": "https"}]
    if storage_mode == "minio":
        methods.append({"type": "s3", "access_id": "s3", "access_url": {"url": f"s3://{row['file_path']}"}})
    aliases = [row["filename"]] + ([row["ena_accession"]] if row.get("ena_accession") else [])
    return {
        "id": row["accession"], "name": row["filename"], "self_uri": drs_uri(host, row["accession"]),
        "size": int(row["file_size"]), "created_time": rfc3339(row["created_at"]),
        "updated_time": rfc3339(row["created_at"]), "version": row["checksum_md5"],
        "checksums": [{"checksum": row["checksum_md5"], "type": "md5"},
                      {"checksum": row["checksum_sha256"], "type": "sha-256"}],
        "mime_type": mime_type(row["filename"], row["file_type"]),
        "description": f"{row['file_type']} file of experiment {row['experiment_accession']}",
        "aliases": aliases, "access_methods": methods,
    }


def access_url(row: Mapping[str, Any], access_id: str, storage, storage_mode: str, base_url: str
               ) -> dict[str, Any] | None:
    """{url, headers} for an access_id of the run, or None when it has no such method."""
    if access_id == "https":
        url = storage.download_url(row["file_path"]) if storage_mode == "minio" else None
        return {"url": url or files_url(base_url, row["accession"], row["filename"]), "headers": []}
    if access_id == "s3" and storage_mode == "minio":
        return {"url": f"s3://{row['file_path']}", "headers": []}
    return None


@dataclass
class _Node:
    id: str
    name: str
    created: datetime | None
    size: int = 0
    sums: dict[str, str] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    blob: bool = False


def _close(node: _Node) -> None:
    """Size and checksums of a bundle from its (closed) children."""
    for child in node.children:
        if not child.blob:
            _close(child)
    node.size = sum(c.size for c in node.children)
    for kind, _column, algo in CHECKSUM_TYPES:
        joined = "".join(sorted(c.sums[kind] for c in node.children))
        node.sums[kind] = hashlib.new(algo, joined.encode("ascii")).hexdigest()


def _tree(conn: Connection, kind: str, record: Mapping[str, Any]) -> _Node:
    scope_id = record["id"]
    root = _Node(record["accession"], record.get("alias") or record.get("title") or record["accession"],
                 record["created_at"])
    experiments: dict[str, _Node] = {}
    if kind == "experiment":
        experiments[record["accession"]] = root
    else:
        samples: dict[str, _Node] = {}
        if kind == "project":
            for s in lookup.scope_children(conn, "project", scope_id):
                samples[s["accession"]] = _Node(s["accession"], s["name"], None)
                root.children.append(samples[s["accession"]])
        else:
            samples[record["accession"]] = root
        for e in lookup.scope_experiments(conn, kind, scope_id):
            node = _Node(e["accession"], e["accession"], e["created_at"])
            experiments[e["accession"]] = node
            samples[e["sample_accession"]].children.append(node)
    names: dict[str, set[str]] = defaultdict(set)
    for run in lookup.scope_runs(conn, kind, scope_id):
        parent = experiments[run["experiment_accession"]]
        name = run["filename"] if run["filename"] not in names[parent.id] else f"{run['accession']}_{run['filename']}"
        names[parent.id].add(name)
        parent.children.append(_Node(run["accession"], name, run["created_at"], int(run["file_size"]),
                                     {"md5": run["checksum_md5"], "sha-256": run["checksum_sha256"]}, blob=True))
    _close(root)
    return root


def _contents(node: _Node, host: str, expand: bool) -> list[dict[str, Any]]:
    out = []
    for child in node.children:
        item: dict[str, Any] = {"name": child.name, "id": child.id, "drs_uri": [drs_uri(host, child.id)]}
        if expand and not child.blob:
            item["contents"] = _contents(child, host, expand)
        out.append(item)
    return out


def bundle_object(conn: Connection, kind: str, record: Mapping[str, Any], host: str, *, expand: bool
                  ) -> dict[str, Any]:
    """The DRS bundle of an experiment, sample or project."""
    root = _tree(conn, kind, record)
    return {
        "id": root.id, "name": root.name, "self_uri": drs_uri(host, root.id), "size": root.size,
        "created_time": rfc3339(root.created), "updated_time": rfc3339(root.created),
        "checksums": [{"checksum": root.sums[k], "type": k} for k, _c, _a in CHECKSUM_TYPES],
        "description": f"NFDP {kind} {root.id}", "aliases": [root.name] if root.name != root.id else [],
        "contents": _contents(root, host, expand),
    }


def get_object(conn: Connection, accession: str, host: str, storage_mode: str, *, expand: bool = False,
               viewer: Viewer = ANONYMOUS) -> dict[str, Any]:
    """The DRS object of any accession (lookup.UnknownAccession when there is none, or when
    ``viewer`` may not see it: embargo)."""
    kind, record = lookup.find_record(conn, accession, viewer=viewer)
    if kind == "run":
        return run_object(record, host, storage_mode)
    return bundle_object(conn, kind, record, host, expand=expand)
