"""A local server that STANDS IN FOR ENA's Webin REST v2 service, which cannot be reached from
here. Written from ENA-FACTS.md (§3.1 endpoints, §3.2 receipts, §4 rejections), not from our
client: Basic auth (401 otherwise), ``POST submit/`` (synchronous), ``POST submit/queue`` and
``GET submit/poll/{id}`` (202 without a body while queued, then 200 with the receipt), one
WEBIN document as a multipart part ``file`` or as the body, receipts with PROJECT + EXT_ID
study, SAMPLE + EXT_ID biosample, EXPERIMENT, RUN and SUBMISSION accessions, and ENA's texts
for an alias that exists already, a reference that resolves nowhere, a file missing from the
upload area, a missing center name and an XSD failure. A failed submission registers nothing.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from nfdp_ingest.ena import schemas

PREFIX = {"project": "PRJEB", "sample": "ERS", "experiment": "ERX", "run": "ERR"}
TAGS = {"PROJECT": "project", "SAMPLE": "sample", "EXPERIMENT": "experiment", "RUN": "run"}
SET_KIND = {"PROJECT_SET": "project", "SAMPLE_SET": "sample", "EXPERIMENT_SET": "experiment", "RUN_SET": "run",
            "SUBMISSION_SET": "submission"}


@dataclass
class WebinStandIn:
    user: str = "Webin-99999"
    password: str = "s3cret-pass"
    upload_root: Path | None = None  # the upload area's folder (the FTPS server's home)
    test_server: bool = False
    registered: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, alias) → accession
    secondary: dict[tuple[str, str], str] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer first (e.g. 500)
    slow_next: list[float] = field(default_factory=list)  # seconds to wait before answering (after the work)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, auth user
    documents: list[bytes] = field(default_factory=list)
    queued: dict[str, list] = field(default_factory=dict)  # id → [polls left, receipt]
    polls_before_ready: int = 1
    on_receipt: object = None  # callable(receipt bytes) before the answer goes out
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(10000001))

    # --- the protocol ------------------------------------------------------------------
    def app(self, environ, start_response):
        request = Request(environ)
        user = self._user(request)
        self.requests.append((request.method, request.path, user))
        if user is None:
            return Response("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="Webin"'})(environ, start_response)
        if self.fail_next:
            return Response("Internal Server Error", self.fail_next.pop(0))(environ, start_response)
        path = request.path.rstrip("/")
        if request.method == "POST" and path.endswith("/submit"):
            response = Response(self._receipt(self._document(request)), 200, content_type="application/xml")
        elif request.method == "POST" and path.endswith("/submit/queue"):
            submission_id = f"ERA{next(self._numbers)}"
            self.queued[submission_id] = [self.polls_before_ready, self._receipt(self._document(request))]
            poll = request.host_url.rstrip("/") + request.path.rsplit("/queue", 1)[0] + f"/poll/{submission_id}"
            response = Response(
                f'{{"submissionId":"{submission_id}","submissionAccountId":"{self.user}",'
                f'"_links":{{"poll":{{"href":"{poll}"}}}}}}', 200, content_type="application/json")
        elif request.method == "GET" and "/submit/poll/" in path:
            entry = self.queued.get(path.rsplit("/", 1)[1])
            if entry is None:
                response = Response("not found", 404)
            elif entry[0] > 0:
                entry[0] -= 1
                response = Response(b"", 202)  # still in the queue: no body
            else:
                response = Response(entry[1], 200, content_type="application/xml")
        else:
            response = Response("not found", 404)
        if self.slow_next:
            time.sleep(self.slow_next.pop(0))  # the work is done; only the answer is late
        return response(environ, start_response)

    def _user(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if (user, password) == (self.user, self.password) else None

    def _document(self, request: Request) -> bytes:
        if "file" in request.files:
            upload = request.files["file"]
            assert upload.filename, "ENA answers 400 without a file name in the part"
            data = upload.read()
        else:
            data = request.get_data()
        self.documents.append(data)
        return data

    # --- what ENA does with a document -------------------------------------------------
    def _receipt(self, document: bytes) -> bytes:
        errors: list[str] = []
        root = etree.fromstring(document)
        action = "ADD" if root.find("SUBMISSION_SET/SUBMISSION/ACTIONS/ACTION/ADD") is not None else (
            "MODIFY" if root.find("SUBMISSION_SET/SUBMISSION/ACTIONS/ACTION/MODIFY") is not None else "")
        objects = []
        for child in root:
            kind = SET_KIND[child.tag]
            schema = schemas.schema(kind)
            if not schema.validate(etree.ElementTree(etree.fromstring(etree.tostring(child)))):
                errors.append(f"Failed to validate {kind} xml, error: {schema.error_log[0].message}")
            if kind != "submission":
                objects += [(kind, el) for el in child]
        batch = {(k, el.get("alias")) for k, el in objects}
        for kind, el in objects:
            alias = el.get("alias")
            if not el.get("center_name"):
                errors.append(f'In {kind}, alias: "{alias}". Missing center name.')
            if action == "ADD" and (kind, alias) in self.registered:
                errors.append(f'In {kind}, alias: "{alias}". The object being added already exists in the '
                              f'submission account with accession: "{self.registered[(kind, alias)]}".')
            if action == "MODIFY" and (kind, alias) not in self.registered:
                errors.append(f'In {kind}, alias: "{alias}". The object being updated does not exist.')
            for ref_tag, ref_kind in (("STUDY_REF", "project"), ("DESIGN/SAMPLE_DESCRIPTOR", "sample"),
                                      ("EXPERIMENT_REF", "experiment")):
                ref = el.find(ref_tag)
                if ref is None:
                    continue
                name = ref.get("refname")
                if name and (ref_kind, name) not in batch and (ref_kind, name) not in self.registered:
                    errors.append(f'In {kind}, alias: "{alias}", In {ref_kind} reference, alias: "{name}". '
                                  f'Failed to find referenced {ref_kind}, alias "{name}".')
                if ref.get("accession") and ref.get("accession") not in self.registered.values():
                    errors.append(f'In {kind}, alias: "{alias}". Failed to find referenced {ref_kind} '
                                  f'accession "{ref.get("accession")}".')
            if kind == "sample" and el.findtext("SAMPLE_NAME/TAXON_ID") == "2":  # §4 #6: a non-submittable rank
                errors.append(f'In sample, alias: "{alias}". Taxon Bacteria id 2 is not submittable.')
            for f in el.iter("FILE"):
                if self.upload_root is not None and not (self.upload_root / f.get("filename")).is_file():
                    errors.append(f'In run, alias:"{alias}", accession:"". File "{f.get("filename")}" does not '
                                  "exist in the upload area.")
        when = datetime.now().astimezone().isoformat(timespec="milliseconds")
        out = etree.Element("RECEIPT", receiptDate=when, submissionFile="webin-submission.xml",
                            success="false" if errors else "true")
        if not errors:
            for kind, el in objects:  # nothing is registered unless everything is accepted
                key = (kind, el.get("alias"))
                if key not in self.registered:
                    self.registered[key] = f"{PREFIX[kind]}{next(self._numbers)}"
                    if kind == "project":
                        self.secondary[key] = f"ERP{next(self._numbers)}"
                    if kind == "sample":
                        self.secondary[key] = f"SAMEA{next(self._numbers)}"
            for kind in ("experiment", "run", "sample", "project"):  # the receipt's element order
                for k, el in objects:
                    if k != kind:
                        continue
                    key = (kind, el.get("alias"))
                    item = etree.SubElement(out, kind.upper(), accession=self.registered[key],
                                            alias=key[1], status="PRIVATE")
                    if key in self.secondary:
                        etree.SubElement(item, "EXT_ID", accession=self.secondary[key],
                                         type="study" if kind == "project" else "biosample")
        submission = root.find("SUBMISSION_SET/SUBMISSION")
        sub = etree.SubElement(out, "SUBMISSION", alias=submission.get("alias") if submission is not None else "")
        if not errors:
            sub.set("accession", f"ERA{next(self._numbers)}")
        messages = etree.SubElement(out, "MESSAGES")
        for error in errors:
            etree.SubElement(messages, "ERROR").text = error
        if self.test_server:
            etree.SubElement(messages, "INFO").text = "This submission is a TEST submission and will be discarded within 24 hours"
        if not errors:
            etree.SubElement(messages, "INFO").text = "All objects in this submission are set to private status (HOLD)."
        etree.SubElement(out, "ACTIONS").text = action
        body = etree.tostring(out, xml_declaration=True, encoding="UTF-8")
        if self.on_receipt is not None:
            self.on_receipt(body)
        return body


class RunningStandIn:
    def __init__(self, standin: WebinStandIn):
        self.standin = standin
        self.server = make_server("127.0.0.1", 0, standin.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ena/submit/webin-v2/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
