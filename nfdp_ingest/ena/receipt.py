"""Webin's RECEIPT, read leniently (ENA-FACTS §3.2): never XSD-validated (real receipts break
SRA.receipt.xsd), decided on ``success`` plus the accessions present, EXT_IDs kept (the SAMEA
BioSample and ERP study accessions), and "already exists … with accession" errors turned into
the accessions ENA holds already.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

KINDS = {"PROJECT": "project", "STUDY": "project", "SAMPLE": "sample", "EXPERIMENT": "experiment", "RUN": "run"}
_EXISTS = re.compile(r'In (\w+), alias: ?"([^"]*)".*?already exists in the submission account with accession: ?"([^"]+)"',
                     re.S)
_ERROR_KINDS = {"project": "project", "study": "project", "sample": "sample", "experiment": "experiment",
                "run": "run"}


@dataclass
class Receipt:
    success: bool
    receipt_date: str | None = None
    accessions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # kind → alias → …
    submission: dict[str, str] | None = None
    errors: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    existing: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # from "already exists"

    @property
    def messages(self) -> dict[str, list[str]]:
        return {"error": self.errors, "info": self.infos}

    @property
    def only_existing(self) -> bool:
        """Every error says an object exists already (so a retry without them can succeed)."""
        return bool(self.errors) and all(_EXISTS.search(e) for e in self.errors)


def parse_receipt(body: bytes | str) -> Receipt:
    data = body.encode("utf-8") if isinstance(body, str) else body
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None or root.tag != "RECEIPT":
        snippet = data[:300].decode("utf-8", "replace").strip()
        return Receipt(False, errors=[f"Webin answered with something that is not a RECEIPT: {snippet!r}"])
    receipt = Receipt(success=(root.get("success") or "").strip().lower() == "true",
                      receipt_date=root.get("receiptDate"))
    for element in root:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in KINDS and element.get("alias") and element.get("accession"):
            entry = {"accession": element.get("accession"), "status": element.get("status"),
                     "ext": {x.get("type"): x.get("accession") for x in element.iter("EXT_ID") if x.get("type")}}
            receipt.accessions.setdefault(KINDS[tag], {})[element.get("alias")] = entry
        elif tag == "SUBMISSION":
            receipt.submission = {"alias": element.get("alias") or "", "accession": element.get("accession") or ""}
        elif tag == "MESSAGES":
            receipt.errors += [(e.text or "").strip() for e in element.iter("ERROR")]
            receipt.infos += [(e.text or "").strip() for e in element.iter("INFO")]
    if receipt.success and not receipt.accessions:
        receipt.success = False  # "decide on success plus the presence of accession"
        receipt.errors.append("the receipt says success but carries no accession")
    if not receipt.success and not receipt.errors:
        receipt.errors.append("The submission failed because of an XML submission error.")  # webin-cli's words
    for error in receipt.errors:
        for kind, alias, accession in _EXISTS.findall(error):
            kind = _ERROR_KINDS.get(kind.lower())
            if kind:
                receipt.existing.setdefault(kind, {})[alias] = {"accession": accession, "status": None, "ext": {}}
    return receipt
