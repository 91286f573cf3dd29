"""Streamed writing of one set of ENA documents (lxml.etree.xmlfile: one object in memory at a time).

A folder gets ``project.xml``, ``sample.xml``, ``experiment.xml``, ``run.xml`` (only those that
have objects: an empty ``*_SET`` is invalid), then ``submission.xml`` and ``webin.xml``, the one
document Webin REST v2 takes (``<WEBIN>`` holding the sets, built by copying the set files).
``objects.tsv`` lists what was written (kind, alias, digest) and ``uploads.tsv`` the data
files the runs name, for ``ena submit``.
"""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from pathlib import Path

from lxml import etree

SETS = {"project": "PROJECT_SET", "sample": "SAMPLE_SET", "experiment": "EXPERIMENT_SET", "run": "RUN_SET"}
ORDER = ("submission", "project", "sample", "experiment", "run")  # in webin.xml
_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>"


class DocumentSet:
    def __init__(self, folder: Path):
        self.folder = folder
        self.counts: dict[str, int] = {}
        self._stack = ExitStack()
        self._writers: dict[str, object] = {}
        self._objects = None
        self._uploads = None

    def _writer(self, kind: str):
        writer = self._writers.get(kind)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            writer = self._stack.enter_context(etree.xmlfile(str(self.folder / f"{kind}.xml"), encoding="UTF-8"))
            writer.write_declaration()
            self._stack.enter_context(writer.element(SETS[kind]))
            writer.write("\n")
            self._writers[kind] = writer
        return writer

    def add(self, kind: str, element: etree._Element, digest: str | None = None) -> None:
        writer = self._writer(kind)
        writer.write(element)
        writer.write("\n")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self._objects is None:
            self._objects = self._stack.enter_context(open(self.folder / "objects.tsv", "w", encoding="utf-8"))
        self._objects.write(f"{kind}\t{element.get('alias')}\t{digest or ''}\n")  # aliases are our accessions

    def upload(self, path: str, size: int, file_path: str) -> None:
        """One data file for the upload area: its path there, its size, where our storage has it."""
        if self._uploads is None:
            self._uploads = self._stack.enter_context(open(self.folder / "uploads.tsv", "w", encoding="utf-8"))
        self._uploads.write(f"{path}\t{size}\t{json.dumps(file_path)}\n")  # paths are ours; file_path quoted

    def finish(self, submission: etree._Element | None) -> bool:
        """Close the sets; with objects, write submission.xml and webin.xml. True if anything was written."""
        self._stack.close()
        if not self.counts:
            return False
        subset = etree.Element("SUBMISSION_SET")
        subset.append(submission)
        etree.ElementTree(subset).write(str(self.folder / "submission.xml"), encoding="UTF-8",
                                        xml_declaration=True, pretty_print=True)
        with open(self.folder / "webin.xml", "wb") as out:
            out.write(_DECLARATION + b"\n<WEBIN>\n")
            for kind in ORDER:
                path = self.folder / f"{kind}.xml"
                if path.exists():
                    with open(path, "rb") as part:
                        _skip_declaration(part)
                        shutil.copyfileobj(part, out, 1024 * 1024)
                    out.write(b"\n")
            out.write(b"</WEBIN>\n")
        return True


def _skip_declaration(part) -> None:
    head = part.read(len(_DECLARATION) + 64)
    if head.startswith(b"<?xml"):
        end = head.index(b"?>") + 2
        part.seek(end)
    else:
        part.seek(0)
