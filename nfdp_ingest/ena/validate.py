"""Everything ENA would reject that can be known without ENA (ENA-FACTS §5).

Each object of each document is checked against its SRA XSD on its own (so one bad object does
not hide the next, and memory stays flat: the documents are read with iterparse), then by the
rules the XSD does not encode: aliases present and unique, references that resolve, one
DATA_BLOCK with one or two FASTQ files (or one BAM/CRAM), lower-case MD5s, center names,
ENA-CHECKLIST on every sample, a hold date at most two years ahead. Every problem is returned,
each naming the document, the object, the field and the value.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from lxml import etree

from ..domain.ena_sample import check_ena_sample
from . import schemas
from .export import MAX_HOLD_DAYS
from .problems import Problem

MD5 = re.compile(r"^[0-9a-f]{32}$")
_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: ?")
_VALUE = re.compile(r"The value '([^']*)'|'([^']*)' is not a valid value")
TAGS = {"project": "PROJECT", "sample": "SAMPLE", "experiment": "EXPERIMENT", "run": "RUN",
        "submission": "SUBMISSION"}


def _value_at(element: etree._Element, path: str | None) -> str:
    """The text or attribute the XSD error points at (libxml2 leaves it out of some messages)."""
    if not path:
        return ""
    rest = path.strip("/").split("/", 1)  # the path starts at the object, validated as a root
    try:
        found = element.xpath(rest[1]) if len(rest) == 2 else [element]
    except etree.XPathError:
        return ""
    if found and isinstance(found[0], str):
        return str(found[0])
    if found and found[0].text:
        return found[0].text.strip()[:200]
    return ""


class _Checker:
    def __init__(self, today: date, checklists: bool, xsd_folder: Path | None):
        self.today = today
        self.checklists = checklists
        self.xsd_folder = xsd_folder
        self.aliases: dict[str, set[str]] = {k: set() for k in TAGS}
        self.problems: list[Problem] = []
        self._schemas: dict = {}

    def add(self, document: str, alias: str, field: str, value: str, message: str) -> None:
        self.problems.append(Problem(document, alias, field, value, message))

    # --- XSD -------------------------------------------------------------------------
    def xsd(self, kind: str, document: str, element: etree._Element) -> None:
        schema = self._schemas.get(kind)
        if schema is None:  # looked up once per kind: the lookup costs more than validating an object
            schema = self._schemas[kind] = schemas.schema(kind, self.xsd_folder)
        if schema.validate(element):
            return
        alias = element.get("alias") or ""
        for error in schema.error_log:
            message = error.message
            match = _ELEMENT.match(message)
            field = ""
            if match:
                field = match.group(1) + (f"@{match.group(2)}" if match.group(2) else "")
                message = message[match.end():]
            value = _VALUE.search(message)
            value = (value.group(1) or value.group(2)) if value else _value_at(element, error.path)
            self.add(document, alias, field or TAGS[kind], value,
                     f"not valid against {schemas.FILES[kind]}: {message}")

    # --- rules the XSD does not encode ---------------------------------------------------
    def common(self, kind: str, document: str, element: etree._Element) -> str:
        alias = element.get("alias") or ""
        if not alias:
            self.add(document, "", "alias", "", f"{TAGS[kind]} without an alias (ENA keys every object by it)")
        elif alias in self.aliases[kind]:
            self.add(document, alias, "alias", alias, f"{kind} alias found more than once: aliases must be unique")
        self.aliases[kind].add(alias)
        if not element.get("center_name"):
            self.add(document, alias, "center_name", "", "no center_name (ENA: \"Missing center name.\")")
        return alias

    def ref(self, document: str, alias: str, ref: etree._Element | None, kinds: tuple[str, ...], name: str) -> None:
        if ref is None:
            return  # the XSD reports the missing element
        refname, accession = ref.get("refname"), ref.get("accession")
        if accession:
            return
        if not refname:
            self.add(document, alias, name, "", f"{name} has neither refname nor accession")
        elif not any(refname in self.aliases[k] for k in kinds):
            self.add(document, alias, f"{name}@refname", refname,
                     f"refers to a {kinds[0]} that is not in this submission and has no accession")

    def sample(self, document: str, alias: str, element: etree._Element) -> None:
        attributes = {}
        for item in element.iterfind("SAMPLE_ATTRIBUTES/SAMPLE_ATTRIBUTE"):
            tag, value = item.findtext("TAG") or "", (item.findtext("VALUE") or "").strip()
            if tag in attributes:
                self.add(document, alias, tag, value, "attribute given twice (ENA: \"may only occur once\")")
            if not value:
                self.add(document, alias, tag, "", "SAMPLE_ATTRIBUTE without a VALUE (leave the field out instead)")
            attributes[tag] = value
        checklist = attributes.pop("ENA-CHECKLIST", None)
        if not checklist:
            self.add(document, alias, "ENA-CHECKLIST", "",
                     "no ENA-CHECKLIST attribute: ENA would validate the sample as ERC000011")
        elif self.checklists:  # folder mode: the attributes carry ENA's own field names
            for severity, field, value, message in check_ena_sample(attributes, checklist):
                self.problems.append(Problem(document, alias, field, value, message, severity))

    def run(self, document: str, alias: str, element: etree._Element) -> None:
        blocks = element.findall("DATA_BLOCK")
        if len(blocks) != 1:
            self.add(document, alias, "DATA_BLOCK", str(len(blocks)), "a run needs exactly one DATA_BLOCK")
            return
        files = blocks[0].findall("FILES/FILE")
        types = [f.get("filetype") or "" for f in files]
        fastq = types.count("fastq")
        if fastq and len(files) != fastq:
            self.add(document, alias, "FILE@filetype", ",".join(types), "FASTQ files mixed with other files in one run")
        elif fastq > 2 and not all(f.findall("READ_TYPE") for f in files):
            self.add(document, alias, "FILE", str(fastq),
                     f"{fastq} FASTQ files in one run without READ_TYPEs (ENA: \"Read type information missing "
                     "in run\"); lanes must be separate runs")
        elif not fastq and len(files) > 1:
            self.add(document, alias, "FILE", str(len(files)), "a BAM or CRAM run holds one file")
        for f in files:
            name, checksum = f.get("filename") or "", f.get("checksum") or ""
            if f.get("checksum_method") == "MD5" and not MD5.match(checksum):
                self.add(document, alias, "FILE@checksum", checksum,
                         f"{name}: not an MD5 in lower-case hex (32 characters 0-9a-f)")
            if name.startswith("/") or ".." in name.split("/") or "\\" in name:
                self.add(document, alias, "FILE@filename", name, "must be a relative path in the upload area")

    def submission(self, document: str, element: etree._Element) -> None:
        alias = self.common("submission", document, element)
        for hold in element.iterfind("ACTIONS/ACTION/HOLD"):
            value = hold.get("HoldUntilDate")
            if value is None:
                continue
            try:
                when = date.fromisoformat(value)
            except ValueError:
                continue  # the XSD says it is not an xs:date
            if (when - self.today).days > MAX_HOLD_DAYS:
                self.add(document, alias, "HOLD@HoldUntilDate", value, "more than two years ahead")
            elif when <= self.today:
                self.add(document, alias, "HOLD@HoldUntilDate", value, "not in the future")


def validate_folder(folder: Path, *, today: date | None = None, checklists: bool = True,
                    xsd_folder: Path | None = None) -> list[Problem]:
    """Check the documents ``ena export`` wrote into ``folder`` (and ``folder/modify``)."""
    today = today or date.today()
    problems: list[Problem] = []
    for sub in (folder, folder / "modify"):
        if (sub / "submission.xml").exists():
            problems += _validate_set(sub, today, checklists, xsd_folder, sub.relative_to(folder))
    return problems


def _validate_set(folder: Path, today: date, checklists: bool, xsd_folder: Path | None, prefix: Path):
    checker = _Checker(today, checklists, xsd_folder)
    for kind in ("project", "sample", "experiment", "run"):
        path = folder / f"{kind}.xml"
        if not path.exists():
            continue
        document = str(prefix / path.name) if str(prefix) != "." else path.name
        seen, broken = 0, False
        try:
            for _event, element in etree.iterparse(str(path), events=("end",), tag=TAGS[kind],
                                                    remove_blank_text=True, resolve_entities=False):
                seen += 1
                checker.xsd(kind, document, element)
                alias = checker.common(kind, document, element)
                if kind == "experiment":
                    checker.ref(document, alias, element.find("STUDY_REF"), ("project",), "STUDY_REF")
                    checker.ref(document, alias, element.find("DESIGN/SAMPLE_DESCRIPTOR"), ("sample",),
                                "SAMPLE_DESCRIPTOR")
                elif kind == "run":
                    checker.ref(document, alias, element.find("EXPERIMENT_REF"), ("experiment",), "EXPERIMENT_REF")
                    checker.run(document, alias, element)
                elif kind == "sample":
                    checker.sample(document, alias, element)
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            checker.add(document, "", "", "", f"not well-formed XML: {exc}")
            broken = True
        if not seen and not broken:
            checker.add(document, "", f"{kind.upper()}_SET", "", "an empty set is not valid (minOccurs=1)")
    path = folder / "submission.xml"
    document = str(prefix / path.name) if str(prefix) != "." else path.name
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False)).getroot()
    except etree.XMLSyntaxError as exc:
        checker.add(document, "", "", "", f"not well-formed XML: {exc}")
        return checker.problems
    for element in root.iter("SUBMISSION"):
        checker.xsd("submission", document, element)
        checker.submission(document, element)
    return checker.problems


def check_accession(conn, accession: str, ena, folder: Path, *, test: bool = False,
                    hold_until: date | None = None, last_digests=None, today: date | None = None):
    """Export ``accession``'s scope into ``folder`` and return (the export, every problem)."""
    from .export import export

    result = export(conn, accession, folder, ena, test=test, hold_until=hold_until,
                    last_digests=last_digests, today=today)
    return result, result.problems + validate_folder(folder, today=today, checklists=False)
